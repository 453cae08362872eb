// Copies one tenant's keys from its DataStore to another, any driver to any driver, through the etcd API both sides
// serve (etcd itself, or kine in front of PostgreSQL, MySQL or NATS). The tenant must be frozen before: the copy is
// a snapshot of the source at one revision.
//
// What clients see afterwards: every key with the same value; resourceVersions (revisions) are the target's, so the
// target's revision is first raised above the source's. A client that resumes a watch or a paginated list with a
// resourceVersion from before is told it is too old (410 Gone, as after a compaction) and lists again: it never
// receives a change twice and never misses one.
import { createHash } from "node:crypto";
import { KeyStore, prefixEnd, type StoredKey } from "./key-store.js";

export interface CopyOptions {
  readonly source: KeyStore;
  readonly target: KeyStore;
  /** Where the tenant's API server keeps its keys on each side: `/<schema>` on etcd, `/registry` under kine. */
  readonly sourcePrefix: string;
  readonly targetPrefix: string;
  /** Names the source in the target's progress marker, so that a retry knows its own partial copy. */
  readonly sourceName: string;
  /** Replace tenant keys found on the target that no earlier attempt of this migration left there. */
  readonly cleanupPrior: boolean;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
  /** Writes in flight at once. */
  readonly concurrency?: number;
}

export interface CopyResult {
  readonly keys: number;
  readonly bytes: number;
  /** The source's revision the snapshot was read at. */
  readonly sourceRevision: number;
  /** The target's revision once the copy is done (above the source's). */
  readonly targetRevision: number;
  /** Target keys removed first (a prior or interrupted copy). */
  readonly replaced: number;
  /** Writes made only to raise the target's revision. */
  readonly revisionBumps: number;
  /** sha256 over every key and value, equal on both sides. */
  readonly digest: string;
}

const PAGE = 500;
const markerName = "kamaji.clastix.io/migration";
/** kine writes `/registry/health` itself when it starts: its own, never the tenant's. */
const storeInternal = new Set(["/health"]);

/** The tenant's own range: keys under `<prefix>/`. */
const rangeOf = (prefix: string) => {
  const start = Buffer.from(`${prefix}/`);
  return { start, end: prefixEnd(start) };
};

async function inBatches<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

/** Every key of the range at `revision` (0: now), page by page, without the store's own keys. */
async function* scan(store: KeyStore, prefix: string, revision: number): AsyncGenerator<StoredKey[], number> {
  const { start, end } = rangeOf(prefix);
  let from = start;
  let at = revision;
  for (;;) {
    const page = await store.page(from, end, PAGE, at);
    if (at === 0) at = page.revision;
    yield page.keys.filter((kv) => !storeInternal.has(kv.key.subarray(prefix.length).toString()));
    const last = page.keys.at(-1);
    if (!page.more || last === undefined) return at;
    from = Buffer.concat([last.key, Buffer.from([0])]);
  }
}

class TenantCopy {
  readonly #options: CopyOptions;
  readonly #marker: Buffer;
  readonly #leases = new Map<string, Promise<string | undefined>>();
  /** Source keys left out because their lease had run out. */
  readonly #expired = new Set<string>();

  constructor(options: CopyOptions) {
    this.#options = options;
    this.#marker = Buffer.from(`${options.targetPrefix}/${markerName}`);
  }

  #translate(key: Buffer): Buffer {
    return Buffer.concat([Buffer.from(this.#options.targetPrefix), key.subarray(this.#options.sourcePrefix.length)]);
  }

  #isOurs(key: Buffer): boolean {
    return key.toString().startsWith(`${this.#options.targetPrefix}/${markerName}`);
  }

  /** Empties the target's range when it holds an earlier attempt of this copy, or when told to; else refuses. */
  async #prepareTarget(): Promise<number> {
    const { target, targetPrefix, sourceName, cleanupPrior, log } = this.#options;
    const marker = await target.get(this.#marker);
    const held: string[] = [];
    for await (const keys of scan(target, targetPrefix, 0)) held.push(...keys.map((kv) => kv.key.toString()));
    if (held.length === 0) return 0;
    const ownAttempt =
      marker !== undefined && (JSON.parse(marker.value.toString()) as { source?: string }).source === sourceName;
    if (!ownAttempt && !cleanupPrior) {
      throw new Error(
        `the target ${target.description} already holds ${held.length} keys under ${targetPrefix}/ ` +
          `(${held.slice(0, 3).join(", ")}${held.length > 3 ? ", ..." : ""}) that no attempt of this ` +
          "migration left: set the annotation kamaji.clastix.io/cleanup-prior-migration=true on the " +
          "TenantControlPlane to replace them (or --cleanup-prior-migration)",
      );
    }
    log(ownAttempt ? "removing the keys of an interrupted attempt" : "removing the target's prior keys", {
      keys: held,
    });
    let removed = 0;
    for await (const keys of scan(target, targetPrefix, 0)) {
      await inBatches(keys, this.#options.concurrency ?? 32, async (kv) => {
        if (await target.delete(kv.key, kv.modRevision)) removed += 1;
      });
    }
    return removed;
  }

