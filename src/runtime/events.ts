// events.k8s.io/v1 Events about the objects the operator manages. A repeat of the same event (same object, reason
// and note) within the series window updates the first event's series count instead of creating another one.
import { randomBytes } from "node:crypto";
import type { Logger } from "./logger.js";
import type { CallOptions, KubeClient, KubeObject } from "./kube-client.js";
import { resourceTypes } from "./resource-types.js";
import { microTime } from "./time.js";

export type EventType = "Normal" | "Warning";

export interface EventRecord {
  readonly type: EventType;
  readonly reason: string;
  /** What the controller was doing (e.g. Reconcile, Provision, Delete). */
  readonly action: string;
  readonly note: string;
}

const SERIES_WINDOW_MS = 10 * 60_000;

interface SeriesEntry {
  name: string;
  namespace: string;
  count: number;
  lastAt: number;
}

export class EventRecorder {
  readonly #series = new Map<string, SeriesEntry>();

  constructor(
    private readonly client: KubeClient,
    private readonly controller: string,
    private readonly instance: string,
    private readonly log: Logger,
  ) {}

  /**
   * Records the event; failures are logged, never thrown (an event must not fail a reconcile). With a signal that
   * has fired (a stopped or deposed reconcile), nothing is recorded.
   */
  async record(regarding: KubeObject, event: EventRecord, call: CallOptions = {}): Promise<void> {
    if (call.signal?.aborted) return;
    const { metadata } = regarding;
    // Events of cluster-scoped objects (DataStores) live in "default", as kubectl and client-go put them.
    const namespace = metadata.namespace ?? "default";
    const key = [metadata.uid, event.type, event.reason, event.note].join("\u0000");
    const now = new Date();
    try {
      const series = this.#series.get(key);
      if (series !== undefined && now.getTime() - series.lastAt < SERIES_WINDOW_MS) {
        series.count += 1;
        series.lastAt = now.getTime();
        const change = { series: { count: series.count, lastObservedTime: microTime(now) } };
        await this.client.patch(resourceTypes.event, series.name, series.namespace, change, undefined, call);
        return;
      }
      const name = `${metadata.name ?? "object"}.${randomBytes(8).toString("hex")}`;
      await this.client.create(
        resourceTypes.event,
        {
          apiVersion: "events.k8s.io/v1",
          kind: "Event",
          metadata: { name, namespace },
          eventTime: microTime(now),
          reportingController: this.controller,
          reportingInstance: this.instance,
          type: event.type,
          reason: event.reason,
          action: event.action,
          note: event.note.slice(0, 1024),
          regarding: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            name: metadata.name,
            namespace: metadata.namespace,
            uid: metadata.uid,
            resourceVersion: metadata.resourceVersion,
          },
        } as KubeObject,
        call,
      );
      this.#series.set(key, { name, namespace, count: 1, lastAt: now.getTime() });
      this.#forgetOldSeries(now.getTime());
    } catch (error) {
      this.log.warn({ error, reason: event.reason, object: metadata.name }, "could not record event");
      this.#series.delete(key);
    }
  }

  #forgetOldSeries(now: number): void {
    if (this.#series.size < 1000) return;
    for (const [key, entry] of this.#series) {
      if (now - entry.lastAt >= SERIES_WINDOW_MS) this.#series.delete(key);
    }
  }
}
