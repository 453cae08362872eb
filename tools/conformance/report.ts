// Reading the suite's JUnit report (junit_01.xml, as ginkgo writes it for e2e.test) into the counts and names a
// conformance run is judged by.
import { XMLParser } from "fast-xml-parser";

export interface ConformanceResult {
  passed: number;
  failed: string[];
  /** Specs the run selected but that skipped themselves (e.g. a precondition such as a provider or node count). */
  skipped: string[];
  /** Every spec the run selected: passed + failed + skipped. */
  total: number;
  seconds: number;
}

interface TestCase {
  "@_name": string;
  "@_status"?: string;
  "@_time"?: string;
  failure?: unknown;
  error?: unknown;
  skipped?: { "@_message"?: string } | "";
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * Ginkgo lists every spec of the suite: those the focus and skip filters left out are `skipped` with the bare
 * message "skipped"; a spec that ran and skipped itself carries its reason ("skipped - ..."), and counts.
 */
export function parseJunitReport(xml: string): ConformanceResult {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@_" });
  const document = parser.parse(xml) as {
    testsuites?: { testsuite?: { testcase?: TestCase | TestCase[] } | { testcase?: TestCase | TestCase[] }[] };
  };
  if (!document.testsuites) throw new Error("not a JUnit report: no <testsuites> element");
  const cases = asArray(document.testsuites.testsuite).flatMap((suite) => asArray(suite.testcase));
  const result: ConformanceResult = { passed: 0, failed: [], skipped: [], total: 0, seconds: 0 };
  for (const test of cases) {
    const name = test["@_name"].replace(/^\[It\]\s+/, ""); // ginkgo prefixes each spec's leaf node type
    // The suite's own setup and teardown nodes ([SynchronizedBeforeSuite], [ReportAfterSuite], ...) are no specs.
    if (/^\[(Synchronized)?(Before|After)Suite\]|^\[Report(Before|After)Suite\]/.test(name)) continue;
    const status = test["@_status"] ?? (test.failure !== undefined || test.error !== undefined ? "failed" : "passed");
    if (status === "skipped" || test.skipped !== undefined) {
      const message = typeof test.skipped === "object" ? (test.skipped["@_message"] ?? "") : "";
      if (message === "skipped" || message === "") continue; // filtered out: not part of this run
      result.skipped.push(name);
    } else if (status === "passed") result.passed++;
    else result.failed.push(name);
    result.total++;
    result.seconds += Number(test["@_time"] ?? 0);
  }
  return result;
}

/** The one-line summary the command prints and the docs quote. */
export const summaryLine = (r: ConformanceResult): string =>
  `conformance: ${r.passed} passed, ${r.failed.length} failed, ${r.skipped.length} skipped of ${r.total}`;
