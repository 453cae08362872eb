// Fault suites: the operator killed at random points, stopped with SIGTERM mid-work, its API server restarted under
// it, and a DataStore down for a minute. Each ends with everything converged by itself and nothing duplicated,
// leaked or lost. Times are printed (they are not asserted, except the shutdown's bound by the grace period).
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeObject } from "../../src/runtime/kube-client.js";
import { resourceTypes } from "../../src/runtime/resource-types.js";
import { waitFor } from "../../tools/cluster/wait.js";
import { startTestEtcd, type TestEtcd } from "../helpers/etcd.js";
import {
  addEtcdDataStoreAndNamespace,
  etcdDataStore,
  expectedSecrets,
  getTcp,
  spawnManagerProcess,
  startManager,
  startOperatorEnvironment,
  tenantControlPlane,
  waitCondition,
  waitReconciled,
  type OperatorEnvironment,
} from "../helpers/operator.js";

/** Kubernetes' default terminationGracePeriodSeconds: the chart's pod is killed after it. */
const gracePeriodMs = 30_000;

/** A small seeded generator (mulberry32), so a failing round can be replayed with KAMAJI_FAULT_SEED. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const names = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(2, "0")}`);

async function createTenants(env: OperatorEnvironment, namespace: string, tcps: readonly string[]): Promise<void> {
  const list = { apiVersion: "v1", kind: "List", items: tcps.map((name) => tenantControlPlane(name, namespace)) };
  await env.cluster.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(list));
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<number> {
  const started = Date.now();
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, "exit");
    child.kill(signal);
    await exited;
  }
  return Date.now() - started;
}

/** Runs `work` with a manager in this process, stopped afterwards whatever happens. */
async function withManager<T>(env: OperatorEnvironment, work: () => Promise<T>): Promise<T> {
  const manager = startManager(env, { defaultDataStore: "etcd" });
  try {
    return await work();
  } finally {
    await manager.stop();
  }
}

const lines = (text: string) => text.split("\n").filter((line) => line !== "");

