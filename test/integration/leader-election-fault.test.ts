// Two managers with leader election, and the leader's connection to the API server stalled (its packets held, no
// connection closed) for 60 s, as a blocked network path does. The old leader must give up at its renew deadline
// even though its requests hang, the standby must take over within the lease duration, and nothing the old leader
// had sent may land after it gave up (its requests are abandoned, not delivered when the path clears).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { defaultLeaseTimings } from "../../src/runtime/leader-election.js";
import type { KubeObject } from "../../src/runtime/kube-client.js";
import { resourceTypes } from "../../src/runtime/resource-types.js";
import { waitFor } from "../../tools/cluster/wait.js";
import {
  addEtcdDataStoreAndNamespace,
  startManager,
  startOperatorEnvironment,
  tenantControlPlane,
  waitReconciled,
  type OperatorEnvironment,
  type RunningManager,
} from "../helpers/operator.js";
import { proxyKubeconfig, type StallProxy } from "../helpers/stall-proxy.js";

const ns = "tenants";
const stallMs = 60_000;
const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = defaultLeaseTimings;

interface ManagedEntry {
  manager: string;
  time?: string;
}

/** The latest time `fieldManager` wrote any object of the namespace (managedFields times are whole seconds). */
async function lastWriteBy(env: OperatorEnvironment, fieldManager: string): Promise<number> {
  let latest = 0;
  const types = [
    resourceTypes.tenantControlPlane,
    resourceTypes.deployment,
    resourceTypes.service,
    resourceTypes.secret,
  ];
  for (const type of types) {
    const list = await env.client.list<KubeObject>(type, { namespace: ns });
    for (const item of list.items) {
      const { managedFields = [] } = item.metadata as { managedFields?: ManagedEntry[] };
      for (const entry of managedFields) {
        if (entry.manager === fieldManager && entry.time) latest = Math.max(latest, Date.parse(entry.time));
      }
    }
  }
  return latest;
}

/** When a manager logged `message` (its log lines are JSON with an ISO `ts`). */
function loggedAt(manager: RunningManager, message: string): number | undefined {
  for (const line of manager.logs) {
    const entry = JSON.parse(line) as { msg?: string; ts?: string };
    if (entry.msg === message && entry.ts) return Date.parse(entry.ts);
  }
  return undefined;
}

describe("leader election when the leader's connection stalls", { timeout: 300_000 }, () => {
  let env: OperatorEnvironment;
  let proxy: StallProxy;
  const managers: RunningManager[] = [];

  before(async () => {
    env = await startOperatorEnvironment();
    await addEtcdDataStoreAndNamespace(env, ns);
    const proxied = await proxyKubeconfig(env.cluster.kubeconfig);
    proxy = proxied.proxy;
    managers.push(
      startManager(env, {
        leaderElection: true,
        defaultDataStore: "etcd",
        kubeconfig: proxied.kubeconfig,
        fieldManager: "kamaji-a",
      }),
    );
    await waitFor("manager A to lead", () => managers[0]?.kamaji.manager.isLeader || undefined, 30_000);
    managers.push(startManager(env, { leaderElection: true, defaultDataStore: "etcd", fieldManager: "kamaji-b" }));
  });

  after(async () => {
    proxy.resume();
    await Promise.all(managers.map((m) => m.stop()));
    await proxy.close();
    await env.stop();
  });

  test("the old leader stops at its renew deadline, the standby takes over, nothing of the old leader lands late", async () => {
    const [a, b] = managers as [RunningManager, RunningManager];
    for (const name of ["one", "two"]) {
      await env.cluster.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(tenantControlPlane(name, ns)));
      await waitReconciled(env, name, ns);
    }
    assert.ok((await lastWriteBy(env, "kamaji-a")) > 0, "A reconciled the tenants");

    const stalledAt = Date.now();
    proxy.stall();
    // Work for whoever leads: a new tenant, and a change to an existing one.
    await env.cluster.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(tenantControlPlane("three", ns)));
    await env.cluster.kubectl(["annotate", "tcp", "-n", ns, "one", "stalled=1"]);

    await waitFor("B to take the lease", () => b.kamaji.manager.isLeader || undefined, leaseDurationMs * 3);
    const tookOverAt = Date.now();
    const lostAt = await waitFor(
      "A to give up the lease",
      () => loggedAt(a, "leadership lost: the lease could not be renewed in time"),
      stallMs,
    );
    await waitReconciled(env, "three", ns);

    // A's last renewal was before the stall: it gives up by then plus its renew deadline (and a retry period's
    // rounding), and B, which watched the record stop changing, takes over by then plus the lease duration.
    console.error(
      `[leader-fault] A gave up ${(lostAt - stalledAt) / 1000} s after the stall; B led ${(tookOverAt - stalledAt) / 1000} s after it`,
    );
    assert.ok(lostAt - stalledAt <= renewDeadlineMs + 1_000, `A gave up ${lostAt - stalledAt} ms after the stall`);
    assert.ok(
      tookOverAt - stalledAt <= leaseDurationMs + 2 * retryPeriodMs,
      `B took over ${tookOverAt - stalledAt} ms after the stall`,
    );

    await sleep(Math.max(0, stalledAt + stallMs - Date.now()));
    proxy.resume();
    // Anything A still had in flight would be delivered now; B, leading, reconciles on.
    await env.cluster.kubectl(["annotate", "tcp", "-n", ns, "two", "resumed=1"]);
    await waitReconciled(env, "two", ns);
    assert.equal(await a.done, "leadership-lost");
    const lastByA = await lastWriteBy(env, "kamaji-a");
    // managedFields times are whole seconds: a write at lostAt may show as the next second at most.
    assert.ok(lastByA <= lostAt + 1_000, `A wrote at ${new Date(lastByA).toISOString()}, after giving up`);
    const lease = await env.client.get<any>(resourceTypes.lease, "kamaji.clastix.io", "kamaji-system");
    assert.equal(lease.spec.holderIdentity, b.kamaji.identity);
  });
});
