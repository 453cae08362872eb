// Two managers against the same cluster: only the Lease holder reconciles; when it dies the other takes over.
// Health, readiness and metrics endpoints are checked on the way.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { resourceTypes } from "../../src/runtime/resource-types.js";
import { freePort } from "../../tools/cluster/ports.js";
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

const ns = "tenants";

/** Reconciles of TCPs that did not fail: `success`, or `requeue_after` (a TCP without pods is looked at again). */
async function reconcileCount(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const results = ["success", "requeue_after"].map((result) =>
    text
      .split("\n")
      .find((l) =>
        l.startsWith(`controller_runtime_reconcile_total{controller="tenantcontrolplane",result="${result}"}`),
      ),
  );
  return results.reduce((sum, line) => sum + (line === undefined ? 0 : Number(line.split(" ").pop())), 0);
}

async function leaseHolder(env: OperatorEnvironment): Promise<string | undefined> {
  const lease = await env.client.get<any>(resourceTypes.lease, "kamaji.clastix.io", "kamaji-system");
  return lease?.spec?.holderIdentity;
}

describe("leader election between two managers", { timeout: 300_000 }, () => {
  let env: OperatorEnvironment;
  const managers: RunningManager[] = [];
  const ports: { health: number; metrics: number }[] = [];

  before(async () => {
    env = await startOperatorEnvironment();
    await addEtcdDataStoreAndNamespace(env, ns);
  });

  after(async () => {
    await Promise.all(managers.map((m) => m.stop()));
    await env.stop();
  });

  test("one manager leads and reconciles, the other waits and serves readiness without reconciling", async () => {
    for (let i = 0; i < 2; i++) {
      const port = { health: await freePort(), metrics: await freePort() };
      ports.push(port);
      managers.push(
        startManager(env, {
          leaderElection: true,
          defaultDataStore: "etcd",
          healthPort: port.health,
          metricsPort: port.metrics,
        }),
      );
    }
    const holder = await waitFor("a lease holder", () => leaseHolder(env), 30_000);
    const leader = managers.findIndex((m) => m.kamaji.identity === holder);
    assert.ok(leader >= 0, `the holder ${holder} is one of the two managers`);
    const follower = 1 - leader;

    await env.cluster.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(tenantControlPlane("one", ns)));
    await waitReconciled(env, "one", ns);
    assert.ok((await reconcileCount(ports[leader]!.metrics)) > 0, "the leader reconciled");
    assert.equal(await reconcileCount(ports[follower]!.metrics), 0, "the follower never reconciled");

    for (const port of ports) {
      assert.equal((await fetch(`http://127.0.0.1:${port.health}/healthz`)).status, 200);
      await waitFor(
        "readiness",
        async () => ((await fetch(`http://127.0.0.1:${port.health}/readyz`)).status === 200 ? true : undefined),
        30_000,
      );
    }
    const metrics = await (await fetch(`http://127.0.0.1:${ports[leader]!.metrics}/metrics`)).text();
    assert.match(
      metrics,
      /kamaji_tenant_control_plane_info\{tcp_namespace="tenants",tcp_name="one",kubernetes_version="v1\.34\.10",datastore_driver="etcd"/,
    );
    assert.match(metrics, /kamaji_datastore_status\{datastore_name="etcd",status="True",ready="true"\} 1/);
    assert.match(metrics, /kamaji_handler_time_seconds_count\{handler="datastore-setup"\} [1-9]/);
    assert.match(metrics, /workqueue_adds_total\{name="tenantcontrolplane"\} [1-9]/);
    assert.match(metrics, /leader_election_master_status\{name="kamaji.clastix.io"\} 1/);

    // The leader stops (gracefully: it releases the lease); the follower takes over and reconciles new work.
    assert.equal(await managers[leader]!.stop(), "stopped");
    const next = await waitFor(
      "the follower to take the lease",
      async () => ((await leaseHolder(env)) === managers[follower]!.kamaji.identity ? true : undefined),
      30_000,
    );
    assert.ok(next);
    await env.cluster.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(tenantControlPlane("two", ns)));
    await waitReconciled(env, "two", ns);
    assert.ok((await reconcileCount(ports[follower]!.metrics)) > 0, "the new leader reconciles");
  });

  test("a leader that cannot renew its lease stops leading before another can take it", async () => {
    const leader = managers.find((m) => m.kamaji.manager.isLeader);
    assert.ok(leader, "one manager leads");
    // Another identity takes the lease by force, as if the leader had been partitioned away for longer than the
    // lease: the leader's renewals now conflict, and it must give up within the renew deadline.
    const lease = await env.client.get<any>(resourceTypes.lease, "kamaji.clastix.io", "kamaji-system");
    await env.client.update(resourceTypes.lease, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: "intruder", renewTime: new Date().toISOString().replace("Z", "000Z") },
    });
    const keepUpdating = setInterval(() => {
      void env.client
        .get<any>(resourceTypes.lease, "kamaji.clastix.io", "kamaji-system")
        .then((l) =>
          env.client.update(resourceTypes.lease, {
            ...l,
            spec: { ...l.spec, holderIdentity: "intruder", renewTime: new Date().toISOString().replace("Z", "000Z") },
          }),
        )
        .catch(() => undefined);
    }, 1_000);
    try {
      assert.equal(await leader.done, "leadership-lost");
    } finally {
      clearInterval(keepUpdating);
    }
  });
});
