// The NATS driver against real nats-servers (Debian's 2.9.10: JetStream, a user with a password, TLS): idempotent
// provisioning and teardown of kine buckets, and how it fails on bad names, credentials, TLS and unreachable
// endpoints. The real kine binary proves that the bucket is the one kine itself would create: kine starts on it
// without changing it, and stores keys in it. A separate NATS connection (the helper's witness) checks the server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Etcd3 } from "etcd3";
import { DataStoreError, type DataStoreConnection, type TenantStorage } from "../../src/datastore/driver.js";
import { KINE_BUCKET_DESCRIPTION, openNatsConnection } from "../../src/datastore/nats.js";
import { encodeCertificateAndKey } from "../../src/pki/index.js";
import { logTail } from "../../tools/cluster/daemon.js";
import { freePort } from "../../tools/cluster/ports.js";
import { waitFor } from "../../tools/cluster/wait.js";
import { dataStoreErrorAssertion, elapsedMs, invalidConfiguration } from "../helpers/datastore-assertions.js";
import { startKine, type TestKine } from "../helpers/kine.js";
import { kineNatsKey } from "../helpers/kine-servers.js";
import { startTestNats, type TestNats } from "../helpers/nats.js";
import { startSilentServer } from "../helpers/silent-server.js";
import { createTestAuthority } from "../helpers/test-pki.js";

// kine connects with the DataStore's credentials: the tenant's user and password are never used.
const tenantA: TenantStorage = { schema: "tenant-a", user: "ignored", password: "" };
const tenantB: TenantStorage = { schema: "tenant_B-2", user: "ignored-too", password: "ignored" };

const assertDataStoreError = dataStoreErrorAssertion("test-nats");

/** Counts of the process's sockets and timers, to see that a failed connection leaves none behind. */
function activeHandles(): { sockets: number; timers: number } {
  const resources = process.getActiveResourcesInfo();
  return {
    sockets: resources.filter((name) => name === "TCPSocketWrap" || name === "TLSWrap").length,
    timers: resources.filter((name) => name === "Timeout").length,
  };
}

