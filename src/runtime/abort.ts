// Waiting that an AbortSignal cuts short.
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Reads `signal.aborted` through a call, so type narrowing from an earlier check does not hide a later abort. */
export function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
