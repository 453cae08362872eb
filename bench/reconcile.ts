// Times the operator reconciling N TenantControlPlanes on one etcd DataStore on the api tier: from the first
// create until every TCP has its Deployment and a status for its current generation. The manager runs as its own
// process (compiled JS, as in production), so its peak RSS and CPU seconds are its own.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { DataStore, TenantControlPlane } from "../src/api/v1alpha1/kinds.js";
import { resourceTypes } from "../src/runtime/resource-types.js";
import { waitFor } from "../tools/cluster/wait.js";
import {
  etcdDataStore,
  startOperatorEnvironment,
  tenantControlPlane,
  type OperatorEnvironment,
} from "../test/helpers/operator.js";

const USAGE = "usage: npm run bench -- reconcile [--tcps N] [--runs N] [--key-algorithm ECDSA|RSA] [--workers N]";
const repo = new URL("../", import.meta.url).pathname;
const namespace = "bench";

interface Options {
  tcps: number;
  runs: number;
  keyAlgorithm: "ECDSA" | "RSA";
  workers: number;
}

interface Measurement {
  seconds: number;
  peakRssMiB: number;
  cpuSeconds: number;
}

function parseOptions(args: string[]): Options | string {
  const options: Options = { tcps: 100, runs: 1, keyAlgorithm: "ECDSA", workers: 4 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (value === undefined) return `${flag ?? ""} needs a value`;
    if (flag === "--key-algorithm") {
      if (value !== "ECDSA" && value !== "RSA") return `--key-algorithm: ECDSA or RSA, got ${value}`;
      options.keyAlgorithm = value;
      continue;
    }
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1) return `${flag ?? ""}: expected a whole number ≥ 1, got ${value}`;
    if (flag === "--tcps") options.tcps = number;
    else if (flag === "--runs") options.runs = number;
    else if (flag === "--workers") options.workers = number;
    else return `unknown flag ${flag ?? ""}`;
  }
  return options;
}

/** Peak resident set (VmHWM) and user+system CPU seconds of a live process, from /proc. */
function processUsage(pid: number): { peakRssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const hwmKiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th of them.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { peakRssMiB: hwmKiB / 1024, cpuSeconds: ticks / 100 };
}

function startManagerProcess(env: OperatorEnvironment, options: Options): ChildProcess {
  return spawn(
    process.execPath,
    [
      `${repo}dist/cli/main.js`,
      "manager",
      `--kubeconfig=${env.cluster.kubeconfig}`,
      "--leader-elect=false",
      "--datastore=etcd",
      "--metrics-bind-address=0",
      "--health-probe-bind-address=0",
      "--webhook-port=0",
      "--log-level=warn",
      `--certificate-key-algorithm=${options.keyAlgorithm}`,
      `--max-concurrent-tcp-reconciles=${options.workers}`,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
}

async function allReconciled(env: OperatorEnvironment, count: number): Promise<number> {
  const list = await env.client.list<TenantControlPlane>(resourceTypes.tenantControlPlane, { namespace });
  return list.items.filter(
    (tcp) =>
      tcp.status?.kubernetesResources?.deployment !== undefined &&
      tcp.status.observedGeneration === tcp.metadata.generation,
  ).length === count
    ? count
    : 0;
}

async function measure(options: Options, run: number): Promise<Measurement> {
  console.log(`run ${run}: starting the api tier and etcd`);
  const env = await startOperatorEnvironment();
  let manager: ChildProcess | undefined;
  try {
    const { secret, dataStore } = etcdDataStore("etcd", env.etcd);
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(secret));
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(dataStore));
    await env.cluster.kubectl(["create", "namespace", namespace]);
    manager = startManagerProcess(env, options);
    const pid = manager.pid ?? 0;
    await waitFor(
      "the DataStore to be ready",
      async () =>
        (await env.client.get<DataStore>(resourceTypes.dataStore, "etcd"))?.status?.ready === true ? true : undefined,
      60_000,
    );
    console.log(`run ${run}: manager ready (pid ${pid}); creating ${options.tcps} TenantControlPlanes`);
    const start = performance.now();
    const names = Array.from({ length: options.tcps }, (_, i) => `tcp-${String(i).padStart(3, "0")}`);
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(
        names
          .slice(i, i + 20)
          .map((name) =>
            env.client.create(resourceTypes.tenantControlPlane, tenantControlPlane(name, namespace) as never),
          ),
      );
    }
    let lastReport = 0;
    await waitFor(
      `${options.tcps} TenantControlPlanes to be reconciled`,
      async () => {
        const done = await allReconciled(env, options.tcps);
        const elapsed = (performance.now() - start) / 1000;
        if (elapsed - lastReport >= 10) {
          lastReport = elapsed;
          const list = await env.client.list<TenantControlPlane>(resourceTypes.tenantControlPlane, { namespace });
          const ready = list.items.filter((t) => t.status?.kubernetesResources?.deployment !== undefined).length;
          console.log(`  ${elapsed.toFixed(0)} s: ${ready}/${options.tcps} with a Deployment in status`);
        }
        return done > 0 ? true : undefined;
      },
      30 * 60_000,
      500,
    );
    const seconds = (performance.now() - start) / 1000;
    const usage = processUsage(pid);
    return { seconds, ...usage };
  } finally {
    manager?.kill("SIGTERM");
    if (manager !== undefined && manager.exitCode === null)
      await new Promise((resolve) => manager?.once("exit", resolve));
    await env.stop();
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args);
  if (typeof options === "string") {
    console.error(`${options}\n${USAGE}`);
    process.exitCode = 1;
    return;
  }
  console.log(
    `reconcile: ${options.tcps} TenantControlPlanes on one etcd DataStore (api tier), ${options.keyAlgorithm} keys, ` +
      `${options.workers} workers, ${options.runs} run(s)`,
  );
  const build = spawnSync("npm", ["run", "-s", "build"], { cwd: repo, stdio: "inherit" });
  if (build.status !== 0) throw new Error("npm run build failed");
  const results: Measurement[] = [];
  for (let run = 1; run <= options.runs; run += 1) {
    const result = await measure(options, run);
    results.push(result);
    console.log(
      `run ${run}: ${result.seconds.toFixed(1)} s, peak RSS ${result.peakRssMiB.toFixed(0)} MiB, CPU ${result.cpuSeconds.toFixed(1)} s`,
    );
  }
  const seconds = median(results.map((r) => r.seconds));
  const rss = median(results.map((r) => r.peakRssMiB));
  const cpu = median(results.map((r) => r.cpuSeconds));
  if (options.runs > 1) console.log(`medians over ${options.runs} runs:`);
  console.log(
    `reconciled ${options.tcps} TCPs in ${seconds.toFixed(1)} s, peak RSS ${rss.toFixed(0)} MiB, CPU ${cpu.toFixed(1)} s`,
  );
}