describe("NATS driver", () => {
  let nats: TestNats;
  let plain: TestNats;
  let noJetStream: TestNats;
  let mutualTls: TestNats;
  let admin: DataStoreConnection;
  const running: TestNats[] = [];
  const opened: DataStoreConnection[] = [];
  const kines: TestKine[] = [];

  const connect = (
    server: TestNats = nats,
    options: {
      endpoints?: string[];
      password?: string;
      tls?: "server" | "none" | { caPem: string; clientCertificatePem?: string; clientKeyPem?: string };
      timeoutMs?: number;
    } = {},
  ) => {
    const tls = options.tls ?? (server === plain || server === noJetStream ? "none" : "server");
    const connection = openNatsConnection(
      {
        name: "test-nats",
        driver: "NATS",
        endpoints: options.endpoints ?? [server.endpoint],
        basicAuth: { username: server.user, password: options.password ?? server.password },
        ...(tls === "none"
          ? {}
          : {
              tls:
                tls === "server"
                  ? { certificateAuthorityPem: server.caPem }
                  : {
                      certificateAuthorityPem: tls.caPem,
                      clientCertificatePem: tls.clientCertificatePem,
                      clientKeyPem: tls.clientKeyPem,
                    },
            }),
      },
      { timeoutMs: options.timeoutMs },
    );
    opened.push(connection);
    return connection;
  };

  /** Runs kine on `bucket` of the TLS server until it serves the etcd API; rejects with its log if it exits. */
  const startKineOn = async (bucket: string) => {
    const kine = await startKine(
      `nats://${nats.user}:${nats.password}@${nats.endpoint}?bucket=${bucket}&noEmbed`,
      nats.caPem,
    );
    kines.push(kine);
    try {
      await waitFor(
        `kine on bucket ${bucket} to serve`,
        () => {
          if (!kine.isRunning()) throw new Error(`kine exited:\n${logTail(kine.logFile)}`);
          return kine.log().includes("Kine available at") ? true : undefined;
        },
        30_000,
      );
    } catch (error) {
      await kine.stop();
      throw error;
    }
    return kine;
  };

  before(async () => {
    const started = await Promise.allSettled([
      startTestNats(),
      startTestNats({ tls: false }),
      startTestNats({ tls: false, jetstream: false }),
      startTestNats({ verifyClients: true }),
    ]);
    for (const result of started) if (result.status === "fulfilled") running.push(result.value);
    const failed = started.find((result) => result.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    [nats, plain, noJetStream, mutualTls] = running as [TestNats, TestNats, TestNats, TestNats];
    admin = connect();
  });
  after(async () => {
    for (const kine of kines) await kine.stop();
    for (const connection of opened) await connection.close();
    await Promise.all(running.map((server) => server.stop()));
  });

  test("check passes with the DataStore's user and password", async () => {
    await admin.check();
    await connect(plain).check();
  });

  test("provisioning creates kine's bucket once, and is idempotent", async () => {
    assert.equal(await admin.isProvisioned(tenantA), false);
    await admin.provision(tenantA);
    const created = await nats.witness.jsm.streams.info("KV_tenant-a");
    await admin.provision(tenantA);
    assert.equal(await admin.isProvisioned(tenantA), true);
    assert.ok((await nats.witness.buckets()).includes("tenant-a"));

    const again = await nats.witness.jsm.streams.info("KV_tenant-a");
    assert.equal(again.created, created.created, "the second provision must not recreate the bucket");
    assert.deepEqual(again.config, created.config);
    const status = await (await nats.witness.kvm.open("tenant-a")).status();
    assert.equal(status.history, 10);
    assert.equal(status.replicas, 1);
    assert.equal(status.description, KINE_BUCKET_DESCRIPTION);
    assert.equal(status.storage, "file");
    const config = created.config;
    assert.equal(config.allow_direct, true);
    assert.equal(config.deny_delete, true);
    assert.equal(config.deny_purge, false);
    assert.equal(config.allow_rollup_hdrs, true);
    assert.equal(config.discard, "new");
    assert.deepEqual(config.subjects, ["$KV.tenant-a.>"]);
    assert.equal(config.max_bytes, -1);
    assert.equal(config.max_msg_size, -1);
    assert.equal(config.duplicate_window, 120_000_000_000);
  });

  test("kine starts on a provisioned bucket without changing it, and stores its keys there", async () => {
    const bucket = "kine-proof";
    const tenant = { schema: bucket, user: "", password: "" };
    await admin.provision(tenant);
    const before = await nats.witness.jsm.streams.info(`KV_${bucket}`);
    const kine = await startKineOn(bucket);
    assert.doesNotMatch(kine.log(), /FATA|bucket name already in use|failed to/);
    // kine's CreateKeyValue was a no-op: same stream, same configuration (an update would have changed it).
    const afterStart = await nats.witness.jsm.streams.info(`KV_${bucket}`);
    assert.equal(afterStart.created, before.created);
    assert.deepEqual(afterStart.config, before.config);

    const client = new Etcd3({ hosts: `http://${kine.listen}` });
    try {
      await client.put("/registry/proof/key").value("stored-through-kine");
      assert.equal(await client.get("/registry/proof/key").string(), "stored-through-kine");
    } finally {
      client.close();
    }
    assert.ok((await nats.witness.keys(bucket)).includes(kineNatsKey("/registry/proof/key")));
    assert.equal(await admin.isProvisioned(tenant), true);
    await kine.stop();
  });

  test("the bucket kine creates itself has exactly the provisioned bucket's configuration", async () => {
    // kine on a bucket-less name creates the bucket its own way; the driver's then matches it field for field.
    const bucket = "kine-made";
    assert.equal(await nats.witness.bucketConfig(bucket), undefined);
    const kine = await startKineOn(bucket);
    await kine.stop();
    const kineMade = await nats.witness.bucketConfig(bucket);
    const provisioned = await nats.witness.bucketConfig("tenant-a");
    assert.ok(kineMade && provisioned);
    assert.deepEqual(
      { ...kineMade, name: "", subjects: [] },
      { ...provisioned, name: "", subjects: [] },
      "kine's bucket and the driver's differ",
    );
    assert.deepEqual(kineMade.subjects, ["$KV.kine-made.>"]);
    // And the driver adopts kine's bucket as its own: provisioning it changes nothing.
    const tenant = { schema: bucket, user: "", password: "" };
    assert.equal(await admin.isProvisioned(tenant), true);
    const before = await nats.witness.jsm.streams.info(`KV_${bucket}`);
    await admin.provision(tenant);
    assert.equal((await nats.witness.jsm.streams.info(`KV_${bucket}`)).created, before.created);
  });

  test("teardown removes the tenant's bucket and nothing else, and is idempotent", async () => {
    await admin.provision(tenantA);
    await admin.provision(tenantB);
    const a = await nats.witness.kvm.open(tenantA.schema);
    const b = await nats.witness.kvm.open(tenantB.schema);
    await a.put("registry.a", "1");
    await b.put("registry.b", "2");
    await b.put("registry.b2", "3");
    const others = (await nats.witness.buckets()).filter((name) => name !== tenantA.schema);

    await admin.teardown(tenantA);
    await admin.teardown(tenantA);

    assert.equal(await nats.witness.bucketConfig(tenantA.schema), undefined);
    assert.equal(await admin.isProvisioned(tenantA), false);
    assert.deepEqual(await nats.witness.buckets(), others);
    assert.equal(await admin.isProvisioned(tenantB), true);
    assert.deepEqual(await nats.witness.keys(tenantB.schema), ["registry.b", "registry.b2"]);
    assert.equal((await b.get("registry.b"))?.string(), "2");
  });

  test("a bucket of the tenant's name that kine did not make is refused and left alone", async () => {
    // @nats-io/kv's own bucket: another description, and deny_delete false, which kine would refuse to start on.
    const foreign = await nats.witness.kvm.create("foreign", { history: 10 });
    await foreign.put("app.data", "precious");
    const tenant = { schema: "foreign", user: "", password: "" };
    const config = await nats.witness.bucketConfig("foreign");
    // What the driver's own bucket spares us (see the kine tests above).
    await assert.rejects(startKineOn("foreign"), /kine exited:[^]*bucket name already in use: foreign/);
    assert.equal(await admin.isProvisioned(tenant), false);
    await assertDataStoreError(
      admin.provision(tenant),
      "InvalidConfiguration",
      /bucket "foreign" already exists on tls:\/\/127\.0\.0\.1:\d+ with a configuration other than kine's/,
      /kine would refuse to start on it/,
    );
    await admin.teardown(tenant);
    assert.deepEqual(await nats.witness.bucketConfig("foreign"), config);
    assert.deepEqual(await nats.witness.keys("foreign"), ["app.data"]);
  });

  test("a kine bucket with other settings is not provisioned, cannot be provisioned, and is torn down", async () => {
    // As kine makes it with `?revHistory=20`: kine's description, but provision would not leave it as it is.
    const kineMade = await nats.witness.bucketConfig("kine-made");
    assert.ok(kineMade);
    await nats.witness.jsm.streams.add({
      ...kineMade,
      name: "KV_history-20",
      subjects: ["$KV.history-20.>"],
      max_msgs_per_subject: 20,
    });
    const tenant = { schema: "history-20", user: "", password: "" };
    assert.equal(await admin.isProvisioned(tenant), false);
    await assertDataStoreError(
      admin.provision(tenant),
      "InvalidConfiguration",
      /with a configuration other than kine's/,
    );
    await admin.teardown(tenant);
    assert.equal(await nats.witness.bucketConfig("history-20"), undefined);
  });

  test("names NATS would refuse are refused before anything is done", async () => {
    const buckets = await nats.witness.buckets();
    // A dead endpoint: the name is refused before connecting.
    const dead = connect(nats, { endpoints: [`127.0.0.1:${await freePort()}`] });
    for (const [schema, pattern] of [
      ["a.b", /bucket name "a\.b" may contain only letters, digits, "-" and "_"/],
      [`x"; --`, /bucket name "x\\"; --" may contain only letters, digits/],
      ["ünï", /bucket name "ünï" may contain only letters, digits, "-" and "_" \(ASCII only/],
      ["a\0b", /bucket name "a\\u0000b" may contain only/],
      ["a b", /no dots, quotes, spaces, NUL or other characters/],
      ["", /the bucket name \(schema\) is empty/],
      ["x".repeat(253), /is 253 characters long, over NATS's 252/],
    ] as const) {
      const tenant = { schema, user: "u", password: "p" };
      for (const connection of [admin, dead]) {
        await assertDataStoreError(
          connection.provision(tenant),
          "InvalidConfiguration",
          /provision of tenant/,
          pattern,
        );
        await assertDataStoreError(connection.isProvisioned(tenant), "InvalidConfiguration", pattern);
        await assertDataStoreError(connection.teardown(tenant), "InvalidConfiguration", /teardown of tenant/, pattern);
      }
    }
    assert.deepEqual(await nats.witness.buckets(), buckets);
    // The longest name NATS allows works.
    const longest = { schema: "y".repeat(252), user: "", password: "" };
    await admin.provision(longest);
    assert.equal(await admin.isProvisioned(longest), true);
    await admin.teardown(longest);
    assert.equal(await admin.isProvisioned(longest), false);
  });

  test("a wrong password fails as Unauthorized, naming the endpoint", async () => {
    await assertDataStoreError(
      connect(nats, { password: "wrong" }).check(),
      "Unauthorized",
      /check: connect failed, on tls:\/\/127\.0\.0\.1:\d+: the server refused the DataStore's user and password/,
      /Authorization Violation/i,
    );
    await assertDataStoreError(
      connect(nats, { password: "wrong" }).provision(tenantA),
      "Unauthorized",
      /provision of tenant bucket "tenant-a": connect failed/,
    );
  });

  test("a closed port and a silent server fail as Unreachable within the deadline", async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    let took = await elapsedMs(() =>
      assertDataStoreError(
        connect(nats, { endpoints: [closed] }).check(),
        "Unreachable",
        new RegExp(`check: connect failed, tls://${closed} unreachable: .*connection refused`),
      ),
    );
    assert.ok(took < 2_000, `took ${took} ms`);

    const silent = await startSilentServer();
    try {
      const connection = connect(nats, { endpoints: [silent.endpoint], timeoutMs: 1_000 });
      took = await elapsedMs(() =>
        assertDataStoreError(
          connection.provision(tenantA),
          "Unreachable",
          new RegExp(`provision of tenant bucket "tenant-a": connect failed, tls://${silent.endpoint} unreachable`),
          /no answer within 1 s/,
        ),
      );
      assert.ok(took >= 900 && took < 3_000, `took ${took} ms`);
    } finally {
      await silent.close();
    }
    // A dead endpoint listed first does not keep the live one from serving.
    for (let attempt = 0; attempt < 3; attempt++) {
      await connect(nats, { endpoints: [closed, nats.endpoint] }).check();
    }
  });

  test("a hung server fails within the deadline, and the same connection recovers after a pause and a restart", async () => {
    const connection = connect(nats, { timeoutMs: 1_000 });
    await connection.check();
    nats.pause();
    try {
      const took = await elapsedMs(() =>
        assertDataStoreError(
          connection.check(),
          "Unreachable",
          /check: read the JetStream account information failed, tls:\/\/127\.0\.0\.1:\d+ unreachable: no answer within 1 s/,
        ),
      );
      assert.ok(took >= 900 && took < 3_000, `took ${took} ms`);
    } finally {
      nats.resume();
    }
    await connection.check();

    await nats.kill();
    try {
      // The first call may still meet the old connection going down; the next ones connect anew and are refused.
      await assertDataStoreError(connection.check(), "Unreachable", /connection (refused|closed)/);
      for (let attempt = 0; attempt < 3; attempt++) {
        await assertDataStoreError(connection.check(), "Unreachable", /connection refused/);
      }
    } finally {
      await nats.restart();
    }
    await connection.check();
    // The store survived the restart.
    assert.equal(await connection.isProvisioned(tenantB), true);
  });

  test("a failed connection leaves no socket or timer behind", async () => {
    const before = activeHandles();
    // A hung server: the client's connect times out waiting for its INFO, which nats.js alone would not clean up.
    const silent = await startSilentServer();
    try {
      for (const connection of [
        connect(nats, { endpoints: [`127.0.0.1:${await freePort()}`] }),
        connect(nats, { password: "wrong" }),
        connect(nats, { endpoints: [silent.endpoint], timeoutMs: 500 }),
        connect(plain, { tls: "server" }),
      ]) {
        await assert.rejects(connection.check(), DataStoreError);
        await connection.close();
      }
      // Servers close their side a moment after refusing, and the client's own connect timer ends just after the
      // driver's deadline. The silent server never closes anything: its sockets go only if the client closes them.
      await waitFor(
        "the NATS client to release its sockets and timers",
        () => {
          const now = activeHandles();
          return now.sockets <= before.sockets && now.timers <= before.timers ? true : undefined;
        },
        5_000,
        100,
      );
    } finally {
      await silent.close();
    }
  });

  test("TLS configured against a plain server, and the reverse, say which side lacks TLS", async () => {
    await assertDataStoreError(
      connect(plain, { tls: "server" }).check(),
      "Unreachable",
      /the server does not use TLS, but the DataStore has a TLS configuration/,
    );
    await assertDataStoreError(
      connect(nats, { tls: "none" }).check(),
      "Unreachable",
      /the server requires TLS, but the DataStore has no TLS configuration/,
    );
    // Without TLS on either side it works.
    const connection = connect(plain);
    await connection.provision(tenantA);
    assert.equal(await connection.isProvisioned(tenantA), true);
    assert.ok((await plain.witness.buckets()).includes(tenantA.schema));
  });

  test("a server certificate from another CA fails certificate verification", async () => {
    const other = encodeCertificateAndKey(await createTestAuthority("other-ca"));
    await assertDataStoreError(
      connect(nats, { tls: { caPem: other.certificatePem } }).check(),
      "Unauthorized",
      /certificate verification failed: the server's certificate does not verify against the DataStore CA/,
    );
  });

  test("a server that requires client certificates gets the DataStore's", async () => {
    const client = mutualTls.clientCertificate;
    const withCertificate = connect(mutualTls, {
      tls: { caPem: mutualTls.caPem, clientCertificatePem: client.certificatePem, clientKeyPem: client.privateKeyPem },
    });
    await withCertificate.provision(tenantA);
    assert.equal(await withCertificate.isProvisioned(tenantA), true);
    // The server's alert races with its closing the connection: the client reads one or the other.
    await assert.rejects(connect(mutualTls).check(), (error: unknown) => {
      assert.ok(error instanceof DataStoreError, String(error));
      const alert =
        /connect failed, on tls:\/\/127\.0\.0\.1:\d+: the server refused the DataStore's client certificate/;
      const reset = /connect failed, tls:\/\/127\.0\.0\.1:\d+ unreachable: .*ECONNRESET/;
      assert.match(error.message, error.reason === "Unauthorized" ? alert : reset);
      return true;
    });
  });

  test("a server without JetStream is an invalid configuration that says so", async () => {
    const connection = connect(noJetStream);
    for (const call of [() => connection.check(), () => connection.provision(tenantA)]) {
      await assertDataStoreError(
        call(),
        "InvalidConfiguration",
        /JetStream is not enabled on the server/,
        /nats:\/\/127\.0\.0\.1:\d+/,
      );
    }
  });

  test("a closed connection refuses further calls", async () => {
    const connection = connect();
    await connection.check();
    await connection.close();
    await assertDataStoreError(connection.check(), "OperationFailed", /this DataStore connection was closed/);
    await connection.close();
  });

  test("an unusable configuration is refused before connecting", () => {
    const config = {
      name: "test-nats",
      driver: "NATS" as const,
      endpoints: [nats.endpoint],
      tls: { certificateAuthorityPem: nats.caPem },
      basicAuth: { username: nats.user, password: nats.password },
    };
    assert.throws(() => openNatsConnection({ ...config, endpoints: [] }), invalidConfiguration(/no endpoints/));
    assert.throws(
      () => openNatsConnection({ ...config, endpoints: ["nats://127.0.0.1:4222"] }),
      invalidConfiguration(/not host:port/),
    );
    assert.throws(() => openNatsConnection({ ...config, driver: "etcd" }), invalidConfiguration(/cannot open a etcd/));
    assert.throws(
      () => openNatsConnection({ ...config, tls: { certificateAuthorityPem: "garbage" } }),
      invalidConfiguration(/DataStore CA/),
    );
    assert.throws(
      () =>
        openNatsConnection({
          ...config,
          tls: { ...config.tls, clientCertificatePem: mutualTls.clientCertificate.certificatePem },
        }),
      invalidConfiguration(/client certificate and key must be given together/),
    );
  });
});
