// Per-key exponential backoff for failed reconciles: base·2^failures, capped (client-go's item exponential limiter).
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 5, maxMs: 300_000 };

export class ExponentialBackoff<K> {
  readonly #failures = new Map<K, number>();

  constructor(private readonly options: BackoffOptions = defaultBackoff) {}

  /** The delay before the next retry of `key`, counting this failure. */
  next(key: K): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2^failures overflows to Infinity long after it passes maxMs; Math.min handles both.
    return Math.min(this.options.baseMs * 2 ** failures, this.options.maxMs);
  }

  failures(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  forget(key: K): void {
    this.#failures.delete(key);
  }
}
