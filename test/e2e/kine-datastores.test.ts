// TenantControlPlanes on PostgreSQL, MariaDB and NATS DataStores through the kine sidecar, on the node tier: the
// servers are Debian's, started by this test inside the node's network namespace (so pods reach them at the node
// address) with TLS. Ports upstream's tcp_{postgres,mysql,nats}_ready and postgres datastore-config scenarios, and
// checks what upstream does not: the tenant's data is in its own database or bucket, and deleting the TCP removes
// the database, user and grants. Starts its own cluster, or reuses the development cluster when
// KAMAJI_E2E_REUSE_CLUSTER=1.
import { mkdtempSync } from "node:fs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { clusterDir, startCluster, stopCluster } from "../../tools/cluster/lifecycle.js";
import { nodeTierDefaults } from "../../tools/cluster/node-tier.js";
import { loadState, type ClusterState } from "../../tools/cluster/state.js";
import { waitFor } from "../../tools/cluster/wait.js";
import { waitForTenantReady, writeTenantKubeconfig } from "../../tools/demo/tenant.js";
import { installKamaji, kubectl, kubectlApply } from "../../tools/install/install.js";
import { binary, kubernetesBinary, versions } from "../../tools/upstream.js";
import { b64 } from "../helpers/operator.js";
import {
  kineDataStore,
  kineNatsKey,
  serverOf,
  sqlQuery,
  startKineServers,
  type KineDriver,
  type KineServers,
} from "../helpers/kine-servers.js";
import { nodeTierSkipReason, reuseCluster } from "../helpers/node-tier-e2e.js";

const reuse = reuseCluster;

const skip = nodeTierSkipReason([
  () => kubernetesBinary("kube-apiserver"),
  () => binary("helm", "helm"),
  () => binary("kine", "kine"),
]);
const log = (message: string) => {
  console.error(`[kine] ${message}`);
};
const namespace = "e2e-kine";

interface Tcp {
  metadata: { name: string; uid?: string };
  status?: { storage?: { setup?: { schema?: string; user?: string } } };
}

