// A de-duplicating work queue with the client-go contract: a key waits in the queue at most once, a key being
// processed is never handed to a second worker, and a key added while processing is queued again when it is done.
import { ExponentialBackoff, type BackoffOptions } from "./rate-limiter.js";

/** Node's timers fire at once past this (about 24.8 days): longer delays are waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WorkQueueHooks {
  onAdd?(): void;
  onRetry?(): void;
  onDepthChange?(depth: number): void;
}

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #backoff: ExponentialBackoff<string>;
  #shuttingDown = false;

  constructor(
    backoff?: BackoffOptions,
    private readonly hooks: WorkQueueHooks = {},
  ) {
    this.#backoff = new ExponentialBackoff(backoff);
  }

  get depth(): number {
    return this.#queue.length;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.hooks.onAdd?.();
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /** Adds `key` after `delayMs`; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending !== undefined) {
      if (pending.at <= at) return;
      clearTimeout(pending.timer);
    }
    this.#delayed.set(key, { at, timer: this.#timerUntil(key, at) });
  }

  #timerUntil(key: string, at: number): NodeJS.Timeout {
    const remainingMs = at - Date.now();
    return setTimeout(
      () => {
        if (at > Date.now()) {
          this.#delayed.set(key, { at, timer: this.#timerUntil(key, at) });
          return;
        }
        this.#delayed.delete(key);
        this.add(key);
      },
      Math.min(Math.max(remainingMs, 0), MAX_TIMER_MS),
    );
  }

  /** Re-adds a failed key after its exponential backoff; returns the delay chosen. */
  addRateLimited(key: string): number {
    const delay = this.#backoff.next(key);
    this.hooks.onRetry?.();
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the failure count of `key` (after a successful reconcile). */
  forget(key: string): void {
    this.#backoff.forget(key);
  }

  failures(key: string): number {
    return this.#backoff.failures(key);
  }

  /**
   * The next key to process, or undefined once the queue is shut down: keys still queued then are not handed out
   * (a stopping or deposed manager must not start reconciles; the next leader lists everything anew).
   */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#queue.shift();
    if (key !== undefined) return Promise.resolve(this.#take(key));
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile it goes back in the queue (not once shut down). */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
  }

  /** Stops accepting keys and releases every waiting get() with undefined. */
  shutdown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }

  #take(key: string): string {
    this.#dirty.delete(key);
    this.#processing.add(key);
    this.hooks.onDepthChange?.(this.#queue.length);
    return key;
  }

  #push(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter(this.#take(key));
      return;
    }
    this.#queue.push(key);
    this.hooks.onDepthChange?.(this.#queue.length);
  }
}
