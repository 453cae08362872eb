// A controller: a work queue of `namespace/name` keys and N workers calling a level-based reconcile function.
// Failures requeue with per-key exponential backoff; success clears it; `requeueAfterMs` schedules a check.
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { Logger } from "./logger.js";
import type { RuntimeMetrics } from "./metrics.js";
import { WorkQueue } from "./workqueue.js";
import type { BackoffOptions } from "./rate-limiter.js";

export interface ReconcileResult {
  readonly requeueAfterMs?: number;
}

export interface ReconcileContext {
  readonly log: Logger;
  readonly signal: AbortSignal;
}

export interface Reconciler {
  reconcile(key: string, context: ReconcileContext): Promise<ReconcileResult | undefined>;
}

export interface ControllerOptions {
  readonly name: string;
  readonly workers: number;
  readonly reconciler: Reconciler;
  readonly log: Logger;
  readonly metrics: RuntimeMetrics;
  readonly backoff?: BackoffOptions;
  /** Each reconcile gets an AbortSignal that fires after this long. */
  readonly reconcileTimeoutMs: number;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #options: ControllerOptions;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#options = options;
    const { metrics, name } = options;
    this.queue = new WorkQueue(options.backoff, {
      onAdd: () => {
        metrics.queueAdds.inc({ name });
      },
      onRetry: () => {
        metrics.queueRetries.inc({ name });
      },
      onDepthChange: (depth) => {
        metrics.queueDepth.set({ name }, depth);
      },
    });
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Runs the workers until `signal` aborts; resolves once every in-flight reconcile has finished. */
  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener(
      "abort",
      () => {
        this.queue.shutdown();
      },
      { once: true },
    );
    const workers = Array.from({ length: this.#options.workers }, () => this.#work(signal));
    await Promise.all(workers);
  }

  async #work(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.#reconcileOne(key, signal);
      } finally {
        this.queue.done(key);
      }
    }
  }

  async #reconcileOne(key: string, stop: AbortSignal): Promise<void> {
    const { name, metrics, reconciler } = this.#options;
    const log = this.#options.log.child({ controller: name, key, reconcileID: randomUUID() });
    const signal = AbortSignal.any([stop, AbortSignal.timeout(this.#options.reconcileTimeoutMs)]);
    // Every API call of the reconcile listens to it, a dozen at once is ordinary: no leak warning.
    setMaxListeners(0, signal);
    const endTimer = metrics.reconcileTime.startTimer({ controller: name });
    metrics.activeWorkers.inc({ controller: name });
    try {
      const result = await reconciler.reconcile(key, { log, signal });
      this.queue.forget(key);
      const outcome = result?.requeueAfterMs === undefined ? "success" : "requeue_after";
      metrics.reconcileTotal.inc({ controller: name, result: outcome });
      if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      log.debug({ result: outcome, requeueAfterMs: result?.requeueAfterMs }, "reconciled");
    } catch (error) {
      metrics.reconcileTotal.inc({ controller: name, result: "error" });
      metrics.reconcileErrors.inc({ controller: name });
      if (stop.aborted) return;
      const retryInMs = this.queue.addRateLimited(key);
      log.warn({ error, retryInMs, failures: this.queue.failures(key) }, "reconcile failed");
    } finally {
      endTimer();
      metrics.activeWorkers.dec({ controller: name });
    }
  }
}
