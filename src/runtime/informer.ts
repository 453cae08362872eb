// List + watch of one resource type into an in-memory store, with handlers for changes. The watch resumes from
// the last resourceVersion seen; "410 Gone" (that version was compacted away) triggers a fresh list, whose
// differences with the store are delivered as add/update/delete; any other failure restarts it with backoff.
import type { Logger } from "./logger.js";
import { isGone, type KubeClient, type KubeObject, type WatchEvent } from "./kube-client.js";
import { isAborted, sleep } from "./abort.js";
import { apiVersionOf, type ResourceType } from "./resource-types.js";

export interface InformerHandlers<T> {
  add?(object: T): void;
  update?(oldObject: T, newObject: T): void;
  delete?(object: T): void;
  /** Every object in the store, again, once per resync period (an unchanged object: nothing happened to it). */
  resync?(object: T): void;
}

export interface InformerOptions<T> {
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** Applied to every object before it is stored (e.g. to drop data the operator never reads from the cache). */
  readonly transform?: (object: T) => T;
  /**
   * Lists and watches metadata only (PartialObjectMetadata), without managedFields: for objects watched only to
   * trigger reconciles, whose reconciles read them from the API. The server sends no data, spec or status.
   */
  readonly metadataOnly?: boolean;
  /**
   * Hands every stored object to the `resync` handlers this often (upstream's --cache-resync-period), so that a
   * controller looks again at objects nobody touched. Undefined: never.
   */
  readonly resyncPeriodMs?: number;
  /** Server-side timeout of each watch; default a random 300-600 s, which spreads the restarts as client-go does. */
  readonly watchTimeoutSeconds?: number;
  /** How long past its timeout a watch may stay open before it is taken for dead and restarted (default 30 s). */
  readonly watchGraceMs?: number;
}

export const objectKey = (metadata: { namespace?: string; name?: string }): string =>
  metadata.namespace === undefined || metadata.namespace === ""
    ? (metadata.name ?? "")
    : `${metadata.namespace}/${metadata.name ?? ""}`;

const PAGE_SIZE = 500;
const MAX_BACKOFF_MS = 30_000;
const DEFAULT_WATCH_GRACE_MS = 30_000;
/** A watch that ends sooner than this without a single event is a failure (as client-go's "very short watch"). */
const SHORT_WATCH_MS = 1_000;

/**
 * Whether a watch that ended by itself ended too soon: closed within a second with nothing delivered, which a healthy
 * API server never does (a proxy or server refusing watches does). Retrying it at once would spin.
 */
export function isVeryShortWatch(durationMs: number, events: number): boolean {
  return events === 0 && durationMs < SHORT_WATCH_MS;
}

export class Informer<T extends KubeObject> {
  readonly #store = new Map<string, T>();
  readonly #indexers = new Map<string, (object: T) => readonly string[]>();
  readonly #handlers: InformerHandlers<T>[] = [];
  readonly #synced: Promise<void>;
  #markSynced!: () => void;
  #hasSynced = false;
  #resourceVersion: string | undefined;

  constructor(
    private readonly client: KubeClient,
    readonly type: ResourceType,
    private readonly log: Logger,
    private readonly options: InformerOptions<T> = {},
  ) {
    this.#synced = new Promise((resolve) => (this.#markSynced = resolve));
  }

  on(handlers: InformerHandlers<T>): void {
    this.#handlers.push(handlers);
  }

  /** An index of the store: `values(object)` are the index keys an object is found under. */
  addIndex(name: string, values: (object: T) => readonly string[]): void {
    this.#indexers.set(name, values);
  }

  get hasSynced(): boolean {
    return this.#hasSynced;
  }

  waitForSync(): Promise<void> {
    return this.#synced;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#store.get(objectKey({ name, namespace }));
  }

