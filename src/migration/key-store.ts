// A tenant's keys through the etcd v3 API, as both etcd and kine serve it. Every write is one of the transaction
// shapes kube-apiserver sends (create if absent, update or delete at a known revision), the only writes kine accepts,
// so the same code moves keys between any two drivers.
import { handleWhen, noop, retry } from "cockatiel";
import { Etcd3, isRecoverableError } from "etcd3";

/** etcd itself, or kine (whose leases are their TTL and which serves only kube-apiserver's request shapes). */
export type StoreKind = "etcd" | "kine";

export interface KeyStoreEndpoint {
  readonly kind: StoreKind;
  /** `https://host:port` or `http://127.0.0.1:port` (a kine next to the copy). */
  readonly urls: readonly string[];
  readonly tls?: { readonly caPem: string; readonly certificatePem?: string; readonly privateKeyPem?: string };
  /** For errors: which side and where (`source etcd 10.0.0.1:2379`). */
  readonly description: string;
  /** Deadline of each call. */
  readonly timeoutMs?: number;
}

export interface StoredKey {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly modRevision: number;
  /** "0" without a lease. */
  readonly lease: string;
}

export interface KeyPage {
  readonly keys: StoredKey[];
  readonly more: boolean;
  /** The store's revision the page was read at. */
  readonly revision: number;
}

/** The end of the range of every key starting with `prefix` (etcd's "prefix + 1"). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i] = (end[i] ?? 0) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

const kineLeaseTtlLimitSeconds = 24 * 3600;

export class KeyStore {
  constructor(
    private readonly client: Etcd3,
    readonly kind: StoreKind,
    /** For errors: which side and where (`source etcd 10.0.0.1:2379`). */
    readonly description: string,
  ) {}

  static open(endpoint: KeyStoreEndpoint): KeyStore {
    const { tls } = endpoint;
    const timeoutMs = endpoint.timeoutMs ?? 30_000;
    const client = new Etcd3({
      hosts: [...endpoint.urls],
      ...(tls === undefined
        ? {}
        : {
            credentials: {
              rootCertificate: Buffer.from(tls.caPem),
              ...(tls.certificatePem === undefined ? {} : { certChain: Buffer.from(tls.certificatePem) }),
              ...(tls.privateKeyPem === undefined ? {} : { privateKey: Buffer.from(tls.privateKeyPem) }),
            },
          }),
      defaultCallOptions: () => ({ deadline: Date.now() + timeoutMs }),
      // No circuit breaker: one refused request would fail every later one for a while. Retried on the next URL.
      faultHandling: {
        host: () => noop,
        global: retry(handleWhen(isRecoverableError), { maxAttempts: Math.max(endpoint.urls.length - 1, 0) }),
      },
    });
    return new KeyStore(client, endpoint.kind, endpoint.description);
  }

  /** Up to `limit` keys of [from, end), at `revision` (0: now). */
  async page(from: Buffer, end: Buffer, limit: number, revision: number): Promise<KeyPage> {
    const response = await this.client.kv.range({ key: from, range_end: end, limit, revision });
    return {
      keys: response.kvs.map((kv) => ({
        key: kv.key,
        value: kv.value,
        modRevision: Number(kv.mod_revision),
        lease: kv.lease,
      })),
      more: response.more,
      revision: Number(response.header.revision),
    };
  }

  async get(key: Buffer): Promise<StoredKey | undefined> {
    return (await this.page(key, Buffer.alloc(0), 1, 0)).keys[0];
  }

  /** The store's current revision. */
  async revision(): Promise<number> {
    const response = await this.client.kv.range({
      key: Buffer.from([0]),
      range_end: Buffer.from([0]),
      count_only: true,
    });
    return Number(response.header.revision);
  }

  /** Creates `key`; its revision, or undefined when it already exists. */
  async create(key: Buffer, value: Buffer, lease = "0"): Promise<number | undefined> {
    const response = await this.client.kv.txn({
      compare: [{ key, target: "Mod", result: "Equal", mod_revision: 0 }],
      success: [{ request_put: { key, value, lease } }],
      failure: [],
    });
    return response.succeeded ? Number(response.header.revision) : undefined;
  }

  /** Replaces `key` if it is still at `modRevision`; its new revision, or undefined when it moved. */
  async update(key: Buffer, value: Buffer, modRevision: number, lease = "0"): Promise<number | undefined> {
    const response = await this.client.kv.txn({
      compare: [{ key, target: "Mod", result: "Equal", mod_revision: modRevision }],
      success: [{ request_put: { key, value, lease } }],
      failure: [{ request_range: { key } }],
    });
    return response.succeeded ? Number(response.header.revision) : undefined;
  }

  /** Deletes `key` if it is still at `modRevision`. */
  async delete(key: Buffer, modRevision: number): Promise<boolean> {
    const response = await this.client.kv.txn({
      compare: [{ key, target: "Mod", result: "Equal", mod_revision: modRevision }],
      success: [{ request_delete_range: { key } }],
      failure: [{ request_range: { key } }],
    });
    return response.succeeded;
  }

  /**
   * The seconds a lease has left. kine's leases are their TTL (the ID is the TTL and time-to-live is not served),
   * so there the ID is taken as the TTL, capped at a day.
   */
  async leaseSecondsLeft(lease: string): Promise<number> {
    if (this.kind === "kine") return Math.min(Number(lease), kineLeaseTtlLimitSeconds);
    const response = await this.client.leaseClient.leaseTimeToLive({ ID: lease });
    return Number(response.TTL);
  }

  async grantLease(seconds: number): Promise<string> {
    const response = await this.client.leaseClient.leaseGrant({ TTL: seconds, ID: 0 });
    return response.ID;
  }

  close(): void {
    this.client.close();
  }
}
