// A worker machine on this host, as close to a VM as a few namespaces get: its own network namespace (one NIC on
// its tenant's LAN, default route to the LAN router), its own mount namespace in which the paths kubeadm,
// containerd and the kubelet use (/etc/kubernetes, /var/lib/kubelet, /run/containerd, ...) are directories of the
// machine's own, its own containerd with the tenant images, and a cgroup root of its own. Nothing here writes a
// kubeconfig or certificate: `kubeadm join` does that, and the kubelet is started the way kubeadm's systemd drop-in
// starts it once kubeadm has written its flags.
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isRunning, logTail, startDaemon, stopDaemon, type RunningDaemon } from "../daemon.js";
import { createCgroupRoot, cgroupPids, removeCgroupRoot } from "../machine/cgroups.js";
import { run, succeeds } from "../machine/commands.js";
import { bridgeNetwork, containerdConfig } from "../machine/containerd.js";
import { machineKubeletSettings, resolvConfFor } from "../machine/kubelet-settings.js";
import { connectVeth, createNetns, deleteNetns, mountsUnder, replaceRoute } from "../machine/network.js";
import { killAndWait, processesInMountNamespace } from "../machine/processes.js";
import { kubernetesBinary } from "../../upstream.js";
import { waitFor } from "../wait.js";
import { lanBridge } from "./lan.js";
import { kubeletServiceArgs, lanAddressing, workerAddress, workerResourceNames } from "./plan.js";
import type { LanState, WorkerState } from "./types.js";

/** The machine's own directories, bind-mounted over these paths inside its mount namespace. */
const machinePaths = [
  "/etc/kubernetes",
  "/etc/containerd",
  "/etc/cni/net.d",
  "/var/lib/kubelet",
  "/var/lib/containerd",
  "/var/lib/cni",
  "/var/log/pods",
  "/var/log/containers",
  "/run/containerd",
  "/run/netns",
];
const resolvConfPath = "/etc/resolv.conf";
const containerdSocketPath = "/run/containerd/containerd.sock";

/** A path of the machine as seen from the host. */
export const onMachine = (worker: WorkerState, path: string): string => join(worker.dir, "root", path);
export const workerContainerdSocket = (worker: WorkerState): string => onMachine(worker, containerdSocketPath);
export const kubeadmPatchesDir = (worker: WorkerState): string => join(worker.dir, "kubeadm-patches");

export function workerState(
  name: string,
  tenant: string,
  lan: LanState,
  host: number,
  clusterDir: string,
  kubernetesVersion: string,
): WorkerState {
  const dir = join(clusterDir, "workers", name);
  return {
    name,
    tenant,
    lanIndex: lan.index,
    host,
    address: workerAddress(lanAddressing(lan.index), host),
    dir,
    mountNamespace: join(dir, "mnt"),
    ...workerResourceNames(name),
    kubernetesVersion,
    daemons: [],
  };
}

/** Mount points this machine needs that the host lacks: made empty, recorded, removed with the last worker. */
export function ensureMountTargets(): string[] {
  const created: string[] = [];
  for (const path of machinePaths) {
    const missing: string[] = [];
    for (let p = path; !existsSync(p); p = dirname(p)) missing.unshift(p);
    for (const p of missing) {
      mkdirSync(p);
      created.push(p);
    }
  }
  return created;
}

/** Removes the recorded mount points that are empty again, deepest first. */
export function removeMountTargets(paths: readonly string[]): void {
  for (const path of [...paths].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(path);
    } catch {
      // not empty (someone else's now) or gone
    }
  }
}

function writeMachineFiles(worker: WorkerState): void {
  for (const path of machinePaths) mkdirSync(onMachine(worker, path), { recursive: true });
  writeFileSync(onMachine(worker, resolvConfPath), resolvConfFor(worker.address));
  writeFileSync(
    onMachine(worker, "/etc/containerd/config.toml"),
    containerdConfig({
      root: "/var/lib/containerd",
      state: "/run/containerd",
      socket: containerdSocketPath,
      runcRoot: "/run/containerd/runc",
      cniConfDir: "/etc/cni/net.d",
      opt: "/var/lib/containerd/opt",
    }),
  );
  // kubeadm's per-node patch of the KubeletConfiguration it downloads from the tenant (`kubeadm join --patches`).
  mkdirSync(kubeadmPatchesDir(worker), { recursive: true });
  const settings = machineKubeletSettings({ cgroupRoot: worker.cgroupRoot, resolvConf: resolvConfPath });
  writeFileSync(
    join(kubeadmPatchesDir(worker), "kubeletconfiguration+merge.json"),
    JSON.stringify(settings, null, 2) + "\n",
  );
}

/** Inside the machine's mount namespace: `sh -c script` with arguments. */
const inMachineMounts = (worker: WorkerState, script: string, args: string[]) =>
  run("nsenter", [`--mount=${worker.mountNamespace}`, "--", "sh", "-c", script, "sh", ...args]);

/**
 * A mount namespace of the machine's own: copies of the host's other cluster mounts (the management node's pod
 * volumes, other workers' namespaces, netns files) are detached so they do not outlive their owners here, and the
 * machine's directories are bound over the standard paths.
 */
