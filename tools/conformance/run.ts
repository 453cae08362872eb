// One run of the suite in the tenant with hydrophone: its output goes to a log file and a progress line is printed
// every half minute; Ctrl-C (or SIGTERM) stops it and removes everything it and the tests made in the tenant.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { kubectl, runWithKubeconfig } from "../cluster/kubectl.js";
import { hydrophoneBinary } from "./images.js";
import { parseJunitReport, type ConformanceResult } from "./report.js";
import { specProgress, type SpecProgress } from "./progress.js";

export interface RunOptions {
  kubeconfig: string;
  /** Where e2e.log, junit_01.xml and hydrophone.log are written. */
  outputDir: string;
  focus?: string;
  skip?: string;
  parallel: number;
  conformanceImage: string;
  busyboxImage: string;
  progress: (message: string) => void;
}

/** The namespace hydrophone runs the suite's pod in (its default). */
const runnerNamespace = "conformance";

export class RunInterrupted extends Error {}

const namespaceExists = (kubeconfig: string, name: string): boolean =>
  kubectl(["get", "namespace", name, "--ignore-not-found", "-o", "name"], kubeconfig).trim() !== "";

/**
 * Removes hydrophone's namespace and RBAC (waiting until its pod, and so e2e.test, is gone: nothing creates test
 * namespaces after that), then every namespace the tests made (the e2e framework labels each with `e2e-run`).
 */
export function removeRunObjects(kubeconfig: string, progress: (message: string) => void): void {
  if (namespaceExists(kubeconfig, runnerNamespace)) {
    progress(`removing the runner (namespace ${runnerNamespace} and its cluster role)`);
    runWithKubeconfig(hydrophoneBinary(), ["--cleanup", "--kubeconfig", kubeconfig], kubeconfig);
  }
  const left = kubectl(["get", "namespaces", "-l", "e2e-run", "-o", "name"], kubeconfig).trim();
  if (left) {
    progress(`removing ${left.split("\n").length} test namespace(s)`);
    kubectl(["delete", "namespaces", "-l", "e2e-run", "--wait=true", "--timeout=10m"], kubeconfig);
  }
  // Cluster-wide objects a stopped test had made: its API groups are all under example.com (RFC 2606), and a
  // leftover one (a CRD with a fixed name, say) would fail that test on the next run.
  for (const kind of ["customresourcedefinitions", "apiservices"]) {
    const names = testApiGroupObjects(kubectl(["get", kind, "-o", "json"], kubeconfig));
    if (names.length === 0) continue;
    progress(`removing ${names.length} test ${kind}`);
    kubectl(["delete", kind, "--wait=true", "--timeout=5m", ...names], kubeconfig);
  }
}

/** Names of the CRDs or APIServices (a `kubectl get -o json` list) of the tests' example.com API groups. */
export function testApiGroupObjects(listJson: string): string[] {
  const list = JSON.parse(listJson) as { items: { metadata: { name: string }; spec?: { group?: string } }[] };
  return list.items
    .filter((item) => /(^|\.)example\.com$/.test(item.spec?.group ?? ""))
    .map((item) => item.metadata.name);
}

/**
 * Specs finished so far, from the e2e.log the runner writes in its pod. The streamed container log lags: ginkgo
 * prints all `•` markers on one line, and container logs pass on a line only when it ends.
 */
function finishedSpecs(kubeconfig: string): number | undefined {
  try {
    const count = kubectl(
      [
        "exec",
        "-n",
        runnerNamespace,
        "e2e-conformance-test",
        "-c",
        "output-container",
        "--",
        "sh",
        "-c",
        "grep -o '•' /tmp/results/e2e.log | wc -l",
      ],
      kubeconfig,
    );
    return Number(count.trim());
  } catch {
    return undefined; // the pod is not there yet, or already gone
  }
}

function hydrophoneArgs(options: RunOptions): string[] {
  return [
    "--kubeconfig",
    options.kubeconfig,
    "--output-dir",
    options.outputDir,
    "--conformance-image",
    options.conformanceImage,
    "--busybox-image",
    options.busyboxImage,
    "--parallel",
    String(options.parallel),
    // hydrophone's own poller execs into the runner and gives up on a partial log; our progress reads the stream.
    "--disable-progress-status",
    ...(options.focus ? ["--focus", options.focus] : ["--conformance"]),
    ...(options.skip ? ["--skip", options.skip] : []),
  ];
}

/** Runs the suite; resolves with the report's result, or rejects with RunInterrupted after cleaning up. */
export async function runSuite(options: RunOptions): Promise<ConformanceResult> {
  mkdirSync(options.outputDir, { recursive: true });
  removeRunObjects(options.kubeconfig, options.progress); // what an earlier, killed run left

  const logPath = join(options.outputDir, "hydrophone.log");
  const log = createWriteStream(logPath);
  const child = spawn(hydrophoneBinary(), hydrophoneArgs(options), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, KUBECONFIG: options.kubeconfig },
  });
  let state: SpecProgress = { total: undefined, done: 0, failed: [], tail: "" };
  const started = Date.now();
  const onOutput = (chunk: Buffer) => {
    log.write(chunk);
    const before = state.failed.length;
    state = specProgress(state, chunk.toString());
    for (const name of state.failed.slice(before)) options.progress(`FAILED: ${name}`);
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", (chunk: Buffer) => log.write(chunk));
  const ticker = setInterval(() => {
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    const done = Math.max(state.done, finishedSpecs(options.kubeconfig) ?? 0);
    const of = state.total === undefined ? "starting" : `${done}/${state.total} specs done`;
    options.progress(`${of}, ${state.failed.length} failed (${minutes} min)`);
  }, 30_000);

  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = signal;
    options.progress(`${signal}: stopping the run`);
    child.kill("SIGTERM");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (status) => {
        resolve(status);
      });
    });
    await new Promise<void>((resolve) => log.end(resolve));
    const report = join(options.outputDir, "junit_01.xml");
    if (interrupted || !existsSync(report)) {
      removeRunObjects(options.kubeconfig, options.progress);
      if (interrupted)
        throw new RunInterrupted(`interrupted by ${interrupted}; the tenant holds no test namespace any more`);
      throw new Error(`hydrophone exited with ${code} and wrote no ${report}; see ${logPath}`);
    }
    return parseJunitReport(readFileSync(report, "utf8"));
  } finally {
    clearInterval(ticker);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
