// The PostgreSQL driver against a real PostgreSQL 15 (TLS required, scram-sha-256): tenant isolation by database
// and role, idempotent provisioning and teardown, hostile names, what it refuses to touch, how it fails, and that
// the real kine works with what it provisions. A separate pg Client as the superuser is the independent witness.
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { noop } from "cockatiel";
import { Etcd3 } from "etcd3";
import pg from "pg";
import type { DataStoreConnection, TenantStorage } from "../../src/datastore/driver.js";
import { openPostgresConnection } from "../../src/datastore/postgresql.js";
import { type CertificateKeyPem, encodeCertificateAndKey } from "../../src/pki/index.js";
import { freePort } from "../../tools/cluster/ports.js";
import { dataStoreErrorAssertion, elapsedMs, invalidConfiguration } from "../helpers/datastore-assertions.js";
import { putWhenReady, startKine } from "../helpers/kine.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { startSilentServer } from "../helpers/silent-server.js";
import { createTestAuthority, issueTestClientCertificate } from "../helpers/test-pki.js";

const tenant = (schema: string, user: string, password: string = randomUUID()): TenantStorage => ({
  schema,
  user,
  password,
});
const tenantA = tenant("tenant-a", "user-a");
const tenantB = tenant("tenant-b", "user-b");

const assertDataStoreError = dataStoreErrorAssertion("test-postgres");