describe("TenantControlPlanes on kine DataStores", { skip }, () => {
  let state: ClusterState;
  let dir: string;
  let started = false;
  let servers: KineServers = new Map();
  const admin = (args: string[], input?: string) => kubectl(args, state.kubeconfig, input);
  const getTcp = (name: string) => JSON.parse(admin(["get", "tcp", name, "-n", namespace, "-o", "json"])) as Tcp;
  const server = (driver: KineDriver) => serverOf(servers, driver);
  const sql = (driver: "PostgreSQL" | "MySQL", query: string, values: string[] = [], database?: string) =>
    sqlQuery(driver, server(driver), query, values, database === undefined ? {} : { database });
  /** Whether kine's table in `database` holds the marker ConfigMap written with `marker`. */
  const kineHoldsMarker = async (driver: "PostgreSQL" | "MySQL", database: string, marker: string) => {
    const placeholder = driver === "PostgreSQL" ? "$1" : "?";
    const rows = await sql(
      driver,
      `SELECT value FROM kine WHERE name = ${placeholder}`,
      ["/registry/configmaps/default/marker"],
      database,
    );
    return rows.some((row) => Buffer.from(row.value as Buffer).includes(marker));
  };

  const tenantControlPlane = (name: string, dataStoreName: string) => ({
    apiVersion: "kamaji.clastix.io/v1alpha1",
    kind: "TenantControlPlane",
    metadata: { name, namespace },
    spec: {
      dataStore: dataStoreName,
      controlPlane: { deployment: { replicas: 1 }, service: { serviceType: "ClusterIP" } },
      kubernetes: { version: versions.kubernetes, kubelet: {} },
      addons: {},
    },
  });

  /** Applies a TCP, waits for Ready, writes a ConfigMap through the tenant API and returns the TCP. */
  const tenantWithData = async (name: string, dataStoreName: string, marker: string): Promise<Tcp> => {
    kubectlApply(JSON.stringify(tenantControlPlane(name, dataStoreName)), state.kubeconfig);
    const kubeconfig = join(state.dir, `e2e-kine-${name}.kubeconfig`);
    writeTenantKubeconfig(
      { name, namespace },
      await waitForTenantReady({ name, namespace }, state.kubeconfig, log),
      state.kubeconfig,
      kubeconfig,
    );
    kubectl(["create", "configmap", "marker", "-n", "default", `--from-literal=value=${marker}`], kubeconfig);
    assert.equal(
      kubectl(["get", "configmap", "marker", "-n", "default", "-o", "jsonpath={.data.value}"], kubeconfig),
      marker,
    );
    return getTcp(name);
  };

  const deleteTcp = (name: string) => admin(["delete", "tcp", name, "-n", namespace, "--wait=true", "--timeout=90s"]);

  before(async () => {
    const begin = Date.now();
    const running = reuse ? loadState(clusterDir()) : undefined;
    dir = running?.dir ?? mkdtempSync("/var/tmp/kamaji-kine-e2e-");
    state = running ?? (await startCluster(dir, "node", log)).state;
    started = true;
    servers = await startKineServers({ netns: nodeTierDefaults.netns, listenAddress: nodeTierDefaults.nodeAddress });
    await installKamaji(state, { progress: log });
    kubectlApply(
      JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }),
      state.kubeconfig,
    );
    for (const [driver, s] of servers) {
      const { secret, dataStore } = kineDataStore(`${driver.toLowerCase()}-bronze`, driver, s);
      kubectlApply(JSON.stringify(secret), state.kubeconfig);
      kubectlApply(JSON.stringify(dataStore), state.kubeconfig);
    }
    log(`cluster, Kamaji and datastore servers ready in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    if (!started) return;
    if (reuse) {
      admin(["delete", "namespace", namespace, "--wait=true", "--timeout=120s"]);
      for (const driver of servers.keys()) admin(["delete", "datastore", `${driver.toLowerCase()}-bronze`]);
    }
    await Promise.allSettled([...servers.values()].map((s) => s.stop()));
    if (!reuse) await stopCluster(dir, log);
  });

  test("the DataStores of each driver are checked against their servers and become ready", async () => {
    for (const driver of servers.keys()) {
      const name = `${driver.toLowerCase()}-bronze`;
      await waitFor(
        `DataStore ${name} to be ready`,
        () => admin(["get", "datastore", name, "-o", "jsonpath={.status.ready}"]) === "true" || undefined,
        90_000,
        1_000,
      );
    }
  });

  test("PostgreSQL: Ready, the tenant's objects are in its own database, and deletion drops database and role", async () => {
    const tcp = await tenantWithData("pg", "postgresql-bronze", "stored-in-postgres");
    const { schema = "", user = "" } = tcp.status?.storage?.setup ?? {};
    assert.equal(schema, tcp.metadata.uid);
    assert.ok(await kineHoldsMarker("PostgreSQL", schema, "stored-in-postgres"), "marker not in kine");
    const owner = await sql(
      "PostgreSQL",
      "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1",
      [schema],
    );
    assert.deepEqual(owner, [{ owner: user }]);

    deleteTcp("pg");
    assert.deepEqual(await sql("PostgreSQL", "SELECT 1 FROM pg_database WHERE datname = $1", [schema]), []);
    assert.deepEqual(await sql("PostgreSQL", "SELECT 1 FROM pg_roles WHERE rolname = $1", [user]), []);
  });

  test("MariaDB: Ready, the tenant's objects are in its own database, and deletion drops database, user and grants", async () => {
    const tcp = await tenantWithData("maria", "mysql-bronze", "stored-in-mariadb");
    const { schema = "", user = "" } = tcp.status?.storage?.setup ?? {};
    assert.equal(user, (tcp.metadata.uid ?? "").replaceAll("-", ""), "the default MySQL user is the dashless UID");
    assert.ok(await kineHoldsMarker("MySQL", schema, "stored-in-mariadb"), "marker not in kine");

    deleteTcp("maria");
    assert.deepEqual(
      await sql("MySQL", "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [schema]),
      [],
    );
    assert.deepEqual(await sql("MySQL", "SELECT 1 FROM mysql.user WHERE User = ?", [user]), []);
    assert.deepEqual(await sql("MySQL", "SELECT 1 FROM mysql.db WHERE User = ?", [user]), []);
  });

  test("NATS: Ready, the tenant's objects are in its own bucket, and deletion removes the bucket", async () => {
    const tcp = await tenantWithData("nats", "nats-bronze", "stored-in-nats");
    const bucket = tcp.status?.storage?.setup?.schema ?? "";
    const keys = (await server("NATS").keys?.(bucket)) ?? [];
    const marker = kineNatsKey("/registry/configmaps/default/marker");
    assert.ok(keys.includes(marker), `no key ${marker} in bucket ${bucket} (${String(keys.length)} keys)`);

    deleteTcp("nats");
    const buckets = (await server("NATS").buckets?.()) ?? [];
    assert.ok(!buckets.includes(bucket), `bucket ${bucket} still exists`);
  });

  test("a corrupted DB_PASSWORD is regenerated, the server takes the new one and the pods roll", async () => {
    await tenantWithData("pg-heal", "postgresql-bronze", "before-healing");
    const configName = "pg-heal-datastore-config";
    const checksum = () =>
      admin([
        "get",
        "secret",
        configName,
        "-n",
        namespace,
        "-o",
        "jsonpath={.metadata.annotations.kamaji\\.clastix\\.io/checksum}",
      ]);
    const podAnnotation = () =>
      admin([
        "get",
        "deployment",
        "pg-heal",
        "-n",
        namespace,
        "-o",
        "jsonpath={.spec.template.metadata.annotations.storage\\.kamaji\\.clastix\\.io/config}",
      ]);
    const before = { checksum: checksum(), pod: podAnnotation() };
    admin([
      "patch",
      "secret",
      configName,
      "-n",
      namespace,
      "--type=merge",
      "-p",
      JSON.stringify({ data: { DB_PASSWORD: b64("corrupted") } }),
    ]);
    const regenerated = await waitFor(
      "the datastore-config Secret to be regenerated",
      () => {
        const now = checksum();
        return now !== before.checksum && now !== "" ? now : undefined;
      },
      60_000,
      1_000,
    );
    const password = Buffer.from(
      admin(["get", "secret", configName, "-n", namespace, "-o", "jsonpath={.data.DB_PASSWORD}"]),
      "base64",
    ).toString("utf8");
    assert.notEqual(password, "corrupted");
    await waitFor(
      "the pod template to carry the new checksum",
      () => (podAnnotation() === regenerated && podAnnotation() !== before.pod) || undefined,
      60_000,
      1_000,
    );
    admin(["rollout", "status", "deployment", "pg-heal", "-n", namespace, "--timeout=180s"]);
    // The server took the new password: kine in the new pod logs in with it, and so can we.
    const { schema = "", user = "" } = getTcp("pg-heal").status?.storage?.setup ?? {};
    await sqlQuery("PostgreSQL", server("PostgreSQL"), "SELECT 1", [], { database: schema, login: { user, password } });
    const tenantKubeconfig = join(state.dir, "e2e-kine-pg-heal.kubeconfig");
    writeTenantKubeconfig(
      { name: "pg-heal", namespace },
      await waitForTenantReady({ name: "pg-heal", namespace }, state.kubeconfig, log),
      state.kubeconfig,
      tenantKubeconfig,
    );
    assert.equal(
      kubectl(["get", "configmap", "marker", "-n", "default", "-o", "jsonpath={.data.value}"], tenantKubeconfig),
      "before-healing",
    );
    deleteTcp("pg-heal");
  });
});
