// The MySQL driver against a real MariaDB 10.11 (TLS required, an administrator with a password): tenant isolation
// by database and grant, idempotent provisioning and teardown, hostile names and passwords taken literally, how it
// fails on bad credentials, TLS mismatches and silent servers, and kine running on what it provisions.
// Separate mysql2 connections (the administrator's, the tenants') are the independent witnesses of what it did.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Etcd3 } from "etcd3";
import mysql from "mysql2/promise";
import { DataStoreError, type DataStoreConnection, type TenantStorage } from "../../src/datastore/driver.js";
import { openMysqlConnection } from "../../src/datastore/mysql.js";
import { encodeCertificateAndKey } from "../../src/pki/index.js";
import { freePort } from "../../tools/cluster/ports.js";
import { waitFor } from "../../tools/cluster/wait.js";
import { dataStoreErrorAssertion, elapsedMs, invalidConfiguration } from "../helpers/datastore-assertions.js";
import { putWhenReady, startKine } from "../helpers/kine.js";
import { startTestMariadb, type TestMariadb } from "../helpers/mariadb.js";
import { startSilentServer } from "../helpers/silent-server.js";
import { createTestAuthority } from "../helpers/test-pki.js";

const tenantA: TenantStorage = { schema: "tenant-a", user: "user-a", password: "password-a" };
const tenantB: TenantStorage = { schema: "tenant-b", user: "user-b", password: "password-b" };
/** Every character a naive quoting would trip on; `\n` after a backslash is what backslash escapes would turn into a newline. */
const HOSTILE_PASSWORD = `p'\\";\n\\n ?? :name ü名😀 -- '`;

const assertDataStoreError = dataStoreErrorAssertion("test-mysql");

