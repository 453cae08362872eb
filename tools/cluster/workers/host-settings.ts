// What the worker machines need of the host they share, made when the first worker comes and undone when the last
// one goes: empty directories as mount points for the machines' own paths, and a conntrack table of the size the
// tenants' kube-proxy insists on.
import { availableParallelism } from "node:os";
import { readFileSync, writeFileSync } from "node:fs";
import type { ClusterState } from "../state.js";
import { ensureMountTargets, removeMountTargets } from "./machine.js";

const conntrackMax = "/proc/sys/net/netfilter/nf_conntrack_max";

/**
 * kube-proxy (kubeadm's default configuration, as tenants get it) sets nf_conntrack_max to
 * max(32768 per CPU, 131072) unless it already has that value. The sysctl is global and read-only outside the
 * host's network namespace, where our workers' kube-proxy runs, so the host must hold that value beforehand.
 */
export const kubeProxyConntrackMax = (cpus = availableParallelism()): number => Math.max(32_768 * cpus, 131_072);

export function prepareHostForWorkers(state: ClusterState): void {
  state.workerMountTargets = [...(state.workerMountTargets ?? []), ...ensureMountTargets()];
  const current = Number(readFileSync(conntrackMax, "utf8").trim());
  const wanted = kubeProxyConntrackMax();
  if (current !== wanted) {
    state.conntrackMaxBefore ??= current;
    writeFileSync(conntrackMax, String(wanted));
  }
}

export function restoreHostAfterWorkers(state: ClusterState): void {
  removeMountTargets(state.workerMountTargets ?? []);
  state.workerMountTargets = [];
  if (state.conntrackMaxBefore !== undefined) {
    writeFileSync(conntrackMax, String(state.conntrackMaxBefore));
    delete state.conntrackMaxBefore;
  }
}