describe("PostgreSQL driver", () => {
  let server: TestPostgres;
  /** A second server without TLS. */
  let plain: TestPostgres;
  let admin: DataStoreConnection;
  const opened: DataStoreConnection[] = [];

  const connect = (
    options: {
      endpoint?: string;
      user?: string;
      password?: string;
      caPem?: string;
      client?: CertificateKeyPem;
      tls?: boolean;
      timeoutMs?: number;
    } = {},
  ) => {
    const tls = {
      certificateAuthorityPem: options.caPem ?? server.caPem,
      clientCertificatePem: options.client?.certificatePem,
      clientKeyPem: options.client?.privateKeyPem,
    };
    const connection = openPostgresConnection(
      {
        name: "test-postgres",
        driver: "PostgreSQL",
        endpoints: [options.endpoint ?? server.endpoint],
        ...(options.tls === false ? {} : { tls }),
        basicAuth: {
          username: options.user ?? server.adminUser,
          password: options.password ?? server.adminPassword,
        },
      },
      { timeoutMs: options.timeoutMs },
    );
    opened.push(connection);
    return connection;
  };

  /** Runs `text` as the tenant, over TLS, in `database` (default its own); rejects with pg's error. */
  const asTenant = async (who: TenantStorage, text: string, values: unknown[] = [], database = who.schema) => {
    const client = new pg.Client({
      host: server.host,
      port: server.port,
      user: who.user,
      password: who.password,
      database,
      ssl: { ca: server.caPem },
      connectionTimeoutMillis: 5_000,
    });
    await client.connect();
    try {
      return (await client.query(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  const sqlState = (code: string) => (error: unknown) => (error as { code?: string }).code === code;
  const databases = async () =>
    (await server.query<{ datname: string }>("SELECT datname FROM pg_database ORDER BY 1")).map((r) => r.datname);
  const roles = async () =>
    (await server.query<{ rolname: string }>("SELECT rolname FROM pg_roles ORDER BY 1")).map((r) => r.rolname);
  const databaseExists = async (name: string) =>
    (await server.query("SELECT FROM pg_database WHERE datname = $1", [name])).length === 1;
  const roleExists = async (name: string) =>
    (await server.query("SELECT FROM pg_roles WHERE rolname = $1", [name])).length === 1;

  before(async () => {
    [server, plain] = await Promise.all([
      startTestPostgres({ requireTls: true, clientCertificateUsers: ["cert-admin"] }),
      startTestPostgres({ tls: false }),
    ]);
    admin = connect();
  });
  after(async () => {
    for (const connection of opened) await connection.close();
    await Promise.all([server.stop(), plain.stop()]);
  });

  test("check passes with the administrator's password over TLS", async () => {
    await admin.check();
  });

  test("provisioning creates a database owned by the tenant's role, closed to PUBLIC, and is idempotent", async () => {
    assert.equal(await admin.isProvisioned(tenantA), false);
    await admin.provision(tenantA);
    await admin.provision(tenantA);
    assert.equal(await admin.isProvisioned(tenantA), true);

    const [database] = await server.query(
      `SELECT pg_get_userbyid(datdba) AS owner, has_database_privilege('public', oid, 'CONNECT') AS public_connect
         FROM pg_database WHERE datname = $1`,
      [tenantA.schema],
    );
    assert.deepEqual(database, { owner: tenantA.user, public_connect: false });
    const [role] = await server.query(
      "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = $1",
      [tenantA.user],
    );
    assert.deepEqual(role, { rolcanlogin: true, rolsuper: false, rolcreatedb: false, rolcreaterole: false });
  });

  test("isProvisioned is false when PUBLIC may connect again or the role is gone", async () => {
    await admin.provision(tenantB);
    await server.query(`GRANT CONNECT ON DATABASE "tenant-b" TO PUBLIC`);
    assert.equal(await admin.isProvisioned(tenantB), false);
    await admin.provision(tenantB);
    assert.equal(await admin.isProvisioned(tenantB), true);
    assert.equal(await admin.isProvisioned({ ...tenantB, user: "user-missing" }), false);
  });

  test("a tenant uses its own database over TLS, and cannot even connect to another tenant's", async () => {
    await admin.provision(tenantA);
    await admin.provision(tenantB);
    await asTenant(tenantA, "CREATE TABLE IF NOT EXISTS a_data (v text)");
    await asTenant(tenantA, "INSERT INTO a_data VALUES ($1)", ["a-secret"]);
    assert.deepEqual(await asTenant(tenantA, "SELECT v FROM a_data"), [{ v: "a-secret" }]);
    assert.deepEqual(await asTenant(tenantA, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"), [
      { ssl: true },
    ]);
    await asTenant(tenantB, "CREATE TABLE IF NOT EXISTS b_data (v text)");

    // 42501: "permission denied for database": PUBLIC's CONNECT is revoked.
    await assert.rejects(asTenant(tenantA, "SELECT 1", [], tenantB.schema), sqlState("42501"));
    await assert.rejects(asTenant(tenantB, "SELECT * FROM a_data", [], tenantA.schema), sqlState("42501"));
    // Neither may create databases or roles.
    await assert.rejects(asTenant(tenantA, `CREATE DATABASE "a-extra"`), sqlState("42501"));
    await assert.rejects(asTenant(tenantA, `CREATE ROLE "a-extra"`), sqlState("42501"));
  });

  test("provisioning again with a new password retires the old one", async () => {
    await admin.provision(tenantA);
    const renewed = { ...tenantA, password: randomUUID() };
    await admin.provision(renewed);
    await assert.rejects(asTenant(tenantA, "SELECT 1"), sqlState("28P01"));
    assert.deepEqual(await asTenant(renewed, "SELECT 1 AS one"), [{ one: 1 }]);
    assert.equal(await admin.isProvisioned(renewed), true);
  });

  test("teardown removes the tenant's database and role, leaves everyone else's, and is idempotent", async () => {
    await admin.provision(tenantA);
    await admin.provision(tenantB);
    await asTenant(tenantB, "CREATE TABLE IF NOT EXISTS b_data (v text)");
    await asTenant(tenantB, "INSERT INTO b_data VALUES ('b-kept')");
    const others = { databases: await databases(), roles: await roles() };

    await admin.teardown(tenantA);
    await admin.teardown(tenantA);

    assert.equal(await databaseExists(tenantA.schema), false);
    assert.equal(await roleExists(tenantA.user), false);
    assert.equal(await admin.isProvisioned(tenantA), false);
    assert.deepEqual(
      await databases(),
      others.databases.filter((name) => name !== tenantA.schema),
    );
    assert.deepEqual(
      await roles(),
      others.roles.filter((name) => name !== tenantA.user),
    );
    assert.equal(await admin.isProvisioned(tenantB), true);
    assert.ok((await asTenant(tenantB, "SELECT v FROM b_data")).some((row) => row.v === "b-kept"));
  });

  test("teardown ends the tenant's open sessions", async () => {
    const busy = tenant("busy", "busy-user");
    await admin.provision(busy);
    const session = new pg.Client({
      host: server.host,
      port: server.port,
      user: busy.user,
      password: busy.password,
      database: busy.schema,
      ssl: { ca: server.caPem },
    });
    session.on("error", () => undefined);
    await session.connect();
    try {
      await admin.teardown(busy);
      assert.equal(await databaseExists(busy.schema), false);
      assert.equal(await roleExists(busy.user), false);
    } finally {
      await session.end().catch(() => undefined);
    }
  });

  test("hostile names and passwords are taken literally; a victim database survives", async () => {
    await server.query(`CREATE DATABASE victim`);
    const hostile = [
      tenant(`x"; DROP DATABASE victim; --`, `x"; DROP ROLE "user-b"; --`, `p'; DROP DATABASE victim; --`),
      tenant(`a\\b'c`, `a\\b'c`, `\\'; DROP DATABASE victim; --\\`),
      tenant("ünïcødé-名前", "ünïcødé-名前", "pässwörd-名前 '\" \\x00 $$ $1"),
      tenant("semi;colon", "semi;colon", "semi;colon"),
      tenant("dot.ted", "dot.ted", "E'\\\\' || 'x"),
      // Exactly 63 bytes of UTF-8 (21 three-byte characters), PostgreSQL's limit.
      tenant("名".repeat(21), "前".repeat(21)),
    ];
    for (const odd of hostile) {
      await admin.provision(odd);
      await admin.provision(odd);
      assert.equal(await admin.isProvisioned(odd), true, odd.schema);
      assert.equal(await databaseExists(odd.schema), true, odd.schema);
      assert.equal(await roleExists(odd.user), true, odd.user);
      await asTenant(odd, "CREATE TABLE t (v text)");
      await asTenant(odd, "INSERT INTO t VALUES ($1)", [odd.password]);
      assert.deepEqual(await asTenant(odd, "SELECT v FROM t"), [{ v: odd.password }]);
      assert.deepEqual(await asTenant(odd, "SELECT current_database() AS db, current_user AS u"), [
        { db: odd.schema, u: odd.user },
      ]);
    }
    for (const odd of hostile) {
      await admin.teardown(odd);
      await admin.teardown(odd);
      assert.equal(await databaseExists(odd.schema), false, odd.schema);
      assert.equal(await roleExists(odd.user), false, odd.user);
    }
    assert.equal(await databaseExists("victim"), true);
    assert.equal(await admin.isProvisioned(tenantB), true);
  });

  test("names PostgreSQL would truncate or that belong to the server are refused before anything is done", async () => {
    const before = { databases: await databases(), roles: await roles() };
    for (const [bad, pattern] of [
      [tenant("nul\0schema", "u"), /NUL/],
      [tenant("s", "nul\0user"), /NUL/],
      [tenant("名".repeat(21) + "x", "u"), /64 bytes long.*truncate.*collide/],
      [tenant("s", "u".repeat(64)), /64 bytes long/],
      [tenant("", "u"), /schema is empty/],
      [tenant("s", ""), /user is empty/],
      [tenant("postgres", "u"), /may not be "postgres"/],
      [tenant("template1", "u"), /may not be "template1"/],
      [tenant("s", "postgres"), /may not be "postgres"/],
      [tenant("s", server.adminUser), /DataStore administrator/],
      [tenant("s", "pg_monitor"), /reserves/],
      [tenant("s", "public"), /reserves/],
    ] as const) {
      await assertDataStoreError(admin.provision(bad), "InvalidConfiguration", /provision of tenant schema/, pattern);
      await assertDataStoreError(admin.teardown(bad), "InvalidConfiguration", /teardown of tenant schema/, pattern);
      await assertDataStoreError(admin.isProvisioned(bad), "InvalidConfiguration", pattern);
    }
    for (const password of ["", "nul\0password"]) {
      await assertDataStoreError(admin.provision(tenant("s", "u", password)), "InvalidConfiguration", /password/);
    }
    assert.deepEqual({ databases: await databases(), roles: await roles() }, before);
  });

  test("a database or role of the tenant's name that is someone else's is neither taken over nor removed", async () => {
    await server.query(`CREATE DATABASE "admins-db"`);
    await server.query(`CREATE ROLE "app-user" LOGIN PASSWORD 'app-password'`);
    await server.query(`CREATE ROLE "operator" LOGIN CREATEDB PASSWORD 'operator-password'`);
    const before = { databases: await databases(), roles: await roles() };
    for (const [foreign, pattern] of [
      [tenant("admins-db", "new-user"), /database "admins-db" already exists and belongs to "kamaji-admin"/],
      [tenant("new-db", "app-user"), /role "app-user" already exists and was not created for a tenant/],
      [tenant("new-db", "operator"), /role "operator" already exists with administrative attributes/],
      // Another tenant's database, or its user.
      [tenant(tenantB.schema, "new-user"), /database "tenant-b" already exists and belongs to "user-b"/],
      [tenant("new-db", tenantB.user), /role "user-b" already exists and owns other databases/],
    ] as const) {
      await assertDataStoreError(admin.provision(foreign), "InvalidConfiguration", pattern);
      assert.equal(await admin.isProvisioned(foreign), false);
      await admin.teardown(foreign);
    }
    assert.deepEqual({ databases: await databases(), roles: await roles() }, before);
    await server.query("SELECT 1"); // the witness still works as the administrator
    assert.equal(await admin.isProvisioned(tenantB), true);

    // A tenant provisioned before this driver (upstream Kamaji: a database owned by an unmarked role) is adopted.
    await server.query(`CREATE ROLE "legacy-user" LOGIN PASSWORD 'old'`);
    await server.query(`CREATE DATABASE "legacy" OWNER "legacy-user"`);
    const legacy = tenant("legacy", "legacy-user");
    await admin.provision(legacy);
    assert.equal(await admin.isProvisioned(legacy), true);
    assert.deepEqual(await asTenant(legacy, "SELECT 1 AS one"), [{ one: 1 }]);
    await admin.teardown(legacy);
    assert.equal(await databaseExists("legacy"), false);
    assert.equal(await roleExists("legacy-user"), false);
  });

  test("provisioning hands over a kine table the administrator made, and then kine's grants suffice", async () => {
    const migrated = tenant("migrated", "migrated-user");
    await admin.provision(migrated);
    await server.query("CREATE TABLE kine (id bigserial PRIMARY KEY, name text)", [], migrated.schema);
    assert.equal(await admin.isProvisioned(migrated), false);
    await admin.provision(migrated);
    assert.equal(await admin.isProvisioned(migrated), true);
    const [owner] = await server.query(
      "SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'kine'",
      [],
      migrated.schema,
    );
    assert.deepEqual(owner, { owner: migrated.user });
    await asTenant(migrated, "INSERT INTO kine (name) VALUES ('x')");
    await admin.teardown(migrated);
  });

  test("the real kine stores and reads keys with the provisioned database and user", async () => {
    const id = randomUUID();
    const kineTenant = tenant(id, id);
    await admin.provision(kineTenant);
    const credentials = `${encodeURIComponent(kineTenant.user)}:${encodeURIComponent(kineTenant.password)}`;
    const kine = await startKine(`postgres://${credentials}@${server.endpoint}/${kineTenant.schema}`, server.caPem);
    // No circuit breaker: etcd3's default would hold off for seconds after the first try, made before kine listens.
    const client = new Etcd3({ hosts: `http://${kine.listen}`, faultHandling: { host: () => noop, global: noop } });
    try {
      await putWhenReady(kine, client, "/registry/configmaps/default/marker", "stored-in-postgres");
      assert.equal(await client.get("/registry/configmaps/default/marker").string(), "stored-in-postgres");
      const rows = await server.query<{ value: Buffer; owner: string }>(
        `SELECT value, pg_get_userbyid(c.relowner) AS owner FROM kine, pg_class c
          WHERE name = $1 AND c.relname = 'kine'`,
        ["/registry/configmaps/default/marker"],
        kineTenant.schema,
      );
      assert.ok(rows.some((row) => row.value.toString() === "stored-in-postgres" && row.owner === kineTenant.user));
      assert.equal(await admin.isProvisioned(kineTenant), true);
      const sessions = await server.query(
        "SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = $1",
        [kineTenant.user],
      );
      assert.ok(sessions.length > 0 && sessions.every((session) => session.ssl === true), "kine uses TLS");
    } finally {
      client.close();
      await kine.stop();
    }
    await admin.teardown(kineTenant);
    assert.equal(await databaseExists(kineTenant.schema), false);
  });

  test("a wrong administrator password or a missing TLS configuration is Unauthorized", async () => {
    await assertDataStoreError(
      connect({ password: "wrong" }).check(),
      "Unauthorized",
      /password authentication failed for user "kamaji-admin"/,
      /28P01/,
      new RegExp(`on ${server.endpoint}`),
    );
    const before = await databases();
    await assertDataStoreError(
      connect({ password: "wrong" }).provision(tenant("ghost", "ghost-user")),
      "Unauthorized",
      /provision of tenant schema "ghost" \(user "ghost-user"\): connecting to database "postgres" failed/,
    );
    assert.deepEqual(await databases(), before);
    // The server accepts only TLS (hostssl): without it, no pg_hba.conf line matches.
    await assertDataStoreError(connect({ tls: false }).check(), "Unauthorized", /no pg_hba\.conf entry.*no encryption/);
  });

  test("TLS problems are reported as such", async () => {
    await assertDataStoreError(
      connect({ endpoint: plain.endpoint, caPem: plain.caPem }).check(),
      "Unreachable",
      /the server does not accept TLS connections/,
    );
    const otherCa = encodeCertificateAndKey(await createTestAuthority("other-ca"));
    await assertDataStoreError(
      connect({ caPem: otherCa.certificatePem }).check(),
      "Unauthorized",
      /certificate verification failed/,
    );
    // Something else than PostgreSQL at the endpoint: a MariaDB server greets every client first.
    const impostor = await startSilentServer(Buffer.from("5b0000000a31302e31312e362d4d617269614442", "hex"));
    try {
      for (const tls of [true, false]) {
        await assertDataStoreError(
          connect({ endpoint: impostor.endpoint, tls }).check(),
          "InvalidConfiguration",
          /does not speak PostgreSQL's protocol/,
        );
      }
    } finally {
      await impostor.close();
    }
    // By name: the certificate's DNS name verifies too.
    await connect({ endpoint: `localhost:${server.port}` }).check();
  });

  test("an administrator client certificate is presented, and a refused one is Unauthorized", async () => {
    const password = randomUUID();
    await server.query(`CREATE ROLE "cert-admin" LOGIN SUPERUSER PASSWORD '${password}'`);
    const asCertAdmin = (client?: CertificateKeyPem) => connect({ user: "cert-admin", password, client });
    await asCertAdmin(await server.issueClientCertificate("cert-admin")).check();
    await assertDataStoreError(asCertAdmin().check(), "Unauthorized", /connection requires a valid client certificate/);
    // A certificate for another user: PostgreSQL logs the CN mismatch but tells the client only that
    // authentication failed.
    await assertDataStoreError(
      asCertAdmin(await server.issueClientCertificate("someone-else")).check(),
      "Unauthorized",
      /authentication failed for user "cert-admin" \(SQLSTATE 28P01\)/,
    );
    const foreign = await issueTestClientCertificate(await createTestAuthority("other-ca"), "cert-admin");
    await assertDataStoreError(
      asCertAdmin(foreign).check(),
      "Unauthorized",
      /the server refused the administrator client certificate/,
    );
  });

  test("an unreachable or silent server fails within the deadline", async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    let took = await elapsedMs(() =>
      assertDataStoreError(
        connect({ endpoint: dead }).check(),
        "Unreachable",
        new RegExp(`${dead} unreachable`),
        /ECONNREFUSED/,
      ),
    );
    assert.ok(took < 3_000, `took ${took} ms`);

    // Accepts TCP connections and never answers, like a hung server.
    const silent = await startSilentServer();
    try {
      const connection = connect({ endpoint: silent.endpoint, timeoutMs: 1_000 });
      took = await elapsedMs(() =>
        assertDataStoreError(
          connection.provision(tenantA),
          "Unreachable",
          /no answer within 1 s/,
          /provision of tenant/,
        ),
      );
      assert.ok(took >= 900 && took < 3_000, `took ${took} ms`);
    } finally {
      await silent.close();
    }
    // The shared connection still works afterwards.
    await admin.check();
  });

  test("an unusable configuration is refused before connecting", () => {
    const config = {
      name: "test-postgres",
      driver: "PostgreSQL" as const,
      endpoints: [server.endpoint],
      tls: { certificateAuthorityPem: server.caPem },
      basicAuth: { username: server.adminUser, password: server.adminPassword },
    };
    assert.throws(() => openPostgresConnection({ ...config, endpoints: [] }), invalidConfiguration(/no endpoints/));
    for (const endpoint of ["postgres://127.0.0.1:5432", "127.0.0.1"]) {
      assert.throws(
        () => openPostgresConnection({ ...config, endpoints: [endpoint] }),
        invalidConfiguration(/not host:port/),
      );
    }
    assert.throws(
      () => openPostgresConnection({ ...config, driver: "MySQL" }),
      invalidConfiguration(/cannot open a MySQL/),
    );
    assert.throws(
      () => openPostgresConnection({ ...config, basicAuth: undefined }),
      invalidConfiguration(/needs basicAuth/),
    );
    assert.throws(
      () => openPostgresConnection({ ...config, tls: { certificateAuthorityPem: "garbage" } }),
      invalidConfiguration(/the DataStore CA/),
    );
    assert.throws(
      () =>
        openPostgresConnection({
          ...config,
          tls: { certificateAuthorityPem: server.caPem, clientCertificatePem: server.caPem },
        }),
      invalidConfiguration(/given together/),
    );
  });
});
