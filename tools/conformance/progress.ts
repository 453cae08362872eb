// Following ginkgo's succinct output as it streams (chunks may split lines): how many specs the run selected, how
// many finished, and which failed.

export interface SpecProgress {
  /** From "Will run N of M specs"; undefined until ginkgo printed it. */
  total: number | undefined;
  done: number;
  failed: string[];
  /** The last, unfinished line of the stream so far. */
  tail: string;
  /** The previous line was a failure's header: the next non-empty line names the spec. */
  nameFollows?: boolean;
}

/** A finished spec is a `•` (passed, or followed by its failure state); an `S` is a spec skipped or filtered out. */
const failureStates = /^•\s*\[(FAILED|PANICKED|TIMEDOUT|INTERRUPTED|ABORTED)\]/;

export function specProgress(previous: SpecProgress, chunk: string): SpecProgress {
  const lines = (previous.tail + chunk).split("\n");
  const tail = lines.pop() ?? "";
  // Markers are counted as they arrive: ginkgo prints a whole run's `•` and `S` on one line that ends late.
  const next: SpecProgress = {
    ...previous,
    failed: [...previous.failed],
    tail,
    done: previous.done + (chunk.split("•").length - 1),
  };
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (next.nameFollows && line.trim()) {
      next.failed.push(line.trim());
      next.nameFollows = false;
      continue;
    }
    const willRun = /Will run (\d+) of \d+ specs/.exec(line);
    if (willRun?.[1]) next.total = Number(willRun[1]);
    if (failureStates.test(line)) next.nameFollows = true;
  }
  return next;
}
