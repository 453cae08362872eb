// `npm run cluster -- leave <namespace>/<tcp> [worker]` and the workers' part of `down`: a worker leaves as a
// machine leaves a cluster (drained, its Node deleted), then the machine, its routes and, with the last worker of
// a tenant, the tenant's LAN are removed.
import { kubectl } from "../kubectl.js";
import { saveState, type ClusterState } from "../state.js";
import { deleteLan, removePodRange } from "./lan.js";
import { restoreHostAfterWorkers } from "./host-settings.js";
import { removeMachine, removePodRoute } from "./machine.js";
import { forgetWorker, nodeTierState } from "./records.js";
import { readTenant, tenantAdminKubeconfig, tenantKey, type TenantRef } from "./tenant.js";
import type { WorkerState } from "./types.js";

/** Drains (optionally) and deletes the Node, removes the machine, its routes, and the LAN when it was the last. */
export async function removeWorker(
  clusterDir: string,
  worker: WorkerState,
  tenantKubeconfig: string | undefined,
  options: { drain: boolean },
): Promise<void> {
  if (tenantKubeconfig) {
    if (options.drain) {
      kubectl(
        ["drain", worker.name, "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=120s"],
        tenantKubeconfig,
      );
    }
    try {
      kubectl(["delete", "node", worker.name, "--ignore-not-found", "--timeout=30s"], tenantKubeconfig);
    } catch {
      // the tenant may be unreachable: the machine goes anyway
    }
  }
  await removeMachine(worker);
  const state = nodeTierState(clusterDir);
  const lan = state.lans?.find((l) => l.index === worker.lanIndex);
  const peers = (state.workers ?? []).filter((w) => w.lanIndex === worker.lanIndex && w.name !== worker.name);
  if (lan && worker.podCIDR) {
    removePodRange(lan, worker.podCIDR);
    for (const peer of peers) removePodRoute(peer, worker.podCIDR);
  }
  forgetWorker(clusterDir, worker.name);
  if (lan && peers.length === 0) {
    deleteLan(lan);
    const after = nodeTierState(clusterDir);
    after.lans = (after.lans ?? []).filter((l) => l.index !== lan.index);
    saveState(after);
  }
  const last = nodeTierState(clusterDir);
  if ((last.workers ?? []).length === 0) {
    restoreHostAfterWorkers(last);
    saveState(last);
  }
}

/** Workers of `tenant` (all, or the one named) leave it. */
export async function leaveWorkers(
  clusterDir: string,
  tenant: TenantRef,
  name: string | undefined,
  progress: (message: string) => void,
): Promise<string[]> {
  const state = nodeTierState(clusterDir);
  const key = tenantKey(tenant);
  const ours = (state.workers ?? []).filter((w) => w.tenant === key);
  const leaving = name ? ours.filter((w) => w.name === name) : ours;
  if (leaving.length === 0) {
    const known = ours.map((w) => w.name).join(", ") || "none";
    throw new Error(`${name ? `no worker ${name} in` : "no workers in"} ${key} (its workers: ${known})`);
  }
  let kubeconfig: string | undefined;
  try {
    kubeconfig = tenantAdminKubeconfig(tenant, readTenant(tenant, state.kubeconfig), state.kubeconfig, clusterDir);
  } catch (error) {
    progress(`the tenant cannot be reached (${(error as Error).message}): removing the machines without draining`);
  }
  for (const worker of leaving) {
    progress(`${worker.name}: ${kubeconfig ? "draining, deleting the Node and " : ""}removing the machine`);
    await removeWorker(clusterDir, worker, kubeconfig, { drain: kubeconfig !== undefined });
  }
  return leaving.map((w) => w.name);
}

/** For `down`: every machine and LAN goes, without talking to tenants that are about to disappear. */
export async function removeAllWorkers(state: ClusterState, progress: (message: string) => void): Promise<void> {
  for (const worker of state.workers ?? []) {
    progress(`removing worker ${worker.name}`);
    await removeMachine(worker);
  }
  for (const lan of state.lans ?? []) deleteLan(lan);
  restoreHostAfterWorkers(state);
  state.workers = [];
  state.lans = [];
  saveState(state);
}