  list(): T[] {
    return [...this.#store.values()];
  }

  byIndex(name: string, value: string): T[] {
    const values = this.#indexers.get(name);
    if (values === undefined) throw new Error(`informer ${this.type.plural}: no index named ${name}`);
    return this.list().filter((object) => values(object).includes(value));
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const resync = this.#startResync(signal);
    try {
      await this.#listAndWatch(signal);
    } finally {
      clearInterval(resync);
    }
  }

  #startResync(signal: AbortSignal): NodeJS.Timeout | undefined {
    const period = this.options.resyncPeriodMs;
    if (period === undefined || signal.aborted) return undefined;
    return setInterval(() => {
      if (!this.#hasSynced) return;
      for (const object of this.#store.values()) this.#emit((h) => h.resync?.(object));
    }, period);
  }

  async #listAndWatch(signal: AbortSignal): Promise<void> {
    let backoffMs = 500;
    while (!signal.aborted) {
      try {
        if (this.#resourceVersion === undefined) await this.#relist();
        await this.#watchOnce(signal);
        backoffMs = 500;
      } catch (error) {
        if (isAborted(signal)) return;
        if (isGone(error)) {
          this.log.info({ resource: this.type.plural }, "watch expired, listing again");
          this.#resourceVersion = undefined;
          continue;
        }
        this.log.warn({ resource: this.type.plural, error, retryInMs: backoffMs }, "list/watch failed");
        await sleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /**
   * One watch from the last resourceVersion. It must end by its server-side timeout: one still open past that plus
   * the grace is on a dead connection (packets dropped, nothing closed) and is cut, so the next one starts afresh.
   */
  async #watchOnce(signal: AbortSignal): Promise<void> {
    const timeoutSeconds = this.options.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    const livenessMs = timeoutSeconds * 1000 + (this.options.watchGraceMs ?? DEFAULT_WATCH_GRACE_MS);
    const liveness = AbortSignal.timeout(livenessMs);
    const started = Date.now();
    let events = 0;
    await this.client.watch<T>(
      this.type,
      {
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
        resourceVersion: this.#resourceVersion,
        timeoutSeconds,
        metadataOnly: this.options.metadataOnly,
      },
      (event) => {
        events += 1;
        this.#apply(event);
      },
      AbortSignal.any([signal, liveness]),
    );
    if (liveness.aborted && !signal.aborted) {
      this.log.warn({ resource: this.type.plural, livenessMs }, "watch silent past its timeout, restarting it");
    } else if (!signal.aborted && isVeryShortWatch(Date.now() - started, events)) {
      throw new Error(`watch of ${this.type.plural} closed after ${Date.now() - started} ms with no event`);
    }
  }

  async #relist(): Promise<void> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.client.list<T>(this.type, {
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
        metadataOnly: this.options.metadataOnly,
        limit: PAGE_SIZE,
        continue: continueToken,
      });
      items.push(...page.items);
      continueToken = page.metadata.continue === "" ? undefined : page.metadata.continue;
      resourceVersion = page.metadata.resourceVersion;
    } while (continueToken !== undefined);

    const seen = new Set<string>();
    for (const item of items) {
      seen.add(objectKey(item.metadata));
      this.#upsert(this.#transform(item));
    }
    for (const [key, object] of [...this.#store]) {
      if (!seen.has(key)) this.#remove(key, object);
    }
    this.#resourceVersion = resourceVersion;
    if (!this.#hasSynced) {
      this.#hasSynced = true;
      this.#markSynced();
    }
  }

  #apply(event: WatchEvent<T>): void {
    this.#resourceVersion = event.object.metadata.resourceVersion ?? this.#resourceVersion;
    if (event.type === "BOOKMARK") return;
    const object = this.#transform(event.object);
    if (event.type === "DELETED") this.#remove(objectKey(object.metadata), object);
    else this.#upsert(object);
  }

  #transform(object: T): T {
    // List items carry no apiVersion/kind (metadata-only ones say PartialObjectMetadata); handlers and SSA callers
    // expect the type's.
    const typed = { ...object, apiVersion: apiVersionOf(this.type), kind: this.type.kind };
    if (this.options.metadataOnly === true) {
      const { managedFields: _unused, ...metadata } = typed.metadata as T["metadata"] & { managedFields?: unknown };
      typed.metadata = metadata;
    }
    return this.options.transform === undefined ? typed : this.options.transform(typed);
  }

  #upsert(object: T): void {
    const key = objectKey(object.metadata);
    const old = this.#store.get(key);
    this.#store.set(key, object);
    if (old === undefined) this.#emit((h) => h.add?.(object));
    else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) {
      this.#emit((h) => h.update?.(old, object));
    }
  }

  #remove(key: string, object: T): void {
    if (!this.#store.delete(key)) return;
    this.#emit((h) => h.delete?.(object));
  }

  #emit(call: (handlers: InformerHandlers<T>) => void): void {
    for (const handlers of this.#handlers) {
      try {
        call(handlers);
      } catch (error) {
        this.log.error({ resource: this.type.plural, error }, "informer handler failed");
      }
    }
  }
}
