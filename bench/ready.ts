// Apply-to-Ready time of TenantControlPlanes on the node tier, with Kamaji installed from its charts: one TCP at
// a time (median of --runs), then --batch TCPs applied together (median and slowest). Beside them, the start time
// of a bare kube-apiserver (against a running etcd) on this machine: the floor no control plane can beat.
// Uses the running development cluster (`npm run demo` makes one) or brings one up.
import { mkdtempSync, rmSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { startApiTier } from "../tools/cluster/api-tier.js";
import { clusterDir, startCluster, stopCluster } from "../tools/cluster/lifecycle.js";
import { saveState } from "../tools/cluster/state.js";
import { installKamaji, kubectl, kubectlApply } from "../tools/install/install.js";
import { versions } from "../tools/upstream.js";

const USAGE = "usage: npm run bench -- ready [--runs N] [--batch N]";
const namespace = "bench-ready";

interface Options {
  runs: number;
  batch: number;
}

function parseOptions(args: string[]): Options | string {
  const options: Options = { runs: 3, batch: 10 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], Number(args[i + 1])];
    if (!Number.isInteger(value) || value < 1) return `${flag ?? ""} needs a whole number ≥ 1`;
    if (flag === "--runs") options.runs = value;
    else if (flag === "--batch") options.batch = value;
    else return `unknown flag ${flag ?? ""}`;
  }
  return options;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const tenantControlPlane = (name: string) => ({
  apiVersion: "kamaji.clastix.io/v1alpha1",
  kind: "TenantControlPlane",
  metadata: { name, namespace },
  spec: {
    controlPlane: { deployment: { replicas: 1 }, service: { serviceType: "ClusterIP" } },
    kubernetes: { version: versions.kubernetes, kubelet: {} },
    addons: { coreDNS: {}, kubeProxy: {} },
  },
});

/** Milliseconds from the apply until each TCP reports Ready. */
async function applyAndWait(kubeconfig: string, names: string[]): Promise<number[]> {
  const begin = performance.now();
  kubectlApply(JSON.stringify({ apiVersion: "v1", kind: "List", items: names.map(tenantControlPlane) }), kubeconfig);
  const readyAt = new Map<string, number>();
  const deadline = begin + 600_000;
  while (readyAt.size < names.length) {
    if (performance.now() > deadline) throw new Error(`not all of ${names.join(", ")} Ready within 10 min`);
    const listing = kubectl(
      [
        "get",
        "tcp",
        "-n",
        namespace,
        "-o",
        'jsonpath={range .items[*]}{.metadata.name} {.status.kubernetesResources.version.status}{"\\n"}{end}',
      ],
      kubeconfig,
    );
    for (const line of listing.split("\n")) {
      const [name, status] = line.split(" ");
      if (name && status === "Ready" && names.includes(name) && !readyAt.has(name)) {
        readyAt.set(name, performance.now() - begin);
      }
    }
    await sleep(200);
  }
  return names.map((name) => readyAt.get(name) ?? 0);
}

async function deleteAll(kubeconfig: string): Promise<void> {
  kubectl(["delete", "tcp", "--all", "-n", namespace, "--wait=true", "--timeout=300s"], kubeconfig);
  // The control-plane pods go with their Deployments (garbage collection): wait, so runs do not overlap.
  for (let i = 0; i < 300; i++) {
    if (kubectl(["get", "pods", "-n", namespace, "-o", "name"], kubeconfig).trim() === "") return;
    await sleep(1_000);
  }
}

/** Start time of kube-apiserver alone (etcd already up), from the api tier's own measurement. */
async function bareApiServerMs(): Promise<number> {
  const dir = mkdtempSync("/var/tmp/kamaji-bench-apiserver-");
  let measured: number | undefined;
  try {
    const state = await startApiTier({
      dir,
      apiServerPort: 26443,
      etcdClientPort: 25379,
      etcdPeerPort: 25380,
      progress: (message) => {
        const match = /^kube-apiserver ready in ([\d.]+) s$/.exec(message);
        if (match?.[1] !== undefined) measured = Number(match[1]) * 1000;
      },
    });
    saveState(state); // what stopCluster reads to stop exactly these processes
  } finally {
    await stopCluster(dir, () => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  if (measured === undefined) throw new Error("the api tier did not report the kube-apiserver start time");
  return measured;
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args);
  if (typeof options === "string") {
    console.error(`${options}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const log = (message: string) => {
    console.error(`[bench ready] ${message}`);
  };
  const { state } = await startCluster(clusterDir(), "node", log);
  await installKamaji(state, { progress: log });
  const { kubeconfig } = state;
  kubectlApply(JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }), kubeconfig);
  await deleteAll(kubeconfig);

  const floor: number[] = [];
  for (let i = 0; i < options.runs; i++) floor.push(await bareApiServerMs());
  log(`bare kube-apiserver: ${floor.map(seconds).join(", ")}`);

  const single: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const [ms = 0] = await applyAndWait(kubeconfig, [`single-${i}`]);
    single.push(ms);
    log(`1 TCP, run ${i + 1}: Ready in ${seconds(ms)}`);
    await deleteAll(kubeconfig);
  }

  const batch = await applyAndWait(
    kubeconfig,
    Array.from({ length: options.batch }, (_, i) => `batch-${i}`),
  );
  log(`${options.batch} TCPs together: ${batch.map(seconds).join(", ")}`);
  await deleteAll(kubeconfig);

  console.log(`bare kube-apiserver start (floor): median ${seconds(median(floor))} of ${options.runs}`);
  console.log(
    `1 TCP apply-to-Ready: median ${seconds(median(single))} of ${options.runs} (${(median(single) / median(floor)).toFixed(1)}× the floor)`,
  );
  console.log(
    `${options.batch} TCPs applied together: median ${seconds(median(batch))}, slowest ${seconds(Math.max(...batch))}`,
  );
}
