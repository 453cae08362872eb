// `npm run cluster -- upgrade <namespace>/<tcp> [--kubelet-version V] [worker ...]`: after the tenant's control plane
// runs a new version, its worker machines are upgraded one at a time as kubeadm's upgrade guide does it on each node:
// the new kubeadm runs `kubeadm upgrade node` (it rewrites the kubelet's configuration from the tenant's
// kubelet-config), then the new kubelet replaces the old one. The machine's containers keep running while its kubelet
// restarts, so pods are not drained. The new addon images (kube-proxy, CoreDNS, konnectivity agent) are imported
// first, where a machine with a registry would pull them.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { importImages } from "../../images/containerd-import.js";
import { binDir, kubernetesBinary } from "../../upstream.js";
import { isRunning, logTail, stopDaemon } from "../daemon.js";
import { kubectl } from "../kubectl.js";
import { namespaceArgs } from "../machine/commands.js";
import { waitFor } from "../wait.js";
import { tenantWorkerImages } from "./images.js";
import { kubeadmPatchesDir, startKubelet, workerContainerdSocket } from "./machine.js";
import { kubeletSkewProblem } from "./plan.js";
import { nodeTierState, recordWorker, withWorkersLock } from "./records.js";
import { joinProblem, readTenant, tenantAdminKubeconfig, tenantKey, type TenantRef } from "./tenant.js";
import type { WorkerState } from "./types.js";

export interface UpgradeOptions {
  tenant: TenantRef;
  /** Only these workers; default every worker of the tenant. */
  names?: string[];
  /** The new kubelet's version; default the version the tenant's control plane runs. */
  kubeletVersion?: string;
  progress: (message: string) => void;
}

export interface UpgradedWorker {
  name: string;
  from: string;
  to: string;
  seconds: number;
}

interface NodeView {
  status?: { conditions?: { type: string; status: string }[]; nodeInfo?: { kubeletVersion?: string } };
}

const run = promisify(execFile);

/**
 * `kubeadm upgrade node` inside the machine, with the machine's (old) kubelet on its PATH as on a real node. Run
 * without blocking: callers may be measuring traffic meanwhile.
 */
async function kubeadmUpgradeNode(worker: WorkerState, version: string): Promise<void> {
  const args = [
    ...namespaceArgs(worker.netns, worker.mountNamespace),
    "--",
    kubernetesBinary("kubeadm", version),
    "upgrade",
    "node",
    // The machine's own kubelet settings (cgroupfs driver, ...), as at join: kubeadm rewrites the configuration.
    "--patches",
    kubeadmPatchesDir(worker),
    // This host has cgroup v1 only: kubeadm v1.35+ makes that a preflight error (the patches set failCgroupV1: false).
    "--ignore-preflight-errors=SystemVerification",
    "-v=1",
  ];
  const path = `${binDir("kubernetes", worker.kubernetesVersion)}:${process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}`;
  try {
    await run("nsenter", args, { env: { ...process.env, PATH: path }, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const failed = error as Error & { code?: number; stdout?: string; stderr?: string };
    const output = `${failed.stdout ?? ""}${failed.stderr ?? ""}`.trim().split("\n").slice(-20).join("\n");
    throw new Error(`${worker.name}: kubeadm upgrade node ${version} exited with ${failed.code ?? "?"}\n${output}`);
  }
}

async function upgradeOne(
  clusterDir: string,
  worker: WorkerState,
  version: string,
  tenantKubeconfig: string,
  progress: (message: string) => void,
): Promise<UpgradedWorker> {
  const begin = Date.now();
  const from = worker.kubernetesVersion;
  progress(`${worker.name}: kubeadm upgrade node (${version})`);
  await kubeadmUpgradeNode(worker, version);
  const kubelet = worker.daemons.find((d) => d.name === "kubelet");
  if (kubelet && isRunning(kubelet)) await stopDaemon(kubelet);
  worker.kubernetesVersion = version;
  worker.daemons = [...worker.daemons.filter((d) => d.name !== "kubelet"), startKubelet(worker)];
  recordWorker(clusterDir, worker);
  progress(`${worker.name}: kubelet ${version} started; waiting for the Node to report it, Ready`);
  const kubeletLog = join(worker.dir, "kubelet.log");
  await waitFor(
    `Node ${worker.name} to be Ready with kubelet ${version}`,
    () => {
      const node = JSON.parse(kubectl(["get", "node", worker.name, "-o", "json"], tenantKubeconfig)) as NodeView;
      const ready = node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
      return ready && node.status?.nodeInfo?.kubeletVersion === version ? true : undefined;
    },
    120_000,
    500,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n--- ${kubeletLog} ---\n${logTail(kubeletLog, 25)}`);
  });
  const seconds = (Date.now() - begin) / 1000;
  progress(`${worker.name}: upgraded from ${from} to ${version} in ${seconds.toFixed(1)} s`);
  return { name: worker.name, from, to: version, seconds };
}

async function upgrade(clusterDir: string, options: UpgradeOptions): Promise<UpgradedWorker[]> {
  const { progress } = options;
  const state = nodeTierState(clusterDir);
  const key = tenantKey(options.tenant);
  const view = readTenant(options.tenant, state.kubeconfig);
  const problem = joinProblem(options.tenant, view);
  if (problem) throw new Error(`cannot upgrade the workers: ${problem}`);
  const running = view.status?.kubernetesResources?.version?.version ?? view.spec.kubernetes.version;
  const version = options.kubeletVersion ?? running;
  const skew = kubeletSkewProblem(version, running);
  if (skew) throw new Error(`cannot upgrade the workers of ${key}: ${skew}`);
  kubernetesBinary("kubeadm", version);
  kubernetesBinary("kubelet", version);
  const images = tenantWorkerImages(running); // fails here, before any machine changes, when a binary is missing

  const all = (state.workers ?? []).filter((w) => w.tenant === key);
  if (all.length === 0) throw new Error(`${key} has no workers: \`npm run cluster -- join ${key}\` first`);
  const unknown = (options.names ?? []).filter((name) => !all.some((w) => w.name === name));
  if (unknown.length > 0)
    throw new Error(`${unknown.join(", ")}: not a worker of ${key} (${all.map((w) => w.name).join(", ")})`);
  const chosen = options.names?.length ? all.filter((w) => options.names?.includes(w.name)) : all;

  const tenantKubeconfig = tenantAdminKubeconfig(options.tenant, view, state.kubeconfig, clusterDir);
  const upgraded: UpgradedWorker[] = [];
  for (const worker of chosen) {
    const imported = await importImages(workerContainerdSocket(worker), images);
    if (imported.length > 0) progress(`${worker.name}: imported ${imported.join(", ")}`);
    if (worker.kubernetesVersion === version) {
      progress(`${worker.name}: kubelet already ${version}`);
      continue;
    }
    upgraded.push(await upgradeOne(clusterDir, worker, version, tenantKubeconfig, progress));
  }
  return upgraded;
}

export const upgradeWorkers = (clusterDir: string, options: UpgradeOptions): Promise<UpgradedWorker[]> =>
  withWorkersLock(clusterDir, () => upgrade(clusterDir, options));
