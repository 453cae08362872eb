// Live migration of a tenant between DataStores of every driver, on the node tier: etcd (the chart's) → PostgreSQL →
// MySQL (MariaDB) → NATS → etcd, then etcd → PostgreSQL → another PostgreSQL (same driver, upstream's
// tcp_migration), with the servers started by this test inside the node's network namespace. Before
// the first move the tenant holds 1,000 objects of mixed kinds; after each move every one of them is there with its
// content, none twice. During each move the tenant is frozen (kamaji-freeze refuses writes, status Migrating); after
// it writes work again, the freeze and the Job are gone, and the source no longer holds the tenant's data.
// Upstream's tcp_migration scenario, across drivers. KAMAJI_E2E_REUSE_CLUSTER=1 reuses the development cluster.
// The CI subset (the default) leaves out the first circuit: etcd → PostgreSQL → PostgreSQL (a watch across both),
// then the interrupted move and the rollback. KAMAJI_E2E_MIGRATION=all (`npm run test:migration`) runs everything;
// test/integration/tenant-copy.test.ts copies between every ordered pair of drivers in CI.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { clusterDir, startCluster, stopCluster } from "../../tools/cluster/lifecycle.js";
import { nodeTierDefaults } from "../../tools/cluster/node-tier.js";
import { loadState, type ClusterState } from "../../tools/cluster/state.js";
import { waitForTenantReady, writeTenantKubeconfig } from "../../tools/demo/tenant.js";
import { installKamaji, kubectl, kubectlApply } from "../../tools/install/install.js";
import { binary, kubernetesBinary, versions } from "../../tools/upstream.js";
import {
  kineDataStore,
  serverOf,
  sqlQuery,
  startKineServers,
  type KineServer,
  type KineServers,
} from "../helpers/kine-servers.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { chartEtcdctl, nodeTierSkipReason, reuseCluster } from "../helpers/node-tier-e2e.js";
import { kubectlAsync } from "../helpers/tenant-probes.js";

const skip = nodeTierSkipReason([
  () => kubernetesBinary("kube-apiserver"),
  () => binary("helm", "helm"),
  () => binary("kine", "kine"),
]);
const log = (message: string) => {
  console.error(`[migration] ${message}`);
};
const namespace = "e2e-migration";
const tcp = "mover";
const objects = 1_000;
const everyDriver = process.env.KAMAJI_E2E_MIGRATION === "all";

