// Following ginkgo's succinct output as it streams (chunks may split lines): how many specs the run selected, how
// many finished, and which failed.

export interface SpecProgress {
  /** From "Will run N of M specs"; undefined until ginkgo printed it. */
  total: number | undefined;
  done: number;
  failed: string[];
  /** The last, unfinished line of the stream so far. */
  tail: string;
}

/** A finished spec's marker: `•` (passed, or followed by its failure state), `S` (skipped itself). */
const failureStates = /^•\s*\[(FAILED|PANICKED|TIMEDOUT|INTERRUPTED|ABORTED)\]/;

export function specProgress(previous: SpecProgress, chunk: string): SpecProgress {
  const lines = (previous.tail + chunk).split("\n");
  const tail = lines.pop() ?? "";
  const next: SpecProgress = { ...previous, failed: [...previous.failed], tail };
  let nameFollows = false;
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (nameFollows && line.trim()) {
      next.failed.push(line.trim());
      nameFollows = false;
      continue;
    }
    const willRun = /Will run (\d+) of \d+ specs/.exec(line);
    if (willRun?.[1]) next.total = Number(willRun[1]);
    next.done += line.split("•").length - 1;
    if (/^S \[SKIPPED\]/.test(line)) next.done++;
    if (failureStates.test(line)) nameFollows = true;
  }
  return next;
}