function createMountNamespace(worker: WorkerState, clusterDir: string): void {
  writeFileSync(worker.mountNamespace, "");
  run("unshare", [`--mount=${worker.mountNamespace}`, "--propagation", "private", "true"]);
  const detach =
    'for prefix in "$@"; do awk -v p="$prefix" \'$5 == p || index($5, p "/") == 1 { print $5 }\' /proc/self/mountinfo; done' +
    ' | sort -r -u | while read -r m; do umount -l "$m" 2>/dev/null || true; done';
  inMachineMounts(worker, detach, [clusterDir, "/run/netns"]);
  const pairs = [...machinePaths, resolvConfPath].flatMap((path) => [onMachine(worker, path), path]);
  inMachineMounts(worker, 'while [ $# -gt 0 ]; do mount --bind "$1" "$2"; shift 2; done', pairs);
}

function createNetwork(worker: WorkerState, lan: LanState): void {
  const a = lanAddressing(lan.index);
  createNetns(worker.netns);
  connectVeth(
    { netns: lan.netns, name: worker.lanVeth, bridge: lanBridge },
    { netns: worker.netns, name: "eth0", address: `${worker.address}/24` },
  );
  replaceRoute(worker.netns, "default", a.gateway);
  for (const sysctl of ["net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1"])
    succeeds("nsenter", [`--net=/var/run/netns/${worker.netns}`, "--", "sysctl", "-qw", sysctl]);
}

/** Network, mounts, cgroup root and a running containerd: a machine ready for `kubeadm join`. */
export async function createMachine(worker: WorkerState, lan: LanState, clusterDir: string): Promise<RunningDaemon> {
  mkdirSync(worker.dir, { recursive: true });
  writeMachineFiles(worker);
  createNetwork(worker, lan);
  createMountNamespace(worker, clusterDir);
  createCgroupRoot(worker.cgroupRoot);
  const spec = {
    name: "containerd",
    command: "/usr/bin/containerd",
    args: [],
    logFile: join(worker.dir, "containerd.log"),
    netns: worker.netns,
    mountNamespace: worker.mountNamespace,
  };
  const containerd = startDaemon(spec);
  try {
    await waitFor(
      `containerd of worker ${worker.name}`,
      () => (succeeds("ctr", ["--address", workerContainerdSocket(worker), "version"]) ? true : undefined),
      30_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- ${spec.logFile} ---\n${logTail(spec.logFile)}`);
  }
  return containerd;
}

/** kubeadm has written the kubelet's flags, config and bootstrap kubeconfig ("[kubelet-start] Starting the kubelet"). */
export const kubeletConfigured = (worker: WorkerState): boolean =>
  ["/var/lib/kubelet/kubeadm-flags.env", "/var/lib/kubelet/config.yaml", "/etc/kubernetes/bootstrap-kubelet.conf"]
    .map((path) => onMachine(worker, path))
    .every((path) => existsSync(path));

/** Starts the kubelet as kubeadm's systemd unit would, with the flags kubeadm wrote. */
export function startKubelet(worker: WorkerState): RunningDaemon {
  const flags = readFileSync(onMachine(worker, "/var/lib/kubelet/kubeadm-flags.env"), "utf8");
  return startDaemon({
    name: "kubelet",
    command: kubernetesBinary("kubelet", worker.kubernetesVersion),
    args: kubeletServiceArgs(flags),
    logFile: join(worker.dir, "kubelet.log"),
    netns: worker.netns,
    mountNamespace: worker.mountNamespace,
  });
}

/** The machine's CNI network for the pod range its Node was given, and routes to the other workers' ranges. */
export function configurePodNetwork(worker: WorkerState, podCIDR: string, peers: readonly WorkerState[]): void {
  const network = bridgeNetwork(podCIDR, "/var/lib/cni/networks");
  writeFileSync(onMachine(worker, "/etc/cni/net.d/10-bridge.conflist"), JSON.stringify(network, null, 2) + "\n");
  for (const peer of peers) {
    if (!peer.podCIDR) continue;
    replaceRoute(worker.netns, peer.podCIDR, peer.address);
    replaceRoute(peer.netns, podCIDR, worker.address);
  }
}

export function removePodRoute(worker: WorkerState, podCIDR: string): void {
  succeeds("nsenter", [`--net=/var/run/netns/${worker.netns}`, "--", "ip", "route", "del", podCIDR]);
}

/**
 * Removes the machine and everything it started, whatever stage its creation reached: the kubelet and containerd
 * stopped, every other process of its mount namespace or cgroup root killed, the namespaces, cgroups and files
 * removed. Mounts made inside the machine vanish with its mount namespace.
 */
export async function removeMachine(worker: WorkerState): Promise<void> {
  for (const daemon of [...worker.daemons].reverse()) if (isRunning(daemon)) await stopDaemon(daemon, 5_000);
  const leftovers = new Set([...processesInMountNamespace(worker.mountNamespace), ...cgroupPids(worker.cgroupRoot)]);
  killAndWait([...leftovers]);
  if (mountsUnder([worker.mountNamespace]).length > 0) run("umount", [worker.mountNamespace]);
  deleteNetns(worker.netns);
  removeCgroupRoot(worker.cgroupRoot);
  const left = mountsUnder([worker.dir]);
  if (left.length > 0) throw new Error(`worker ${worker.name}: still mounted under ${worker.dir}: ${left.join(", ")}`);
  rmSync(worker.dir, { recursive: true, force: true });
}
