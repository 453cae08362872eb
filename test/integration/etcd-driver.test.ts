// The etcd driver against a real etcd (TLS, client-certificate auth, auth enabled): tenant isolation by key range,
// idempotent provisioning and teardown, and how it fails on bad credentials and unreachable endpoints.
// etcdctl (the upstream Go client) is the independent witness of what the driver did.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Etcd3, EtcdPermissionDeniedError } from "etcd3";
import type { DataStoreConnection, TenantStorage } from "../../src/datastore/driver.js";
import { openEtcdConnection } from "../../src/datastore/etcd.js";
import { issueEtcdClientCertificate } from "../../src/datastore/etcd-client-certificate.js";
import {
  type CertificateKeyPem,
  CA_VALIDITY_MS,
  encodeCertificateAndKey,
  isSignedBy,
  parseCertificatePem,
} from "../../src/pki/index.js";
import { freePort } from "../../tools/cluster/ports.js";
import { dataStoreErrorAssertion, elapsedMs, invalidConfiguration } from "../helpers/datastore-assertions.js";
import { startTestEtcd, type TestEtcd } from "../helpers/etcd.js";
import { createTestAuthority } from "../helpers/test-pki.js";

const tenantA: TenantStorage = { schema: "tenant-a", user: "user-a", password: "" };
const tenantB: TenantStorage = { schema: "tenant-b", user: "user-b", password: "" };

const assertDataStoreError = dataStoreErrorAssertion("test-etcd");