describe("MySQL driver", { timeout: 180_000 }, () => {
  let server: TestMariadb;
  /** A second server without TLS. */
  let plain: TestMariadb;
  let admin: DataStoreConnection;
  const opened: DataStoreConnection[] = [];

  const connect = (
    options: {
      endpoint?: string;
      caPem?: string | null;
      user?: string;
      password?: string;
      timeoutMs?: number;
    } = {},
  ) => {
    const caPem = options.caPem === undefined ? server.caPem : options.caPem;
    const connection = openMysqlConnection(
      {
        name: "test-mysql",
        driver: "MySQL",
        endpoints: [options.endpoint ?? server.endpoint],
        ...(caPem === null ? {} : { tls: { certificateAuthorityPem: caPem } }),
        basicAuth: { username: options.user ?? server.adminUser, password: options.password ?? server.adminPassword },
      },
      { timeoutMs: options.timeoutMs },
    );
    opened.push(connection);
    return connection;
  };

  /** Connects as the tenant over TLS, as its kine would; rejects as the server refuses. */
  const loginAs = async (tenant: TenantStorage, password = tenant.password, database?: string) => {
    const [host = "", port = ""] = server.endpoint.split(":");
    return mysql.createConnection({
      host,
      port: Number(port),
      user: tenant.user,
      password,
      ...(database === undefined ? {} : { database }),
      ssl: { ca: server.caPem },
    });
  };
  /** Runs `use` on a tenant connection and closes it. */
  const asTenant = async <T>(tenant: TenantStorage, use: (connection: mysql.Connection) => Promise<T>) => {
    const connection = await loginAs(tenant);
    try {
      return await use(connection);
    } finally {
      await connection.end();
    }
  };
  /** False when the server refuses the credentials; any other failure is the test's. */
  const canLogIn = async (tenant: TenantStorage, password = tenant.password) => {
    try {
      await (await loginAs(tenant, password)).end();
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === "ER_ACCESS_DENIED_ERROR") return false;
      throw error;
    }
  };

  // The witness's view, names bound as parameters and compared exactly.
  const databaseExists = async (name: string) =>
    (await server.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [name])).some(
      (row) => row.SCHEMA_NAME === name,
    );
  const userExists = async (name: string) =>
    (await server.query("SELECT User FROM mysql.user WHERE User = ? AND Host = '%'", [name])).length > 0;
  const grantedDatabases = async (user: string) =>
    (await server.query("SELECT Db FROM mysql.db WHERE User = ? AND Host = '%'", [user])).map((row) => row.Db);
  const inventory = async () => ({
    databases: (await server.query("SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA")).map((r) => r.name),
    users: (await server.query("SELECT User AS name FROM mysql.user")).map((r) => r.name),
  });

  const started: TestMariadb[] = [];

  before(async () => {
    const results = await Promise.allSettled([
      startTestMariadb({ requireTls: true }),
      startTestMariadb({ tls: false }),
    ]);
    for (const result of results) {
      if (result.status === "fulfilled") started.push(result.value);
    }
    for (const result of results) {
      if (result.status === "rejected") throw new Error(`starting MariaDB: ${String(result.reason)}`);
    }
    [server, plain] = started as [TestMariadb, TestMariadb];
    admin = connect();
  });
  after(async () => {
    for (const connection of opened) await connection.close();
    await Promise.all(started.map((mariadb) => mariadb.stop()));
  });

  test("check passes with the administrator's password over TLS", async () => {
    await admin.check();
  });

  test("provisioning creates the database, the user and exactly kine's grants, and is idempotent", async () => {
    assert.equal(await admin.isProvisioned(tenantA), false);
    await admin.provision(tenantA);
    await admin.provision(tenantA);
    assert.equal(await admin.isProvisioned(tenantA), true);

    assert.ok(await databaseExists(tenantA.schema));
    assert.ok(await userExists(tenantA.user));
    const grants = await server.query("SELECT * FROM mysql.db WHERE User = ?", [tenantA.user]);
    assert.equal(grants.length, 1);
    const grant = grants[0]!;
    assert.equal(grant.Host, "%");
    assert.equal(grant.Db, tenantA.schema);
    const granted = Object.entries(grant)
      .filter(([column, value]) => column.endsWith("_priv") && value === "Y")
      .map(([column]) => column)
      .sort();
    assert.deepEqual(granted, [
      "Alter_priv",
      "Create_priv",
      "Delete_priv",
      "Index_priv",
      "Insert_priv",
      "Select_priv",
      "Update_priv",
    ]);
    // USAGE and the database grant, nothing global.
    assert.equal((await server.query("SHOW GRANTS FOR 'user-a'@'%'")).length, 2);
  });

  test("isProvisioned is false when the grant or the user is missing", async () => {
    await admin.provision(tenantB);
    await server.query("REVOKE INDEX ON `tenant-b`.* FROM 'user-b'@'%'");
    assert.equal(await admin.isProvisioned(tenantB), false);
    await admin.provision(tenantB);
    assert.equal(await admin.isProvisioned(tenantB), true);
    await server.query("DROP USER 'user-b'@'%'");
    assert.equal(await admin.isProvisioned(tenantB), false);
    await admin.provision(tenantB);
    assert.equal(await admin.isProvisioned(tenantB), true);
  });

  test("a tenant works in its own database and cannot touch another's", async () => {
    await admin.provision(tenantA);
    await admin.provision(tenantB);
    await server.query("CREATE TABLE IF NOT EXISTS `tenant-b`.secrets (v TEXT)");
    await server.query("INSERT INTO `tenant-b`.secrets VALUES ('b-data')");

    await asTenant(tenantA, async (a) => {
      await a.query("CREATE TABLE `tenant-a`.kv (k VARCHAR(64) PRIMARY KEY, v TEXT)");
      await a.query("CREATE INDEX kv_v ON `tenant-a`.kv (v(10))");
      await a.query("ALTER TABLE `tenant-a`.kv ADD COLUMN n INT");
      await a.execute("INSERT INTO `tenant-a`.kv (k, v) VALUES (?, ?)", ["key", "a-data"]);
      await a.execute("UPDATE `tenant-a`.kv SET n = 1 WHERE k = ?", ["key"]);
      const [rows] = await a.query("SELECT v, n FROM `tenant-a`.kv");
      assert.deepEqual(rows, [{ v: "a-data", n: 1 }]);
      const [databases] = await a.query("SHOW DATABASES");
      assert.deepEqual((databases as { Database: string }[]).map((row) => row.Database).sort(), [
        "information_schema",
        "tenant-a",
      ]);
      const denied = /denied/;
      await assert.rejects(a.query("SELECT * FROM `tenant-b`.secrets"), denied);
      await assert.rejects(a.query("INSERT INTO `tenant-b`.secrets VALUES ('stolen')"), denied);
      await assert.rejects(a.query("CREATE TABLE `tenant-b`.planted (x INT)"), denied);
      await assert.rejects(a.query("CREATE DATABASE `tenant-c`"), denied);
      await assert.rejects(a.query("DROP TABLE `tenant-a`.kv"), denied, "no DROP: kine does not need it");
      await assert.rejects(a.query("SELECT * FROM mysql.user"), denied);
    });
    assert.deepEqual(await server.query("SELECT v FROM `tenant-b`.secrets"), [{ v: "b-data" }]);
  });

  test("`_` and `%` in a schema are not GRANT wildcards", async () => {
    const underscore: TenantStorage = { schema: "w_x", user: "wildcard-user", password: "pw-wild" };
    const percent: TenantStorage = { schema: "p%q", user: "percent-user", password: "pw-percent" };
    for (const name of ["wZx", "pZZq"]) {
      await server.query(`CREATE DATABASE \`${name}\``);
      await server.query(`CREATE TABLE \`${name}\`.t (v TEXT)`);
      await server.query(`INSERT INTO \`${name}\`.t VALUES ('other')`);
    }
    await admin.provision(underscore);
    await admin.provision(percent);
    assert.equal(await admin.isProvisioned(underscore), true);
    assert.equal(await admin.isProvisioned(percent), true);
    // Stored escaped: a grant on `w\_x` covers exactly `w_x`.
    assert.deepEqual(await grantedDatabases(underscore.user), ["w\\_x"]);
    assert.deepEqual(await grantedDatabases(percent.user), ["p\\%q"]);

    for (const [tenant, other] of [
      [underscore, "wZx"],
      [percent, "pZZq"],
    ] as const) {
      await asTenant(tenant, async (connection) => {
        await connection.query(`CREATE TABLE \`${tenant.schema}\`.own (v TEXT)`);
        await assert.rejects(connection.query(`SELECT * FROM \`${other}\`.t`), /denied/);
        await assert.rejects(connection.query(`INSERT INTO \`${other}\`.t VALUES ('stolen')`), /denied/);
        const [databases] = await connection.query("SHOW DATABASES");
        assert.ok(!(databases as { Database: string }[]).some((row) => row.Database === other));
      });
    }

    await admin.teardown(underscore);
    await admin.teardown(percent);
    assert.deepEqual(await grantedDatabases(underscore.user), []);
    assert.deepEqual(await grantedDatabases(percent.user), []);
    assert.equal(await databaseExists("w_x"), false);
    assert.deepEqual(await server.query("SELECT v FROM `wZx`.t"), [{ v: "other" }]);
    assert.deepEqual(await server.query("SELECT v FROM `pZZq`.t"), [{ v: "other" }]);
  });

  test("teardown removes the tenant's grants, database and user, leaves everyone else's, and is idempotent", async () => {
    await admin.provision(tenantA);
    await admin.provision(tenantB);
    await server.query("CREATE TABLE IF NOT EXISTS `tenant-b`.keep (v TEXT)");
    await server.query("INSERT INTO `tenant-b`.keep VALUES ('b-stays')");
    const tenantSession = await loginAs(tenantA);

    await admin.teardown(tenantA);
    await admin.teardown(tenantA);

    assert.equal(await databaseExists(tenantA.schema), false);
    assert.equal(await userExists(tenantA.user), false);
    assert.deepEqual(await grantedDatabases(tenantA.user), []);
    assert.equal(await admin.isProvisioned(tenantA), false);
    assert.equal(await canLogIn(tenantA), false);
    await tenantSession.end();

    assert.equal(await admin.isProvisioned(tenantB), true);
    await asTenant(tenantB, async (b) => {
      const [rows] = await b.query("SELECT v FROM `tenant-b`.keep");
      assert.deepEqual(rows, [{ v: "b-stays" }]);
    });
    assert.ok(await userExists(server.adminUser));
    // Never provisioned at all.
    await admin.teardown({ schema: "never-was", user: "nobody", password: "x" });
  });

  test("provisioning again with a new password replaces the old one", async () => {
    await admin.provision(tenantA);
    const renewed = { ...tenantA, password: "a-new-password" };
    await admin.provision(renewed);
    assert.equal(await canLogIn(tenantA), false);
    assert.equal(await canLogIn(renewed), true);
    assert.equal(await admin.isProvisioned(renewed), true);
  });

  test("a password is taken exactly as given, whatever the server's sql_mode", async () => {
    const tenant: TenantStorage = { schema: "pw-test", user: "pw-user", password: HOSTILE_PASSWORD };
    const [original] = await server.query("SELECT @@GLOBAL.sql_mode AS mode");
    try {
      // A new session takes the global mode: each mode gets its own administrative connection.
      for (const mode of ["", "ANSI_QUOTES,NO_BACKSLASH_ESCAPES", "ANSI", String(original?.mode)]) {
        await server.query(`SET GLOBAL sql_mode = '${mode}'`);
        const connection = connect();
        await connection.provision({ ...tenant, password: `${HOSTILE_PASSWORD}${mode}` });
        assert.equal(await canLogIn(tenant, `${HOSTILE_PASSWORD}${mode}`), true, `sql_mode "${mode}"`);
        // What a server reading backslash escapes would have stored instead.
        assert.equal(await canLogIn(tenant, `p'";\n\n ?? :name ü名😀 -- '${mode}`), false);
        await connection.close();
      }
    } finally {
      await server.query(`SET GLOBAL sql_mode = '${String(original?.mode)}'`);
    }
    await admin.teardown(tenant);
  });

  test("hostile names are taken literally and affect nothing else", async () => {
    await server.query("CREATE DATABASE victim");
    await server.query("CREATE TABLE victim.t (v TEXT)");
    await server.query("INSERT INTO victim.t VALUES ('intact')");
    await server.query("CREATE USER victim@'%' IDENTIFIED BY 'victim-pw'");
    const names = ["x`; DROP DATABASE victim; -- x", "a\\b'c", "ünï-名前", "semi;colon", "dot.ted", `q"uo'te`];
    /** How mysql.db stores each database: only `\`, `_` and `%` are escaped. */
    const stored = ["x`; DROP DATABASE victim; -- x", "a\\\\b'c", "ünï-名前", "semi;colon", "dot.ted", `q"uo'te`];
    const tenants = names.map((name) => ({ schema: name, user: name, password: HOSTILE_PASSWORD }));
    for (const tenant of tenants) {
      await admin.provision(tenant);
      await admin.provision(tenant);
      assert.equal(await admin.isProvisioned(tenant), true, tenant.schema);
    }
    for (const [index, tenant] of tenants.entries()) {
      assert.ok(await databaseExists(tenant.schema), tenant.schema);
      assert.ok(await userExists(tenant.user), tenant.user);
      assert.deepEqual(await grantedDatabases(tenant.user), [stored[index]]);
      const connection = await loginAs(tenant, tenant.password, tenant.schema);
      try {
        await connection.query("CREATE TABLE own (v TEXT)");
        await connection.execute("INSERT INTO own VALUES (?)", [tenant.schema]);
        const [rows] = await connection.query("SELECT v, DATABASE() AS db, CURRENT_USER() AS me FROM own");
        assert.deepEqual(rows, [{ v: tenant.schema, db: tenant.schema, me: `${tenant.user}@%` }]);
        await assert.rejects(connection.query("SELECT * FROM victim.t"), /denied/);
      } finally {
        await connection.end();
      }
    }
    for (const tenant of tenants) {
      await admin.teardown(tenant);
      assert.equal(await databaseExists(tenant.schema), false, tenant.schema);
      assert.equal(await userExists(tenant.user), false, tenant.user);
      assert.deepEqual(await grantedDatabases(tenant.user), []);
    }
    assert.deepEqual(await server.query("SELECT v FROM victim.t"), [{ v: "intact" }]);
    assert.ok(await userExists("victim"));
  });

  test("refused names fail before anything exists; the user name limit is the server's (128 on MariaDB)", async () => {
    const before = await inventory();
    const refused: [TenantStorage, RegExp][] = [
      [{ schema: "nul\0db", user: "nul-user", password: "pw" }, /schema contains a NUL/],
      [{ schema: "nul-db", user: "nul\0user", password: "pw" }, /user contains a NUL/],
      [{ schema: "mysql", user: "sneaky", password: "pw" }, /a database MySQL itself uses/],
      [{ schema: "sneaky", user: "root", password: "pw" }, /administrator or system account/],
      [{ schema: "sneaky", user: server.adminUser, password: "pw" }, /the DataStore administrator/],
      [{ schema: "trailing ", user: "u", password: "pw" }, /ends with a space/],
      [{ schema: "emoji-😀", user: "u", password: "pw" }, /beyond U\+FFFF/],
      [{ schema: "d".repeat(65), user: "u", password: "pw" }, /is 65 characters; MySQL allows at most 64/],
      [
        { schema: "long-user-db", user: "u".repeat(129), password: "pw" },
        /is 129 characters; this MySQL server allows at most 128/,
      ],
    ];
    for (const [tenant, pattern] of refused) {
      await assertDataStoreError(
        admin.provision(tenant),
        "InvalidConfiguration",
        /provision of tenant schema/,
        pattern,
      );
      await assertDataStoreError(admin.teardown(tenant), "InvalidConfiguration", /teardown of tenant schema/, pattern);
    }
    for (const password of ["", "nul\0"]) {
      await assertDataStoreError(
        admin.provision({ schema: "pw-db", user: "pw-user", password }),
        "InvalidConfiguration",
        /the password/,
      );
    }
    assert.deepEqual(await inventory(), before);
    assert.equal(await databaseExists("long-user-db"), false);

    // The limit the driver read is the server's: 128 characters pass, 129 do not, even for the administrator.
    const longest = { schema: "longest-user", user: "ü".repeat(128), password: "pw-long" };
    await admin.provision(longest);
    assert.equal(await canLogIn(longest), true);
    await admin.teardown(longest);
    await assert.rejects(server.query(`CREATE USER '${"u".repeat(129)}'@'%'`), /too long for user name/);
  });

  test("a password never appears in an error", async () => {
    await server.query("CREATE USER 'limited-admin'@'%' IDENTIFIED BY 'limited-pw'");
    await server.query("GRANT SELECT, CREATE ON *.* TO 'limited-admin'@'%'");
    const tenant = { schema: "limited-tenant", user: "limited-user", password: "secret-password-1234" };
    await assert.rejects(connect({ user: "limited-admin", password: "limited-pw" }).provision(tenant), (error) => {
      assert.ok(error instanceof DataStoreError);
      assert.equal(error.reason, "Unauthorized", error.message);
      assert.match(error.message, /create user `limited-user`@'%' with its password failed/);
      assert.ok(!JSON.stringify(error.cause).includes(tenant.password), JSON.stringify(error.cause));
      assert.ok(!error.message.includes(tenant.password));
      return true;
    });
    await admin.teardown(tenant);
  });

  test("wrong credentials fail as Unauthorized; an unreachable or silent server as Unreachable, within the deadline", async () => {
    await assertDataStoreError(
      connect({ password: "wrong" }).check(),
      "Unauthorized",
      /check: connect as "kamaji-admin" failed, on 127\.0\.0\.1:\d+: Access denied/,
    );
    const before = await inventory();
    await assertDataStoreError(
      connect({ password: "wrong" }).provision(tenantA),
      "Unauthorized",
      /provision of tenant/,
    );
    assert.deepEqual(await inventory(), before);

    const closed = `127.0.0.1:${await freePort()}`;
    let took = await elapsedMs(() =>
      assertDataStoreError(
        connect({ endpoint: closed }).check(),
        "Unreachable",
        new RegExp(`${closed} unreachable \\(deadline 5 s\\).*ECONNREFUSED`),
      ),
    );
    assert.ok(took < 2_000, `took ${took} ms`);

    // Accepts connections and never says anything, like a hung server.
    const silent = await startSilentServer();
    try {
      took = await elapsedMs(() =>
        assertDataStoreError(
          connect({ endpoint: silent.endpoint, timeoutMs: 1_000 }).check(),
          "Unreachable",
          /deadline 1 s/,
          /ETIMEDOUT/,
        ),
      );
      assert.ok(took >= 900 && took < 3_000, `took ${took} ms`);
    } finally {
      await silent.close();
    }
  });

  test("a statement that outlasts the deadline fails as Unreachable, and the connection recovers", async () => {
    const connection = connect({ timeoutMs: 1_000 });
    await connection.check();
    const tenant = { schema: "locked-out", user: "locked-user", password: "pw-locked" };
    // The witness's global read lock makes CREATE DATABASE wait.
    await server.query("FLUSH TABLES WITH READ LOCK");
    try {
      const took = await elapsedMs(() =>
        assertDataStoreError(
          connection.provision(tenant),
          "Unreachable",
          /create database `locked-out` failed, 127\.0\.0\.1:\d+ unreachable \(deadline 1 s\): no answer within 1 s/,
        ),
      );
      assert.ok(took >= 900 && took < 3_000, `took ${took} ms`);
    } finally {
      await server.query("UNLOCK TABLES");
    }
    await connection.provision(tenant);
    assert.equal(await connection.isProvisioned(tenant), true);
    await connection.teardown(tenant);

    // The server ends the administrator's session: the next call opens another.
    await server.query("CREATE USER 'second-admin'@'%' IDENTIFIED BY 'second-pw'");
    await server.query("GRANT ALL PRIVILEGES ON *.* TO 'second-admin'@'%' WITH GRANT OPTION");
    const second = connect({ user: "second-admin", password: "second-pw" });
    await second.check();
    for (const row of await server.query("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'second-admin'")) {
      await server.query(`KILL ${String(row.ID)}`);
    }
    await waitFor(
      "the killed session to be gone",
      async () =>
        (await server.query("SELECT 1 FROM information_schema.PROCESSLIST WHERE USER = 'second-admin'")).length === 0
          ? true
          : undefined,
      5_000,
      50,
    );
    await waitFor("the driver to reconnect", () => second.check().then(() => true), 5_000, 100);
    await second.check();
  });

  test("TLS mismatches say what is wrong", async () => {
    await assertDataStoreError(
      connect({ endpoint: plain.endpoint }).check(),
      "Unreachable",
      /the server does not support TLS/,
    );
    const otherCa = encodeCertificateAndKey(await createTestAuthority("other-ca"));
    await assertDataStoreError(
      connect({ caPem: otherCa.certificatePem }).check(),
      "Unauthorized",
      /certificate verification failed/,
    );
    // The certificate names 127.0.0.1 only: reaching the same server as "localhost" must fail verification.
    await assertDataStoreError(
      connect({ endpoint: server.endpoint.replace("127.0.0.1", "localhost") }).check(),
      "Unauthorized",
      /certificate verification failed.*altnames/,
    );
    // The server requires TLS; MariaDB says "access denied".
    await assertDataStoreError(connect({ caPem: null }).check(), "Unauthorized", /Access denied.*requires TLS/);
    // Without TLS on both sides, it works.
    await connect({
      endpoint: plain.endpoint,
      caPem: null,
      user: plain.adminUser,
      password: plain.adminPassword,
    }).check();
  });

  test("an unusable configuration is refused before connecting", () => {
    const config = {
      name: "test-mysql",
      driver: "MySQL" as const,
      endpoints: [server.endpoint],
      tls: { certificateAuthorityPem: server.caPem },
      basicAuth: { username: server.adminUser, password: server.adminPassword },
    };
    assert.throws(() => openMysqlConnection({ ...config, endpoints: [] }), invalidConfiguration(/no endpoints/));
    assert.throws(
      () => openMysqlConnection({ ...config, endpoints: ["mysql://127.0.0.1:3306"] }),
      invalidConfiguration(/not host:port/),
    );
    assert.throws(
      () => openMysqlConnection({ ...config, driver: "PostgreSQL" }),
      invalidConfiguration(/cannot open a PostgreSQL/),
    );
    assert.throws(
      () => openMysqlConnection({ ...config, basicAuth: undefined }),
      invalidConfiguration(/needs basicAuth/),
    );
    assert.throws(
      () => openMysqlConnection({ ...config, tls: { certificateAuthorityPem: "garbage" } }),
      invalidConfiguration(/DataStore CA/),
    );
    assert.throws(
      () => openMysqlConnection({ ...config, tls: { ...config.tls, clientCertificatePem: server.caPem } }),
      invalidConfiguration(/given together/),
    );
  });

  test("kine runs on a provisioned tenant: the grants are enough for it", async () => {
    const tenant: TenantStorage = {
      schema: "7d2c9a41-5b7e-4f0a-9c3d-2e8f6a1b4c5d",
      user: "7d2c9a415b7e4f0a9c3d2e8f6a1b4c5d",
      password: "kine-password-0123456789abcdef",
    };
    await admin.provision(tenant);
    const kine = await startKine(
      `mysql://${tenant.user}:${tenant.password}@tcp(${server.endpoint})/${tenant.schema}`,
      server.caPem,
    );
    const client = new Etcd3({ hosts: `http://${kine.listen}` });
    try {
      await putWhenReady(kine, client, "/registry/configmaps/default/marker", "stored-in-mariadb");
      assert.equal(await client.get("/registry/configmaps/default/marker").string(), "stored-in-mariadb");
      const rows = await server.query(`SELECT value FROM \`${tenant.schema}\`.kine WHERE name = ?`, [
        "/registry/configmaps/default/marker",
      ]);
      assert.ok(rows.some((row) => Buffer.from(row.value as Buffer).toString() === "stored-in-mariadb"));
    } finally {
      client.close();
      await kine.stop();
    }
    await admin.teardown(tenant);
    assert.equal(await databaseExists(tenant.schema), false);
  });
});
