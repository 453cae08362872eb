// The migration's copy engine against the real servers: etcd, and kine in front of PostgreSQL, MariaDB and NATS
// (each with TLS). 1,000 keys of one tenant (mixed sizes, some under a lease, another tenant's keys beside them)
// travel a circuit through every ordered pair of drivers and each driver to itself; at each hop every key and value is
// there once, nothing of the other tenant moved, leased keys keep a lease, and the target's revision ends above the
// source's.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Etcd3 } from "etcd3";
import { copyTenant } from "../../src/migration/copy-tenant.js";
import { KeyStore, prefixEnd } from "../../src/migration/key-store.js";
import { startTestEtcd, type TestEtcd } from "../helpers/etcd.js";
import { putWhenReady, startKine, type TestKine } from "../helpers/kine.js";
import { serverOf, startKineServers, type KineServers } from "../helpers/kine-servers.js";

type Side = "etcd" | "PostgreSQL" | "MySQL" | "NATS";

describe("tenant copy between datastores", { timeout: 600_000 }, () => {
  let etcd: TestEtcd;
  let servers: KineServers;
  const kines = new Map<Side, TestKine>();
  const clients = new Map<Side, Etcd3>();
  const original = new Map<string, Buffer>();
  const leased = new Set<string>();
  const quiet = () => undefined;

  const store = (side: Side) =>
    side === "etcd"
      ? KeyStore.open({
          kind: "etcd",
          urls: etcd.endpoints.map((endpoint) => `https://${endpoint}`),
          tls: { caPem: etcd.caPem, certificatePem: etcd.rootCertPem, privateKeyPem: etcd.rootKeyPem },
          description: side,
        })
      : KeyStore.open({ kind: "kine", urls: [`http://${kines.get(side)?.listen ?? ""}`], description: side });

  /** Every key of the tenant on `side`, relative to its prefix. */
  async function contents(side: Side, prefix: string) {
    const client = clients.get(side);
    if (client === undefined) throw new Error(`no client for ${side}`);
    const start = Buffer.from(`${prefix}/`);
    const response = await client.kv.range({ key: start, range_end: prefixEnd(start) });
    // kine's own /registry/health is not the tenant's.
    return new Map(
      response.kvs
        .map((kv) => [kv.key.toString().slice(prefix.length), { value: kv.value, lease: kv.lease }] as const)
        .filter(([key]) => key !== "/health"),
    );
  }

  before(async () => {
    [etcd, servers] = await Promise.all([startTestEtcd(), startKineServers()]);
    clients.set(
      "etcd",
      new Etcd3({
        hosts: etcd.endpoints.map((endpoint) => `https://${endpoint}`),
        credentials: {
          rootCertificate: Buffer.from(etcd.caPem),
          certChain: Buffer.from(etcd.rootCertPem),
          privateKey: Buffer.from(etcd.rootKeyPem),
        },
      }),
    );
    const urls: Record<Exclude<Side, "etcd">, string> = {
      PostgreSQL: (() => {
        const s = serverOf(servers, "PostgreSQL");
        return `postgres://${s.user}:${s.password}@${s.endpoint}/tenant_copy`;
      })(),
      MySQL: (() => {
        const s = serverOf(servers, "MySQL");
        return `mysql://${s.user}:${s.password}@tcp(${s.endpoint})/tenant_copy`;
      })(),
      NATS: (() => {
        const s = serverOf(servers, "NATS");
        return `nats://${s.user}:${s.password}@${s.endpoint}?bucket=tenant_copy&noEmbed`;
      })(),
    };
    for (const side of ["PostgreSQL", "MySQL", "NATS"] as const) {
      const kine = await startKine(urls[side], serverOf(servers, side).caPem);
      kines.set(side, kine);
      const client = new Etcd3({ hosts: `http://${kine.listen}` });
      clients.set(side, client);
      await putWhenReady(kine, client, "/ready", "yes");
    }
    // The tenant: 1,000 keys like an API server's (mixed kinds and sizes), 50 of them under a 1-hour lease (events).
    const etcdClient = clients.get("etcd");
    if (etcdClient === undefined) throw new Error("no etcd client");
    const lease = etcdClient.lease(3600, { autoKeepAlive: false });
    const leaseId = await lease.grant();
    const kinds = ["pods", "configmaps", "secrets", "services/specs", "events", "deployments"];
    for (let i = 0; i < 1_000; i++) {
      const kind = kinds[i % kinds.length] ?? "pods";
      const key = `/${kind}/ns-${i % 7}/object-${i}`;
      const value = randomBytes(i % 10 === 0 ? 16_384 : 64 + (i % 900));
      original.set(key, value);
      if (kind === "events" && leased.size < 50) {
        leased.add(key);
        await etcdClient.put(`/tenant-a${key}`).value(value).lease(leaseId).exec();
      } else {
        await etcdClient.put(`/tenant-a${key}`).value(value).exec();
      }
    }
    // Another tenant beside it, and a key whose name only starts like the tenant's prefix.
    await etcdClient.put("/tenant-b/pods/default/x").value("other").exec();
    await etcdClient.put("/tenant-ab/pods/default/x").value("other").exec();
    // Writes of unrelated keys raise etcd's revision well above the tenant's key count.
    for (let i = 0; i < 300; i++) await etcdClient.put("/tenant-b/counter").value(String(i)).exec();
  });

  after(async () => {
    for (const client of clients.values()) client.close();
    await Promise.allSettled([
      ...[...kines.values()].map((kine) => kine.stop()),
      etcd.stop(),
      ...[...servers.values()].map((server) => server.stop()),
    ]);
  });

  // Every ordered pair of drivers, and each driver to itself (another prefix: another tenant's place), as one circuit:
  // each hop copies from where the previous one put the keys, to a prefix of its own.
  const circuit: Side[] = [
    "etcd",
    "etcd",
    "PostgreSQL",
    "PostgreSQL",
    "MySQL",
    "MySQL",
    "NATS",
    "NATS",
    "etcd",
    "MySQL",
    "PostgreSQL",
    "NATS",
    "MySQL",
    "etcd",
    "NATS",
    "PostgreSQL",
    "etcd",
  ];
  const hops = circuit.slice(1).map((to, index) => ({
    from: circuit[index] ?? "etcd",
    to,
    sourcePrefix: index === 0 ? "/tenant-a" : `/hop-${index}`,
    targetPrefix: `/hop-${index + 1}`,
  }));

  test("the circuit holds every ordered pair of drivers once, and each driver to itself", () => {
    const pairs = new Set(hops.map((hop) => `${hop.from}→${hop.to}`));
    assert.equal(pairs.size, 16);
    assert.equal(hops.length, 16);
  });

  for (const { from, to, sourcePrefix, targetPrefix } of hops) {
    test(`${from} → ${to}: every key once with its value, leases kept, the target's revision above the source's`, async () => {
      const begin = Date.now();
      const result = await copyTenant({
        source: store(from),
        target: store(to),
        sourcePrefix,
        targetPrefix,
        sourceName: `${from}${sourcePrefix}`,
        cleanupPrior: false,
        log: quiet,
      });
      console.error(
        `[tenant-copy] ${from} → ${to}: ${result.keys} keys, ${result.bytes} bytes in ${((Date.now() - begin) / 1000).toFixed(1)} s; ` +
          `source revision ${result.sourceRevision}, target revision ${result.targetRevision} (${result.revisionBumps} writes to raise it)`,
      );
      assert.equal(result.keys, 1_000);
      assert.ok(result.targetRevision > result.sourceRevision, "the target's revision is above the source's");
      const copied = await contents(to, targetPrefix);
      assert.equal(copied.size, 1_000, "no key left out, none added (markers removed)");
      for (const [key, value] of original) {
        const found = copied.get(key);
        assert.ok(found !== undefined, `${key} is on ${to}`);
        assert.ok(found.value.equals(value), `${key} has its value on ${to}`);
        assert.equal(found.lease !== "0", leased.has(key), `${key} ${leased.has(key) ? "keeps a" : "has no"} lease`);
      }
      if (to === "etcd") {
        const other = await contents("etcd", "/tenant-b");
        assert.equal(other.get("/pods/default/x")?.value.toString(), "other", "the other tenant is untouched");
      }
    });
  }

  test("a target that already holds tenant keys is refused unless told to replace them; an interrupted attempt is resumed", async () => {
    const options = {
      source: store("etcd"),
      target: store("PostgreSQL"),
      sourcePrefix: "/tenant-a",
      targetPrefix: "/hop-3",
      cleanupPrior: false,
      log: quiet,
    };
    // PostgreSQL holds the keys of the circuit's PostgreSQL → PostgreSQL hop, whose marker is gone: a prior
    // migration's data.
    await assert.rejects(
      copyTenant({ ...options, sourceName: "another-source" }),
      /already holds 1000 keys under \/hop-3\/ \(\/hop-3\/[^)]*\) that no attempt of this migration left: set the annotation kamaji\.clastix\.io\/cleanup-prior-migration=true/,
    );
    const replaced = await copyTenant({ ...options, sourceName: "another-source", cleanupPrior: true });
    assert.equal(replaced.replaced, 1_000);
    assert.equal((await contents("PostgreSQL", "/hop-3")).size, 1_000);
    // An attempt that stopped halfway: its marker names the same source, so the retry starts over by itself.
    const target = store("PostgreSQL");
    await target.create(
      Buffer.from("/hop-3/kamaji.clastix.io/migration"),
      Buffer.from(JSON.stringify({ source: "etcd-again" })),
    );
    const resumed = await copyTenant({ ...options, sourceName: "etcd-again" });
    assert.equal(resumed.keys, 1_000);
    assert.equal(resumed.replaced, 1_001, "the partial copy and its marker were removed first");
    assert.equal((await contents("PostgreSQL", "/hop-3")).size, 1_000);
  });
});