describe("operator faults", { timeout: 900_000 }, () => {
  let env: OperatorEnvironment;
  let etcdB: TestEtcd;

  before(async () => {
    env = await startOperatorEnvironment();
    await addEtcdDataStoreAndNamespace(env, "killed");
    for (const namespace of ["terminated", "restarted", "outage"]) {
      await env.cluster.kubectl(["create", "namespace", namespace]);
    }
    etcdB = await startTestEtcd();
    const second = etcdDataStore("etcd-b", etcdB);
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(second.secret));
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(second.dataStore));
  });

  after(async () => {
    await etcdB.stop();
    await env.stop();
  });

  test("SIGKILLed at random points while 20 TCPs are created, 10 rounds: all converge, nothing doubled or leaked", async (t) => {
    const seed = Number(process.env.KAMAJI_FAULT_SEED ?? Math.floor(Math.random() * 1e9));
    const random = seededRandom(seed);
    const tcps = names("k", 20);
    const delays: number[] = [];
    for (let round = 0; round < 10; round++) {
      // Two more tenants each round, so every manager finds work; killed between 1.5 s (still starting) and 5 s.
      await createTenants(env, "killed", tcps.slice(2 * round, 2 * round + 2));
      const child = spawnManagerProcess(env);
      const delay = Math.round(1_500 + random() * 3_500);
      delays.push(delay);
      await sleep(delay);
      await stopProcess(child, "SIGKILL");
    }
    t.diagnostic(`seed ${seed} (KAMAJI_FAULT_SEED), kills after ${delays.join(", ")} ms`);

    const started = Date.now();
    await withManager(env, async () => {
      const reconciled = await Promise.all(tcps.map((name) => waitReconciled(env, name, "killed", 180_000)));
      t.diagnostic(`converged ${((Date.now() - started) / 1000).toFixed(1)} s after the last kill`);
      const uids = new Set(reconciled.map((tcp) => tcp.metadata.uid ?? ""));

      // Exactly one etcd user and role per tenant, and no key outside the tenants' prefixes.
      const users = lines(await env.etcd.etcdctl(["user", "list"])).filter((user) => user !== "root");
      const roles = lines(await env.etcd.etcdctl(["role", "list"])).filter((role) => role !== "root");
      assert.deepEqual(users.sort(), [...uids].sort());
      assert.deepEqual(roles.sort(), [...uids].sort());
      const keys = lines(await env.etcd.etcdctl(["get", "", "--prefix", "--keys-only"]));
      const strays = keys.filter((key) => !uids.has(key.split("/")[1] ?? ""));
      assert.deepEqual(strays, [], "keys outside the tenants' prefixes");

      // Each tenant has its Secrets once, each controlled by its own TCP.
      const secrets = await env.client.list<KubeObject>(resourceTypes.secret, {
        namespace: "killed",
        labelSelector: "kamaji.clastix.io/name",
      });
      const expected = tcps.flatMap(expectedSecrets).sort();
      assert.deepEqual(secrets.items.map((secret) => secret.metadata.name).sort(), expected);
      const byName = new Map(reconciled.map((tcp) => [tcp.metadata.name, tcp.metadata.uid]));
      for (const secret of secrets.items) {
        const owner = secret.metadata.ownerReferences?.find((ref) => ref.controller === true);
        assert.equal(owner?.uid, byName.get(owner?.name ?? ""), `owner of ${secret.metadata.name ?? ""}`);
      }
    });
  });

  test("SIGTERM during 20 reconciles: no failure recorded, exit within the grace period, the rest done after", async (t) => {
    const tcps = names("t", 20);
    const logs: string[] = [];
    const child = spawnManagerProcess(env, logs);
    let exitMs = 0;
    try {
      await createTenants(env, "terminated", tcps);
      // In the middle of the work: some tenants have Secrets, not all have their Deployment.
      await waitFor(
        "reconciles under way",
        async () => {
          const secrets = await env.client.list(resourceTypes.secret, { namespace: "terminated" });
          return secrets.items.length >= 10 || undefined;
        },
        60_000,
        20,
      );
    } finally {
      exitMs = await stopProcess(child, "SIGTERM");
    }
    const deployments = await env.client.list(resourceTypes.deployment, { namespace: "terminated" });
    t.diagnostic(`exited ${exitMs} ms after SIGTERM, with ${deployments.items.length}/20 Deployments made`);
    assert.equal(child.exitCode, 0, `exit code (last log lines: ${logs.slice(-3).join(" | ")})`);
    assert.ok(exitMs < gracePeriodMs, `exited after ${exitMs} ms`);
    assert.ok(deployments.items.length < 20, "the stop came mid-work");

    for (const name of tcps) {
      const tcp = await getTcp(env, name, "terminated");
      const failed = tcp?.status?.conditions?.find(
        (c: { type: string; status: string }) => c.type === "Reconciled" && c.status === "False",
      );
      assert.equal(failed, undefined, `${name}: ${JSON.stringify(failed)}`);
    }
    const events = await env.client.list<KubeObject & { type?: string; reason?: string }>(resourceTypes.event, {
      namespace: "terminated",
    });
    const warnings = events.items.filter((event) => event.type === "Warning");
    assert.deepEqual(
      warnings.map((event) => event.reason),
      [],
      "no Warning event",
    );

    await withManager(env, async () => {
      await Promise.all(tcps.map((name) => waitReconciled(env, name, "terminated", 180_000)));
    });
  });

  test("the API server restarted under the operator: watches resume and nothing done meanwhile is missed", async (t) => {
    await withManager(env, async () => {
      await createTenants(env, "restarted", ["before"]);
      await waitReconciled(env, "before", "restarted");
      await env.cluster.restartApiServer(10_000);
      const back = Date.now();
      // Right after the restart, while the operator's watches are still failing and backing off.
      await createTenants(env, "restarted", ["after"]);
      await env.client.delete(resourceTypes.secret, "before-admin-kubeconfig", "restarted");
      await waitReconciled(env, "after", "restarted", 120_000);
      await waitFor(
        "before-admin-kubeconfig to be made again",
        () => env.client.get(resourceTypes.secret, "before-admin-kubeconfig", "restarted"),
        120_000,
      );
      t.diagnostic(`caught up ${((Date.now() - back) / 1000).toFixed(1)} s after the API server was back`);
    });
  });

  test("a DataStore down for 60 s: its tenants and it say why, the others are untouched, all recover, no data lost", async (t) => {
    await withManager(env, async () => {
      await createTenants(env, "outage", ["down"]);
      await env.cluster.kubectl(
        ["apply", "-f", "-"],
        JSON.stringify(tenantControlPlane("elsewhere", "outage", "etcd-b")),
      );
      const down = await waitReconciled(env, "down", "outage");
      await waitReconciled(env, "elsewhere", "outage");
      const key = `/${down.metadata.uid ?? ""}/registry/configmaps/default/kept`;
      await env.etcd.etcdctl(["put", key, "tenant data"]);

      await env.etcd.kill();
      const killedAt = Date.now();
      const dataStore = await waitFor(
        "DataStore etcd to say it is not ready",
        async () => {
          const found = await env.client.get<any>(resourceTypes.dataStore, "etcd");
          return found?.status?.ready === false ? found : undefined;
        },
        60_000,
      );
      const validation = dataStore.status.conditions.find((c: { type: string }) => c.type.endsWith("Validation"));
      assert.equal(validation.status, "False");
      assert.match(validation.message, /unreachable|connect|deadline|refused/i);
      const condition = await waitCondition(env, "down", "outage", "False", "DataStoreNotReady", 60_000);
      assert.match(condition.message, /DataStore etcd is not ready/);
      t.diagnostic(`the tenant said why ${((Date.now() - killedAt) / 1000).toFixed(1)} s into the outage`);

      // The tenant on the other DataStore stays reconciled throughout the outage.
      while (Date.now() - killedAt < 60_000) {
        const other = await getTcp(env, "elsewhere", "outage");
        const reconciledCondition = other?.status?.conditions?.find((c: { type: string }) => c.type === "Reconciled");
        assert.equal(reconciledCondition?.status, "True", `elsewhere: ${JSON.stringify(reconciledCondition)}`);
        await sleep(5_000);
      }
      const events = await env.client.list<KubeObject & { type?: string; regarding?: { name?: string } }>(
        resourceTypes.event,
        { namespace: "outage" },
      );
      const aboutElsewhere = events.items.filter((e) => e.type === "Warning" && e.regarding?.name === "elsewhere");
      assert.deepEqual(aboutElsewhere, [], "no Warning about the tenant on the other DataStore");

      await env.etcd.restart();
      const restartedAt = Date.now();
      await waitCondition(env, "down", "outage", "True", undefined, 120_000);
      t.diagnostic(`recovered ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after etcd was back`);
      assert.equal((await env.etcd.etcdctl(["get", key, "--print-value-only"])).trim(), "tenant data");
    });
  });
});