describe("etcd driver", () => {
  let etcd: TestEtcd;
  let admin: DataStoreConnection;
  const opened: DataStoreConnection[] = [];
  const clients: Etcd3[] = [];

  const connect = (
    client: CertificateKeyPem = { certificatePem: etcd.rootCertPem, privateKeyPem: etcd.rootKeyPem },
    options: { endpoints?: string[]; caPem?: string; timeoutMs?: number } = {},
  ) => {
    const connection = openEtcdConnection(
      {
        name: "test-etcd",
        driver: "etcd",
        endpoints: options.endpoints ?? etcd.endpoints,
        tls: {
          certificateAuthorityPem: options.caPem ?? etcd.caPem,
          certificateAuthorityKeyPem: etcd.caKeyPem,
          clientCertificatePem: client.certificatePem,
          clientKeyPem: client.privateKeyPem,
        },
      },
      { timeoutMs: options.timeoutMs },
    );
    opened.push(connection);
    return connection;
  };
  const authority = () => ({ certificatePem: etcd.caPem, privateKeyPem: etcd.caKeyPem });
  /** An etcd3 client authenticated as the holder of `identity`, as a tenant's kube-apiserver would be. */
  const clientAs = (identity: CertificateKeyPem) => {
    const client = new Etcd3({
      hosts: etcd.endpoints.map((endpoint) => `https://${endpoint}`),
      credentials: {
        rootCertificate: Buffer.from(etcd.caPem),
        certChain: Buffer.from(identity.certificatePem),
        privateKey: Buffer.from(identity.privateKeyPem),
      },
    });
    clients.push(client);
    return client;
  };
  const roles = async () => (await etcd.etcdctl(["role", "list"])).trim().split("\n");
  const users = async () => (await etcd.etcdctl(["user", "list"])).trim().split("\n");
  const keys = async (prefix: string) =>
    (await etcd.etcdctl(["get", "--prefix", "--keys-only", prefix])).split("\n").filter((line) => line !== "");

  before(async () => {
    etcd = await startTestEtcd();
    admin = connect();
  });
  after(async () => {
    for (const client of clients) client.close();
    for (const connection of opened) await connection.close();
    await etcd.stop();
  });

  test("check passes with the administrator's certificate", async () => {
    await admin.check();
  });

  test("provisioning creates the role, its permission and a password-less user, and is idempotent", async () => {
    assert.equal(await admin.isProvisioned(tenantA), false);
    await admin.provision(tenantA);
    await admin.provision(tenantA);
    assert.equal(await admin.isProvisioned(tenantA), true);

    const role = await etcd.etcdctl(["role", "get", tenantA.schema]);
    // One permission, granted once, on exactly [/tenant-a/, /tenant-a0).
    assert.equal(role.match(/\[\/tenant-a\/, \/tenant-a0\) \(prefix \/tenant-a\/\)/g)?.length, 2, role); // read + write
    assert.match(await etcd.etcdctl(["user", "get", tenantA.user]), /Roles: tenant-a\s*$/);
    // A user created with a password (even the empty one) could get a token without any certificate.
    const anonymous = clientAs({ certificatePem: etcd.rootCertPem, privateKeyPem: etcd.rootKeyPem });
    await assert.rejects(
      anonymous.auth.authenticate({ name: tenantA.user, password: "" }),
      /password was given for no password user/,
    );
  });

  test("isProvisioned is false when the permission or the role grant is missing", async () => {
    await admin.provision(tenantB);
    await etcd.etcdctl(["user", "revoke-role", tenantB.user, tenantB.schema]);
    assert.equal(await admin.isProvisioned(tenantB), false);
    await admin.provision(tenantB);
    await etcd.etcdctl(["role", "revoke-permission", tenantB.schema, "/tenant-b/", "/tenant-b0"]);
    assert.equal(await admin.isProvisioned(tenantB), false);
    await admin.provision(tenantB);
    assert.equal(await admin.isProvisioned(tenantB), true);
  });

  test("a tenant's certificate reads and writes its own prefix and nothing else", async () => {
    await admin.provision(tenantA);
    await admin.provision(tenantB);
    await etcd.etcdctl(["put", "/tenant-b/registry/secret", "b-data"]);
    await etcd.etcdctl(["put", "/tenant-a-other/k", "sibling"]);
    await etcd.etcdctl(["put", "/tenant-aa/k", "sibling"]);

    const a = clientAs(
      await issueEtcdClientCertificate({ authority: authority(), user: tenantA.user, algorithm: "ECDSA" }),
    );
    await a.put("/tenant-a/registry/pods/x").value("a-data");
    assert.equal(await a.get("/tenant-a/registry/pods/x").string(), "a-data");
    assert.deepEqual(await a.getAll().prefix("/tenant-a/").keys(), ["/tenant-a/registry/pods/x"]);

    const denied = (error: unknown) => error instanceof EtcdPermissionDeniedError;
    for (const key of ["/tenant-b/registry/secret", "/tenant-a-other/k", "/tenant-aa/k", "/tenant-a", "/x"]) {
      await assert.rejects(a.get(key).string(), denied, `read ${key}`);
      await assert.rejects(a.put(key).value("stolen").exec(), denied, `write ${key}`);
    }
    // A range reaching past the prefix is refused as a whole, even where it overlaps the tenant's own keys.
    await assert.rejects(a.getAll().prefix("/tenant-a").keys(), denied);
    await assert.rejects(a.delete().prefix("/tenant-").exec(), denied);
    assert.equal((await etcd.etcdctl(["get", "--print-value-only", "/tenant-b/registry/secret"])).trim(), "b-data");

    // The upstream-format certificate (RSA, PKCS#1 key) works with the Go client the kube-apiserver uses.
    const b = await issueEtcdClientCertificate({ authority: authority(), user: tenantB.user });
    assert.match(b.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----/);
    await etcd.etcdctl(["put", "/tenant-b/registry/own", "ok"], b);
    assert.equal((await etcd.etcdctl(["get", "--print-value-only", "/tenant-b/registry/own"], b)).trim(), "ok");
    await assert.rejects(etcd.etcdctl(["get", "/tenant-a/registry/pods/x"], b), /permission denied/);
  });

  test("teardown removes the tenant's role, keys and user, leaves everyone else's, and is idempotent", async () => {
    await admin.provision(tenantA);
    await admin.provision(tenantB);
    await etcd.etcdctl(["put", "/tenant-a/registry/one", "1"]);
    await etcd.etcdctl(["put", "/tenant-b/registry/one", "1"]);
    await etcd.etcdctl(["put", "/tenant-a-other/k", "sibling"]);
    await etcd.etcdctl(["put", "/tenant-aa/k", "sibling"]);
    const bKeys = await keys("/tenant-b/");
    const a = clientAs(
      await issueEtcdClientCertificate({ authority: authority(), user: tenantA.user, algorithm: "ECDSA" }),
    );
    await a.put("/tenant-a/registry/two").value("2");

    await admin.teardown(tenantA);
    await admin.teardown(tenantA);

    assert.deepEqual(await keys("/tenant-a/"), []);
    assert.ok(!(await roles()).includes(tenantA.schema));
    assert.ok(!(await users()).includes(tenantA.user));
    assert.equal(await admin.isProvisioned(tenantA), false);
    // etcd answers "permission denied" to a certificate whose user no longer exists.
    await assert.rejects(
      a.get("/tenant-a/registry/two").string(),
      (e: unknown) => e instanceof EtcdPermissionDeniedError,
    );

    assert.deepEqual(await keys("/tenant-b/"), bKeys);
    assert.deepEqual(await keys("/tenant-a-other/"), ["/tenant-a-other/k"]);
    assert.deepEqual(await keys("/tenant-aa/"), ["/tenant-aa/k"]);
    assert.ok((await roles()).includes("root"));
    assert.ok((await users()).includes("root"));
    assert.equal(await admin.isProvisioned(tenantB), true);
    const b = clientAs(
      await issueEtcdClientCertificate({ authority: authority(), user: tenantB.user, algorithm: "ECDSA" }),
    );
    assert.equal(await b.get("/tenant-b/registry/one").string(), "1");
  });

  test("odd characters in names work; overlapping or administrator names are refused", async () => {
    // etcd accepts any non-empty string as a user or role name. The driver refuses a schema with "/" (its keys
    // would nest inside another tenant's), "root", and the administrator's own user (see tenantNameProblem).
    // The user is also a certificate CN: issueEtcdClientCertificate refuses backslashes, a pair of double quotes
    // and a leading "#", which our X.509 library would rewrite (tested below).
    const odd: TenantStorage = { schema: `s"ch 'ema\\ ü`, user: `we"ird/us'er ü`, password: "" };
    await admin.provision(odd);
    await admin.provision(odd);
    assert.equal(await admin.isProvisioned(odd), true);
    const client = clientAs(
      await issueEtcdClientCertificate({ authority: authority(), user: odd.user, algorithm: "ECDSA" }),
    );
    await client.put(`/${odd.schema}/k`).value("v");
    assert.equal(await client.get(`/${odd.schema}/k`).string(), "v");
    await assert.rejects(
      client.get("/tenant-b/registry/one").string(),
      (e: unknown) => e instanceof EtcdPermissionDeniedError,
    );
    await admin.teardown(odd);
    assert.equal(await admin.isProvisioned(odd), false);
    assert.deepEqual(await keys(`/${odd.schema}/`), []);
    assert.ok(!(await users()).includes(odd.user));

    const before = { roles: await roles(), users: await users() };
    for (const tenant of [
      { schema: "tenant-b/nested", user: "nested", password: "" },
      { schema: "root", user: "sneaky", password: "" },
      { schema: "sneaky", user: "root", password: "" },
      { schema: "", user: "u", password: "" },
    ]) {
      await assertDataStoreError(admin.provision(tenant), "InvalidConfiguration", /provision of tenant schema/);
      await assertDataStoreError(admin.teardown(tenant), "InvalidConfiguration", /teardown of tenant schema/);
    }
    assert.deepEqual({ roles: await roles(), users: await users() }, before);
  });

  test("wrong administrator credentials fail as Unauthorized, saying why", async () => {
    const ghost = await issueEtcdClientCertificate({ authority: authority(), user: "ghost", algorithm: "ECDSA" });
    await assertDataStoreError(
      connect(ghost).check(),
      "Unauthorized",
      /etcd has no user "ghost"/,
      /https:\/\/127\.0\.0\.1:\d+/,
    );
    const before = { roles: await roles(), users: await users() };
    await assertDataStoreError(
      connect(ghost).provision({ schema: "ghost-tenant", user: "ghost-user", password: "" }),
      "Unauthorized",
      /provision of tenant schema "ghost-tenant" \(user "ghost-user"\)/,
    );
    assert.deepEqual({ roles: await roles(), users: await users() }, before);

    const tenant = await issueEtcdClientCertificate({ authority: authority(), user: tenantB.user, algorithm: "ECDSA" });
    await assertDataStoreError(connect(tenant).check(), "Unauthorized", /user "user-b" .* lacks the "root" role/);
    await assertDataStoreError(
      connect(tenant).teardown({ ...tenantB, user: "someone-else" }),
      "Unauthorized",
      /teardown of tenant schema "tenant-b"/,
    );
    assert.equal(await admin.isProvisioned(tenantB), true);

    const otherCa = encodeCertificateAndKey(await createTestAuthority("other-ca"));
    const foreign = await issueEtcdClientCertificate({ authority: otherCa, user: "root", algorithm: "ECDSA" });
    await assertDataStoreError(
      connect(foreign).check(),
      "Unauthorized",
      /etcd refused the administrator client certificate/,
    );
    await assertDataStoreError(
      connect(undefined, { caPem: otherCa.certificatePem }).check(),
      "Unauthorized",
      /does not verify against the DataStore CA/,
    );
  });

  test("an unreachable endpoint fails fast; a second, live endpoint takes over", async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const connection = connect(undefined, { endpoints: [dead] });
    let took = await elapsedMs(() =>
      assertDataStoreError(connection.check(), "Unreachable", new RegExp(`https://${dead} unreachable`)),
    );
    assert.ok(took < 3_000, `took ${took} ms`);
    took = await elapsedMs(() =>
      assertDataStoreError(connection.provision(tenantA), "Unreachable", /provision of tenant/),
    );
    assert.ok(took < 3_000, `took ${took} ms`);
    for (let attempt = 0; attempt < 5; attempt++)
      await connect(undefined, { endpoints: [dead, ...etcd.endpoints] }).check();
  });

  test("a hung etcd fails within the timeout, and the same connection recovers when it is back", async () => {
    const connection = connect(undefined, { timeoutMs: 1_000 });
    await connection.check();
    etcd.pause();
    try {
      const took = await elapsedMs(() =>
        assertDataStoreError(connection.check(), "Unreachable", /deadline 1 s per endpoint/, /DEADLINE_EXCEEDED/),
      );
      assert.ok(took >= 900 && took < 3_000, `took ${took} ms`);
    } finally {
      etcd.resume();
    }
    await connection.check();

    await etcd.kill();
    try {
      // Several failures in a row: a circuit breaker (etcd3's default) would now refuse calls for a while.
      for (let attempt = 0; attempt < 4; attempt++) {
        await assertDataStoreError(connection.check(), "Unreachable", /ECONNREFUSED/);
      }
    } finally {
      await etcd.restart();
    }
    await connection.check();
    assert.equal(await connection.isProvisioned(tenantB), true);
  });

  test("the tenant certificate matches upstream's template", async () => {
    const now = new Date();
    const issued = await issueEtcdClientCertificate({ authority: authority(), user: `we"ird/us'er`, now });
    const certificate = parseCertificatePem(issued.certificatePem, "tenant certificate");
    assert.equal(certificate.commonName, `we"ird/us'er`);
    assert.deepEqual(certificate.organizations, ["system:masters"]);
    assert.deepEqual([...certificate.extendedKeyUsages].sort(), ["clientAuth", "codeSigning", "serverAuth"]);
    assert.equal(certificate.isCA, false);
    assert.equal(certificate.notAfter.getTime(), Math.floor((now.getTime() + CA_VALIDITY_MS) / 1000) * 1000);
    assert.ok(isSignedBy(certificate, parseCertificatePem(etcd.caPem, "etcd CA")));
    assert.match(issued.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----/);
    const ecdsa = await issueEtcdClientCertificate({ authority: authority(), user: "u", algorithm: "ECDSA" });
    assert.match(ecdsa.privateKeyPem, /^-----BEGIN EC PRIVATE KEY-----/);

    // Names an RFC 4514 parser would rewrite are carried verbatim: `"root"` must never become the administrator.
    for (const user of [`"root"`, `a"b"c`, "back\\slash", "#726f6f74"]) {
      const odd = await issueEtcdClientCertificate({ authority: authority(), user, algorithm: "ECDSA" });
      assert.equal(parseCertificatePem(odd.certificatePem, user).commonName, user);
      await assert.rejects(etcd.etcdctl(["get", "/", "--prefix"], odd), /permission denied|user name not found/);
    }
  });

  test("an unusable configuration is refused before connecting", () => {
    const config = {
      name: "test-etcd",
      driver: "etcd" as const,
      endpoints: etcd.endpoints,
      tls: {
        certificateAuthorityPem: etcd.caPem,
        clientCertificatePem: etcd.rootCertPem,
        clientKeyPem: etcd.rootKeyPem,
      },
    };
    assert.throws(() => openEtcdConnection({ ...config, endpoints: [] }), invalidConfiguration(/no endpoints/));
    assert.throws(
      () => openEtcdConnection({ ...config, endpoints: ["https://127.0.0.1:2379"] }),
      invalidConfiguration(/not host:port/),
    );
    assert.throws(
      () => openEtcdConnection({ ...config, driver: "MySQL" }),
      invalidConfiguration(/cannot open a MySQL/),
    );
    assert.throws(
      () => openEtcdConnection({ ...config, tls: { certificateAuthorityPem: etcd.caPem } }),
      invalidConfiguration(/administrator client certificate/),
    );
    assert.throws(
      () => openEtcdConnection({ ...config, tls: { ...config.tls, clientCertificatePem: "garbage" } }),
      invalidConfiguration(/administrator client certificate/),
    );
  });
});