interface TcpView {
  metadata: { uid: string };
  status?: {
    storage?: { dataStoreName?: string; driver?: string; setup?: { schema?: string; user?: string } };
    kubernetesResources?: { version?: { status?: string } };
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

const title = everyDriver
  ? "every driver"
  : "etcd and PostgreSQL (the CI subset; KAMAJI_E2E_MIGRATION=all for every driver)";
describe(`live migration between DataStores of ${title}`, { skip, timeout: 3_600_000 }, () => {
  let state: ClusterState;
  let dir: string;
  let started = false;
  let servers: KineServers = new Map();
  let gold: TestPostgres | undefined;
  let tenantKubeconfig = "";
  let expected = "";
  const admin = (args: string[], input?: string) => kubectl(args, state.kubeconfig, input);
  const tenant = (args: string[], input?: string) => kubectl(args, tenantKubeconfig, input);
  const readTcp = async () =>
    JSON.parse(await kubectlAsync(state.kubeconfig, ["get", "tcp", tcp, "-n", namespace, "-o", "json"])) as TcpView;

  /** name → sha256 of the data, for every ConfigMap and Secret of the payload namespace. */
  const payloadDigest = async () => {
    const out = await kubectlAsync(tenantKubeconfig, ["get", "configmaps,secrets", "-n", "payload", "-o", "json"]);
    const items = (JSON.parse(out) as { items: { kind: string; metadata: { name: string }; data?: object }[] }).items
      .filter((item) => item.metadata.name.startsWith("object-"))
      .map(
        (item) =>
          `${item.kind}/${item.metadata.name}=${createHash("sha256")
            .update(JSON.stringify(item.data ?? {}))
            .digest("hex")}`,
      )
      .sort();
    return { count: items.length, digest: createHash("sha256").update(items.join("\n")).digest("hex") };
  };

  before(async () => {
    const begin = Date.now();
    const running = reuseCluster ? loadState(clusterDir()) : undefined;
    dir = running?.dir ?? mkdtempSync("/var/tmp/kamaji-migration-e2e-");
    state = running ?? (await startCluster(dir, "node", log)).state;
    started = true;
    servers = await startKineServers({ netns: nodeTierDefaults.netns, listenAddress: nodeTierDefaults.nodeAddress });
    // A second PostgreSQL server: a move between two DataStores of the same driver (upstream's tcp_migration).
    gold = await startTestPostgres({ netns: nodeTierDefaults.netns, listenAddress: nodeTierDefaults.nodeAddress });
    await installKamaji(state, { progress: log });
    kubectlApply(
      JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }),
      state.kubeconfig,
    );
    const dataStores = [...servers].map(([driver, server]) =>
      kineDataStore(`${driver.toLowerCase()}-silver`, driver, server),
    );
    dataStores.push(kineDataStore("postgresql-gold", "PostgreSQL", goldServer()));
    for (const { secret, dataStore } of dataStores) {
      kubectlApply(JSON.stringify(secret), state.kubeconfig);
      kubectlApply(JSON.stringify(dataStore), state.kubeconfig);
    }
    kubectlApply(
      JSON.stringify({
        apiVersion: "kamaji.clastix.io/v1alpha1",
        kind: "TenantControlPlane",
        metadata: { name: tcp, namespace },
        spec: {
          controlPlane: { deployment: { replicas: 1 }, service: { serviceType: "ClusterIP" } },
          kubernetes: { version: versions.kubernetes, kubelet: {} },
          addons: {},
        },
      }),
      state.kubeconfig,
    );
    tenantKubeconfig = join(state.dir, `e2e-${tcp}.kubeconfig`);
    writeTenantKubeconfig(
      { name: tcp, namespace },
      await waitForTenantReady({ name: tcp, namespace }, state.kubeconfig, log),
      state.kubeconfig,
      tenantKubeconfig,
    );
    // 1,000 objects of mixed kinds and sizes.
    tenant(["create", "namespace", "payload"]);
    for (let start = 0; start < objects; start += 200) {
      const items = Array.from({ length: 200 }, (_, offset) => {
        const i = start + offset;
        const data = { index: String(i), body: "x".repeat(i % 10 === 0 ? 8_192 : 32 + (i % 500)) };
        return i % 3 === 0
          ? {
              apiVersion: "v1",
              kind: "Secret",
              metadata: { name: `object-${i}`, namespace: "payload" },
              stringData: data,
            }
          : { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `object-${i}`, namespace: "payload" }, data };
      });
      tenant(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
    }
    const before = await payloadDigest();
    assert.equal(before.count, objects);
    expected = before.digest;
    log(
      `cluster, Kamaji, servers, tenant and ${objects} objects ready in ${((Date.now() - begin) / 1000).toFixed(1)} s`,
    );
  });

  after(async () => {
    if (!started) return;
    if (reuseCluster) {
      admin(["delete", "namespace", namespace, "--wait=true", "--timeout=120s"]);
      for (const driver of servers.keys()) admin(["delete", "datastore", `${driver.toLowerCase()}-silver`]);
      admin(["delete", "datastore", "postgresql-gold"]);
    }
    await Promise.allSettled([...[...servers.values()].map((s) => s.stop()), gold?.stop()]);
    if (!reuseCluster) await stopCluster(dir, log);
  });

  /** The second PostgreSQL as the DataStore helpers take a server. */
  const goldServer = (): KineServer => {
    if (gold === undefined) throw new Error("the second PostgreSQL did not start");
    const { endpoint, caPem, adminUser, adminPassword } = gold;
    return { endpoint, caPem, user: adminUser, password: adminPassword, stop: () => Promise.resolve() };
  };

  /** Resolves with `read()`'s output once it is not empty (a minute at most). */
  const waitForOutput = async (read: () => string): Promise<string> => {
    const begin = Date.now();
    for (;;) {
      const out = read().trim();
      if (out !== "") return out;
      if (Date.now() - begin > 60_000) throw new Error("nothing appeared in a minute");
      await sleep(250);
    }
  };

  /** Whether the source still holds anything of the tenant once the move is done. */
  const sourceHolds = async (dataStore: string, schema: string): Promise<boolean> => {
    if (dataStore === "default") {
      return chartEtcdctl(state)(["get", "--prefix", "--keys-only", "--limit=1", `/${schema}/`]).trim() !== "";
    }
    if (dataStore === "postgresql-gold") {
      const rows = await sqlQuery("PostgreSQL", goldServer(), "SELECT 1 FROM pg_database WHERE datname = $1", [schema]);
      return rows.length > 0;
    }
    if (dataStore === "postgresql-silver") {
      const rows = await sqlQuery(
        "PostgreSQL",
        serverOf(servers, "PostgreSQL"),
        "SELECT 1 FROM pg_database WHERE datname = $1",
        [schema],
      );
      return rows.length > 0;
    }
    if (dataStore === "mysql-silver") {
      const rows = await sqlQuery(
        "MySQL",
        serverOf(servers, "MySQL"),
        "SELECT 1 FROM information_schema.schemata WHERE schema_name = ?",
        [schema],
      );
      return rows.length > 0;
    }
    const buckets = (await serverOf(servers, "NATS").buckets?.()) ?? [];
    return buckets.includes(schema);
  };

  /**
   * Moves the tenant to `target` and checks the outcome; `interrupt` runs once the move is under way (status
   * Migrating), concurrently with it.
   */
  async function moveTo(target: string, interrupt?: () => Promise<void>): Promise<void> {
    const before = await readTcp();
    const source = before.status?.storage?.dataStoreName ?? "";
    const schema = before.status?.storage?.setup?.schema ?? "";
    const begin = Date.now();
    admin([
      "patch",
      "tcp",
      tcp,
      "-n",
      namespace,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { dataStore: target } }),
    ]);
    let sawMigrating = false;
    let refused = "";
    let interrupted: Promise<void> | undefined;
    for (;;) {
      const view = await readTcp();
      if (view.status?.kubernetesResources?.version?.status === "Migrating") {
        sawMigrating = true;
        interrupted ??= interrupt?.();
        if (refused === "") {
          try {
            await kubectlAsync(tenantKubeconfig, ["create", "namespace", `during-${target}`]);
          } catch (error) {
            refused = (error as Error).message;
          }
        }
      }
      const done =
        view.status?.storage?.dataStoreName === target && view.status.kubernetesResources?.version?.status === "Ready";
      if (done) break;
      const failed = view.status?.conditions?.find((c) => c.type === "Reconciled" && c.reason === "MigrationFailed");
      if (failed) throw new Error(`migration failed: ${failed.message}`);
      if (Date.now() - begin > 600_000)
        throw new Error(`not moved to ${target} after 600 s: ${JSON.stringify(view.status?.conditions)}`);
      await sleep(1_000);
    }
    await interrupted;
    const seconds = (Date.now() - begin) / 1000;
    const after = await payloadDigest();
    log(
      `${source} → ${target}: ${seconds.toFixed(1)} s for ${after.count} objects (write during the move: ${refused ? "refused" : "not tried"})`,
    );
    assert.ok(sawMigrating, "status Migrating was seen");
    assert.match(refused, /freezing mode/, "a write during the move was refused by the freeze");
    assert.equal(after.count, objects, "every object is there, none twice");
    assert.equal(after.digest, expected, "with its content");
    await assertWritable(`after-${target}`);
    // The Job is gone, and the source holds nothing of the tenant.
    for (let i = 0; i < 30 && (await sourceHolds(source, schema)); i++) await sleep(1_000);
    assert.equal(await sourceHolds(source, schema), false, `${source} no longer holds schema ${schema}`);
    assert.equal(migrationJobs(), "");
  }

  const migrationJobs = () =>
    admin(["get", "jobs", "-n", "kamaji-system", "-l", "kamaji.clastix.io/component=migrate", "-o", "name"]);

  /** Writes work: the per-tenant controller lifts the freeze when it sees Ready (the lag is printed). */
  async function assertWritable(name: string): Promise<void> {
    const readyAt = Date.now();
    for (;;) {
      try {
        tenant(["create", "configmap", name, "-n", "payload", "--from-literal=ok=yes"]);
        break;
      } catch (error) {
        if (!/freezing mode/.test((error as Error).message) || Date.now() - readyAt > 30_000) throw error;
        await sleep(200);
      }
    }
    log(`writes accepted ${((Date.now() - readyAt) / 1000).toFixed(1)} s after Ready`);
    tenant(["delete", "configmap", name, "-n", "payload"]);
    assert.equal(
      tenant(["get", "validatingwebhookconfiguration", "kamaji-freeze", "--ignore-not-found", "-o", "name"]),
      "",
    );
  }

  const circuit = everyDriver ? ["postgresql-silver", "mysql-silver", "nats-silver", "default"] : [];
  for (const target of circuit) {
    test(`moves to ${target}: frozen while it moves, every object there after, writes work again, the source is cleaned`, () =>
      moveTo(target));
  }

  test("between two PostgreSQL DataStores (same driver): a watch resumed from before the move is told to list again", async () => {
    // A resourceVersion a client holds from before the move (the tenant runs on etcd here).
    const list = JSON.parse(tenant(["get", "--raw", "/api/v1/namespaces/payload/configmaps?limit=1"])) as {
      metadata: { resourceVersion: string };
    };
    await moveTo("postgresql-silver");
    await moveTo("postgresql-gold");
    let watched: string;
    try {
      watched = tenant([
        "get",
        "--raw",
        `/api/v1/namespaces/payload/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=5`,
      ]);
    } catch (error) {
      watched = (error as Error).message; // an HTTP 410 answer instead of an ERROR event
    }
    log(`a watch from resourceVersion ${list.metadata.resourceVersion} (before the moves): ${watched.slice(0, 240)}`);
    assert.match(
      watched,
      /"code":\s*410|\(Expired\)|too old resource version/,
      "410 Gone: the client lists again, no change missed or replayed",
    );
  });

  test("a move whose copy pod and operator are killed halfway resumes and completes", async () => {
    await moveTo("postgresql-silver", async () => {
      // The copy's pod as soon as it runs, then the operator.
      const pod = await waitForOutput(() =>
        admin(["get", "pods", "-n", "kamaji-system", "-l", "kamaji.clastix.io/component=migrate", "-o", "name"]),
      );
      admin(["delete", "-n", "kamaji-system", pod.split("\n")[0] ?? "", "--grace-period=0", "--force"]);
      log(`killed ${pod.split("\n")[0] ?? ""}`);
      admin([
        "delete",
        "pod",
        "-n",
        "kamaji-system",
        "-l",
        "app.kubernetes.io/name=kamaji",
        "--grace-period=0",
        "--force",
      ]);
      log("killed the operator");
    });
  });

  test("a move called off before the copy is done rolls back: the tenant stays where it was, the target is cleaned", async () => {
    const before = await readTcp();
    const schema = before.status?.storage?.setup?.schema ?? "";
    admin([
      "patch",
      "tcp",
      tcp,
      "-n",
      namespace,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { dataStore: "mysql-silver" } }),
    ]);
    await waitForOutput(migrationJobs);
    admin([
      "patch",
      "tcp",
      tcp,
      "-n",
      namespace,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { dataStore: "postgresql-silver" } }),
    ]);
    const begin = Date.now();
    for (;;) {
      const view = await readTcp();
      if (view.status?.kubernetesResources?.version?.status === "Ready" && migrationJobs() === "") break;
      if (Date.now() - begin > 180_000) throw new Error(`not back to Ready: ${JSON.stringify(view.status)}`);
      await sleep(1_000);
    }
    const view = await readTcp();
    assert.equal(view.status?.storage?.dataStoreName, "postgresql-silver", "the tenant stays on its DataStore");
    const after = await payloadDigest();
    assert.equal(after.digest, expected);
    await assertWritable("after-rollback");
    for (let i = 0; i < 30 && (await sourceHolds("mysql-silver", schema)); i++) await sleep(1_000);
    assert.equal(await sourceHolds("mysql-silver", schema), false, "the partial copy on the target was removed");
  });
});