  /** The target lease for a source lease: the same time left; none when the source's has already run out. */
  #lease(sourceLease: string): Promise<string | undefined> {
    if (sourceLease === "0") return Promise.resolve("0");
    let mapped = this.#leases.get(sourceLease);
    if (mapped === undefined) {
      mapped = (async () => {
        const seconds = await this.#options.source.leaseSecondsLeft(sourceLease);
        return seconds > 0 ? this.#options.target.grantLease(seconds) : undefined;
      })();
      this.#leases.set(sourceLease, mapped);
    }
    return mapped;
  }

  async #copyKeys(): Promise<{ keys: number; bytes: number; revision: number; expired: number }> {
    const { source, target, sourcePrefix } = this.#options;
    let keys = 0;
    let bytes = 0;
    let expired = 0;
    const scanner = scan(source, sourcePrefix, 0);
    for (;;) {
      const next = await scanner.next();
      if (next.done === true) return { keys, bytes, revision: next.value, expired };
      await inBatches(next.value, this.#options.concurrency ?? 32, async (kv) => {
        const lease = await this.#lease(kv.lease);
        if (lease === undefined) {
          expired += 1; // its lease ran out: etcd deletes it any moment now
          this.#expired.add(kv.key.toString("base64"));
          return;
        }
        const translated = this.#translate(kv.key);
        if ((await target.create(translated, kv.value, lease)) === undefined) {
          throw new Error(`${target.description}: ${translated.toString()} appeared on the target during the copy`);
        }
        keys += 1;
        bytes += kv.value.length;
      });
    }
  }

  /** Writes (to keys of its own, removed after) until the target's revision is above `revision`. */
  async #raiseRevision(revision: number): Promise<number> {
    const { target, targetPrefix } = this.#options;
    let current = await target.revision();
    if (current > revision) return 0;
    const lanes = Math.min(this.#options.concurrency ?? 32, revision - current + 1);
    let writes = 0;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        const key = Buffer.from(`${targetPrefix}/${markerName}-revision-${lane}`);
        let at = 0;
        while (current <= revision) {
          const value = Buffer.from(String(current));
          const next = at === 0 ? await target.create(key, value) : await target.update(key, value, at);
          if (next === undefined)
            throw new Error(`${target.description}: ${key.toString()} changed under the migration`);
          at = next;
          current = Math.max(current, next);
          writes += 1;
        }
        await target.delete(key, at);
      }),
    );
    return writes;
  }

  async #digest(
    store: KeyStore,
    prefix: string,
    revision: number,
    translate: boolean,
  ): Promise<{ digest: string; keys: number }> {
    const hash = createHash("sha256");
    let keys = 0;
    for await (const page of scan(store, prefix, revision)) {
      for (const kv of page) {
        if (translate && this.#expired.has(kv.key.toString("base64"))) continue;
        const key = translate ? this.#translate(kv.key) : kv.key;
        if (this.#isOurs(key)) continue;
        hash.update(`${key.length}:`).update(key).update(`${kv.value.length}:`).update(kv.value);
        keys += 1;
      }
    }
    return { digest: hash.digest("hex"), keys };
  }

  async run(): Promise<CopyResult> {
    const { source, target, sourceName, log } = this.#options;
    const replaced = await this.#prepareTarget();
    const markerValue = Buffer.from(JSON.stringify({ source: sourceName, startedAt: new Date().toISOString() }));
    const marker = await target.get(this.#marker);
    if (marker === undefined) await target.create(this.#marker, markerValue);
    else await target.update(this.#marker, markerValue, marker.modRevision);
    const copied = await this.#copyKeys();
    log("keys copied", {
      keys: copied.keys,
      bytes: copied.bytes,
      sourceRevision: copied.revision,
      expired: copied.expired,
    });
    const [from, to] = await Promise.all([
      this.#digest(source, this.#options.sourcePrefix, copied.revision, true),
      this.#digest(target, this.#options.targetPrefix, 0, false),
    ]);
    if (from.digest !== to.digest || from.keys !== to.keys) {
      throw new Error(
        `the copy differs from the source: ${from.keys} keys at source revision ${copied.revision} ` +
          `(${copied.expired} expiring), ${to.keys} on ${target.description}`,
      );
    }
    const revisionBumps = await this.#raiseRevision(copied.revision);
    const done = await target.get(this.#marker);
    if (done !== undefined) await target.delete(this.#marker, done.modRevision);
    const targetRevision = await target.revision();
    log("copy verified", { digest: to.digest, targetRevision, revisionBumps, source: source.description });
    return {
      keys: copied.keys,
      bytes: copied.bytes,
      sourceRevision: copied.revision,
      targetRevision,
      replaced,
      revisionBumps,
      digest: to.digest,
    };
  }
}

export function copyTenant(options: CopyOptions): Promise<CopyResult> {
  return new TenantCopy(options).run();
}
