// `npm run cluster -- leave <namespace>/<tcp> [worker]` and the workers' part of `down`: a worker leaves as a
// machine leaves a cluster (drained, its Node deleted), then the machine, its routes and, with the last worker of
// a tenant, the tenant's LAN are removed.
import { kubectl } from "../kubectl.js";
import { saveState, type ClusterState } from "../state.js";
import { deleteLan, removePodRange } from "./lan.js";
import { restoreHostAfterWorkers } from "./host-settings.js";
import { removeMachine, removePodRoute } from "./machine.js";
import { forgetWorker, nodeTierState, withWorkersLock } from "./records.js";
import { readTenant, tenantAdminKubeconfig, tenantKey, type TenantRef } from "./tenant.js";
import type { WorkerState } from "./types.js";

/**
 * Drains (optionally) and deletes the Node, removes the machine, its routes, and the LAN when it was the last. A
 * Node that cannot be drained or deleted (missing, or its tenant asleep or unreachable) does not keep the machine.
 */
export async function removeWorker(
  clusterDir: string,
  worker: WorkerState,
  tenantKubeconfig: string | undefined,
  options: { drain: boolean; progress: (message: string) => void },
): Promise<void> {
  if (tenantKubeconfig) {
    const drain = ["drain", worker.name, "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=120s"];
    try {
      if (options.drain) kubectl(drain, tenantKubeconfig);
      kubectl(["delete", "node", worker.name, "--ignore-not-found", "--timeout=30s"], tenantKubeconfig);
    } catch (error) {
      options.progress(`${worker.name}: ${(error as Error).message}; removing the machine anyway`);
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
async function leave(
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
    await removeWorker(clusterDir, worker, kubeconfig, { drain: kubeconfig !== undefined, progress });
  }
  return leaving.map((w) => w.name);
}

export const leaveWorkers = (
  clusterDir: string,
  tenant: TenantRef,
  name: string | undefined,
  progress: (message: string) => void,
): Promise<string[]> => withWorkersLock(clusterDir, () => leave(clusterDir, tenant, name, progress));

/** Whether the state holds anything of the workers for `down` to remove or restore. */
export const hasWorkerLeftovers = (state: ClusterState): boolean =>
  Boolean(
    state.workers?.length ||
    state.lans?.length ||
    state.workerMountTargets?.length ||
    state.conntrackMaxBefore !== undefined,
  );

/**
 * For `down`: every machine and LAN goes, without talking to tenants that are about to disappear. Each removal is
 * tried whatever happened to the others, the host's settings are always restored, and what could not be removed
 * is returned (and stays recorded) so that `down` can say so and be run again.
 */
export async function removeAllWorkers(state: ClusterState, progress: (message: string) => void): Promise<string[]> {
  const problems: string[] = [];
  const kept = [];
  for (const worker of state.workers ?? []) {
    progress(`removing worker ${worker.name}`);
    try {
      await removeMachine(worker);
    } catch (error) {
      problems.push((error as Error).message);
      kept.push(worker);
    }
  }
  const keptLans = [];
  for (const lan of state.lans ?? []) {
    try {
      deleteLan(lan);
    } catch (error) {
      problems.push(`LAN of ${lan.tenant}: ${(error as Error).message}`);
      keptLans.push(lan);
    }
  }
  restoreHostAfterWorkers(state);
  state.workers = kept;
  state.lans = keptLans;
  saveState(state);
  return problems;
}
