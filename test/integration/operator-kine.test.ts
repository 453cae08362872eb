// The operator with PostgreSQL, MariaDB and NATS DataStores (Debian's servers on loopback, with TLS) against a real
// kube-apiserver: DataStore checks and what a wrong one says, the tenant's share on each server, the kine sidecar in
// the Deployment, a tampered DB_PASSWORD, names kine cannot carry, and deletion. The servers are queried directly,
// as their administrators, independently of the drivers.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { resourceTypes } from "../../src/runtime/resource-types.js";
import { freePort } from "../../tools/cluster/ports.js";
import { waitFor } from "../../tools/cluster/wait.js";
import {
  kineDataStore,
  serverOf,
  sqlQuery,
  startKineServers,
  type KineDriver,
  type KineServers,
} from "../helpers/kine-servers.js";
import {
  getTcp,
  startManager,
  startOperatorEnvironment,
  tenantControlPlane,
  waitCondition,
  waitReconciled,
  type OperatorEnvironment,
  type RunningManager,
} from "../helpers/operator.js";
import { startTestPostgres } from "../helpers/postgres.js";

const ns = "kine-tenants";

const decode = (value: string | undefined) => Buffer.from(value ?? "", "base64").toString("utf8");

describe("operator on the api tier with PostgreSQL, MariaDB and NATS DataStores", { timeout: 600_000 }, () => {
  let env: OperatorEnvironment;
  let manager: RunningManager;
  let servers: KineServers = new Map();
  const server = (driver: KineDriver) => serverOf(servers, driver);
  const apply = (object: unknown) => env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(object));

  const sql = (
    driver: "PostgreSQL" | "MySQL",
    query: string,
    values: string[] = [],
    options: { database?: string; login?: { user: string; password: string } } = {},
  ) => sqlQuery(driver, server(driver), query, values, options);

  const dataStoreCondition = (name: string, predicate: (c: any) => boolean, timeoutMs = 30_000) =>
    waitFor(
      `DataStore ${name} validation condition`,
      async () => {
        const found = await env.client.get<any>(resourceTypes.dataStore, name);
        const c = found?.status?.conditions?.find((x: any) => x.type === "kamaji.clastix.io/DataStoreValidation");
        return c !== undefined && predicate(c) ? { ready: found.status.ready as boolean, ...c } : undefined;
      },
      timeoutMs,
    );

  const natsBuckets = async () => (await server("NATS").buckets?.()) ?? [];
  const secret = (name: string) => env.client.get<any>(resourceTypes.secret, name, ns);
  const deployment = (name: string) => env.client.get<any>(resourceTypes.deployment, name, ns);

  before(async () => {
    env = await startOperatorEnvironment();
    servers = await startKineServers();
    for (const [driver, s] of servers) {
      const { secret: credentials, dataStore } = kineDataStore(driver.toLowerCase(), driver, s);
      await apply(credentials);
      await apply(dataStore);
    }
    await env.cluster.kubectl(["create", "namespace", ns]);
    manager = startManager(env);
  });

  after(async () => {
    await manager.stop();
    await Promise.allSettled([...servers.values()].map((s) => s.stop()));
    await env.stop();
  });

  test("each DataStore is checked against its server and becomes ready", async () => {
    for (const driver of servers.keys()) {
      const condition = await dataStoreCondition(driver.toLowerCase(), (c) => c.status === "True");
      assert.equal(condition.reason, "DataStoreIsValid");
      assert.equal(condition.ready, true);
    }
  });

  test("a PostgreSQL tenant gets its database, role and the kine sidecar; its credentials work", async () => {
    await apply(tenantControlPlane("pg-a", ns, "postgresql"));
    const tcp = await waitReconciled(env, "pg-a", ns);
    const uid = tcp.metadata.uid ?? "";
    assert.deepEqual(tcp.status.storage.setup.schema, uid);
    assert.deepEqual(tcp.status.storage.setup.user, uid);
    const config = await secret("pg-a-datastore-config");
    assert.equal(decode(config.data.DB_CONNECTION_STRING), server("PostgreSQL").endpoint);
    assert.equal(decode(config.data.DB_SCHEMA), uid);
    assert.equal(decode(config.data.DB_USER), uid);
    const password = decode(config.data.DB_PASSWORD);
    assert.match(password, /^[0-9a-f-]{36}$/);

    const owner = await sql(
      "PostgreSQL",
      "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1",
      [uid],
    );
    assert.deepEqual(owner, [{ owner: uid }]);
    // kine, logged in as the tenant, creates its table in the tenant's database.
    await sql("PostgreSQL", "CREATE TABLE probe (id int)", [], { database: uid, login: { user: uid, password } });

    const pod = (await deployment("pg-a")).spec.template.spec;
    const kine = pod.containers.find((c: any) => c.name === "kine");
    assert.ok(kine, "no kine container");
    assert.ok(
      kine.args.includes("--endpoint=postgres://$(DB_USER):$(DB_PASSWORD)@$(DB_CONNECTION_STRING)/$(DB_SCHEMA)"),
      kine.args.join(" "),
    );
    assert.ok(kine.args.includes("--ca-file=/certs/ca.crt"));
    assert.deepEqual(kine.envFrom, [{ secretRef: { name: "pg-a-datastore-config" } }]);
    assert.deepEqual(
      pod.initContainers.map((c: any) => c.name),
      ["chmod"],
    );
    const apiServer = pod.containers.find((c: any) => c.name === "kube-apiserver");
    assert.ok(apiServer.args.includes("--etcd-servers=unix:///uds/kine"));
    const certificate = await secret("pg-a-datastore-certificate");
    assert.equal(decode(certificate.data["ca.crt"]), server("PostgreSQL").caPem);
  });

  test("a MySQL tenant's default user is its UID without dashes, and fits MySQL's 32 characters", async () => {
    await apply(tenantControlPlane("my-a", ns, "mysql"));
    const tcp = await waitReconciled(env, "my-a", ns);
    const uid = tcp.metadata.uid ?? "";
    const user = uid.replaceAll("-", "");
    assert.equal(tcp.status.storage.setup.user, user);
    const config = await secret("my-a-datastore-config");
    assert.equal(decode(config.data.DB_USER), user);
    const password = decode(config.data.DB_PASSWORD);
    await sql("MySQL", "CREATE TABLE probe (id int)", [], { database: uid, login: { user, password } });
    const kine = (await deployment("my-a")).spec.template.spec.containers.find((c: any) => c.name === "kine");
    assert.ok(
      kine.args.includes("--endpoint=mysql://$(DB_USER):$(DB_PASSWORD)@tcp($(DB_CONNECTION_STRING))/$(DB_SCHEMA)"),
    );
  });

  test("a NATS tenant gets its bucket, and kine connects with the DataStore's credentials", async () => {
    await apply(tenantControlPlane("nats-a", ns, "nats"));
    const tcp = await waitReconciled(env, "nats-a", ns);
    const config = await secret("nats-a-datastore-config");
    assert.equal(decode(config.data.DB_USER), server("NATS").user);
    assert.equal(decode(config.data.DB_PASSWORD), server("NATS").password);
    assert.equal(decode(config.data.DB_SCHEMA), tcp.metadata.uid);
    assert.ok((await natsBuckets()).includes(tcp.metadata.uid ?? ""), "no bucket named after the UID");
    const kine = (await deployment("nats-a")).spec.template.spec.containers.find((c: any) => c.name === "kine");
    assert.ok(
      kine.args.includes(
        "--endpoint=nats://$(DB_USER):$(DB_PASSWORD)@$(DB_CONNECTION_STRING)?bucket=$(DB_SCHEMA)&noEmbed",
      ),
    );
  });

  test("a deleted or corrupted DB_PASSWORD is regenerated, set on the server, and the pods roll", async () => {
    const before = await waitReconciled(env, "pg-a", ns);
    const podAnnotation = async () =>
      (await deployment("pg-a")).spec.template.metadata.annotations["storage.kamaji.clastix.io/config"] as string;
    const annotationBefore = await podAnnotation();
    assert.equal(annotationBefore, before.status.storage.config.checksum);
    const uid = before.metadata.uid ?? "";
    const oldPassword = decode((await secret("pg-a-datastore-config")).data.DB_PASSWORD);

    await env.cluster.kubectl([
      "patch",
      "secret",
      "pg-a-datastore-config",
      "-n",
      ns,
      "--type=json",
      "-p",
      JSON.stringify([{ op: "remove", path: "/data/DB_PASSWORD" }]),
    ]);
    const newPassword = await waitFor(
      "a new DB_PASSWORD",
      async () => {
        const value = decode((await secret("pg-a-datastore-config"))?.data?.DB_PASSWORD);
        return value !== "" && value !== oldPassword ? value : undefined;
      },
      30_000,
    );
    await waitFor(
      "the pod template to carry the new checksum",
      async () => ((await podAnnotation()) !== annotationBefore ? true : undefined),
      30_000,
    );
    // The role's password changed on the server with it.
    await sql("PostgreSQL", "SELECT 1", [], { database: uid, login: { user: uid, password: newPassword } });
    await assert.rejects(
      sql("PostgreSQL", "SELECT 1", [], { database: uid, login: { user: uid, password: oldPassword } }),
      /password authentication failed/,
    );
  });

  test("tenant A's credentials cannot reach tenant B's database", async () => {
    await apply(tenantControlPlane("pg-b", ns, "postgresql"));
    const b = await waitReconciled(env, "pg-b", ns);
    const a = await getTcp(env, "pg-a", ns);
    const aPassword = decode((await secret("pg-a-datastore-config")).data.DB_PASSWORD);
    await assert.rejects(
      sql("PostgreSQL", "SELECT 1", [], {
        database: b.metadata.uid ?? "",
        login: { user: a?.metadata.uid ?? "", password: aPassword },
      }),
      /permission denied/,
    );
  });

  test("names kine cannot carry are refused before anything is created on the server", async () => {
    const manifest = tenantControlPlane("pg-bad-name", ns, "postgresql");
    (manifest.spec as Record<string, unknown>).dataStoreSchema = "tenant.with/odd?chars";
    await apply(manifest);
    const condition = await waitCondition(env, "pg-bad-name", ns, "False", "DataStoreInvalid");
    assert.match(condition.message, /spec\.dataStoreSchema "tenant\.with\/odd\?chars": kine allows only letters/);
    assert.deepEqual(
      await sql("PostgreSQL", "SELECT 1 FROM pg_database WHERE datname = $1", ["tenant.with/odd?chars"]),
      [],
    );
    await env.cluster.kubectl(["delete", "tcp", "pg-bad-name", "-n", ns, "--wait=true", "--timeout=30s"]);
  });

  test("a DataStore whose driver does not match its server says so, and its tenants wait with nothing created", async () => {
    // The PostgreSQL driver pointed at the MariaDB server.
    const { secret: credentials, dataStore } = kineDataStore(
      "pg-on-mysql",
      "PostgreSQL",
      server("PostgreSQL"),
      server("MySQL").endpoint,
    );
    await apply(credentials);
    await apply(dataStore);
    const condition = await dataStoreCondition("pg-on-mysql", (c) => c.status === "False");
    assert.equal(condition.ready, false);
    assert.match(condition.message, new RegExp(`pg-on-mysql.*${server("MySQL").endpoint}`));
    await apply(tenantControlPlane("waits", ns, "pg-on-mysql"));
    const waiting = await waitCondition(env, "waits", ns, "False", "DataStoreNotReady");
    assert.match(waiting.message, /DataStore pg-on-mysql is not ready/);
    const tcp = await getTcp(env, "waits", ns);
    assert.equal(tcp?.status?.storage?.setup, undefined, "nothing recorded as provisioned");
    await env.cluster.kubectl(["delete", "tcp", "waits", "-n", ns, "--wait=true", "--timeout=30s"]);
    await env.cluster.kubectl(["delete", "datastore", "pg-on-mysql", "--wait=true", "--timeout=30s"]);
  });

  test("a wrong password on each server is Unauthorized on the DataStore, naming the endpoint", async () => {
    for (const driver of servers.keys()) {
      const name = `${driver.toLowerCase()}-wrong-password`;
      const wrong = kineDataStore(name, driver, { ...server(driver), password: "not-the-password" });
      await apply(wrong.secret);
      await apply(wrong.dataStore);
      const condition = await dataStoreCondition(name, (c) => c.status === "False");
      assert.equal(condition.ready, false, driver);
      assert.equal(condition.reason, "DataStoreUnauthorized", `${driver}: ${String(condition.message)}`);
      assert.ok(String(condition.message).includes(server(driver).endpoint), `${driver}: ${String(condition.message)}`);
      await env.cluster.kubectl(["delete", "datastore", name, "--wait=true", "--timeout=30s"]);
    }
  });

  test("an endpoint without a port, a Secret without the password, a closed port, a server without TLS: each named in the condition", async () => {
    const noPort = kineDataStore("mysql-no-port", "MySQL", server("MySQL"), "127.0.0.1");
    await apply(noPort.secret);
    await apply(noPort.dataStore);
    const portCondition = await dataStoreCondition("mysql-no-port", (c) => c.status === "False");
    assert.equal(portCondition.reason, "EndpointValidationFailed");
    assert.match(portCondition.message, /spec\.endpoints: "127\.0\.0\.1" is not host:port/);

    const noPassword = kineDataStore("nats-no-password", "NATS", server("NATS"));
    delete (noPassword.secret.data as Record<string, string>).password;
    await apply(noPassword.secret);
    await apply(noPassword.dataStore);
    const keyCondition = await dataStoreCondition("nats-no-password", (c) => c.status === "False");
    assert.equal(keyCondition.reason, "BasicAuthValidationFailed");
    assert.match(keyCondition.message, /spec\.basicAuth\.password\.secretReference\.keyPath: .* has no key "password"/);

    const closed = kineDataStore(
      "pg-closed",
      "PostgreSQL",
      server("PostgreSQL"),
      `127.0.0.1:${String(await freePort())}`,
    );
    await apply(closed.secret);
    await apply(closed.dataStore);
    const closedCondition = await dataStoreCondition("pg-closed", (c) => c.status === "False");
    assert.equal(closedCondition.reason, "DataStoreUnreachable");

    // A server without TLS, for a DataStore that insists on it.
    const plain = await startTestPostgres({ tls: false });
    try {
      const noTls = kineDataStore("pg-no-tls", "PostgreSQL", server("PostgreSQL"), plain.endpoint);
      await apply(noTls.secret);
      await apply(noTls.dataStore);
      const tlsCondition = await dataStoreCondition("pg-no-tls", (c) => c.status === "False");
      assert.equal(tlsCondition.reason, "DataStoreUnreachable");
      assert.match(tlsCondition.message, /does not accept TLS/);
    } finally {
      await plain.stop();
    }

    for (const name of ["mysql-no-port", "nats-no-password", "pg-closed", "pg-no-tls"]) {
      await env.cluster.kubectl(["delete", "datastore", name, "--wait=true", "--timeout=30s"]);
    }
  });

  test("deleting the tenants removes their databases, users, grants and buckets, and nothing else", async () => {
    const a = await getTcp(env, "pg-a", ns);
    const b = await getTcp(env, "pg-b", ns);
    const my = await getTcp(env, "my-a", ns);
    const bucket = (await getTcp(env, "nats-a", ns))?.metadata.uid ?? "";
    await env.cluster.kubectl(["delete", "tcp", "pg-a", "my-a", "nats-a", "-n", ns, "--wait=true", "--timeout=60s"]);
    const aUid = a?.metadata.uid ?? "";
    assert.deepEqual(await sql("PostgreSQL", "SELECT 1 FROM pg_database WHERE datname = $1", [aUid]), []);
    assert.deepEqual(await sql("PostgreSQL", "SELECT 1 FROM pg_roles WHERE rolname = $1", [aUid]), []);
    const bUid = b?.metadata.uid ?? "";
    assert.deepEqual(await sql("PostgreSQL", "SELECT 1 AS present FROM pg_database WHERE datname = $1", [bUid]), [
      { present: 1 },
    ]);
    const myUid = my?.metadata.uid ?? "";
    assert.deepEqual(
      await sql("MySQL", "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [myUid]),
      [],
    );
    assert.deepEqual(await sql("MySQL", "SELECT 1 FROM mysql.user WHERE User = ?", [myUid.replaceAll("-", "")]), []);
    assert.deepEqual(await sql("MySQL", "SELECT 1 FROM mysql.db WHERE User = ?", [myUid.replaceAll("-", "")]), []);
    assert.ok(!(await natsBuckets()).includes(bucket), `bucket ${bucket} is still there`);
  });
});
