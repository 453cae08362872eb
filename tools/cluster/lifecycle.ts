// Bringing a local cluster up and down, idempotently: `up` on a running cluster changes nothing, a crashed
// run's leftovers are removed before a new start, and `down` removes everything the state file records.
import { rmSync } from "node:fs";
import { startApiTier } from "./api-tier.js";
import { isRunning, stopDaemon } from "./daemon.js";
import { nodeTierDefaults, startNodeTier, teardownNodeNetwork } from "./node-tier.js";
import { hasWorkerLeftovers, removeAllWorkers } from "./workers/leave.js";
import { withWorkersLock } from "./workers/records.js";
import { forgetState, loadState, saveState, type ClusterState, type Tier } from "./state.js";

export const clusterDir = () => process.env.KAMAJI_CLUSTER_DIR ?? "/var/tmp/kamaji-cluster";

export async function startCluster(
  dir: string,
  tier: Tier,
  progress: (message: string) => void,
): Promise<{ state: ClusterState; started: boolean }> {
  const existing = loadState(dir);
  if (existing) {
    const healthy = existing.daemons.every(isRunning);
    if (healthy && existing.tier === tier) {
      progress(`a ${tier} cluster is already running; nothing changed`);
      return { state: existing, started: false };
    }
    if (healthy) throw new Error(`a ${existing.tier} cluster is running: \`npm run cluster -- down\` first`);
    progress(`removing the leftovers of a cluster that is no longer running (${existing.tier} tier)`);
    await stopCluster(dir, progress);
  }
  const state =
    tier === "node"
      ? await startNodeTier({ ...nodeTierDefaults, dir, progress })
      : await startApiTier({ dir, apiServerPort: 16443, etcdClientPort: 23790, etcdPeerPort: 23800, progress });
  saveState(state);
  return { state, started: true };
}

export async function stopCluster(dir: string, progress: (message: string) => void): Promise<void> {
  const state = loadState(dir);
  if (!state) {
    progress("no cluster to stop");
    return;
  }
  // Under the workers' lock: a join in progress would otherwise make a machine that nothing records any more.
  const workerProblems = hasWorkerLeftovers(state)
    ? await withWorkersLock(dir, () => removeAllWorkers(state, progress))
    : [];
  for (const daemon of [...state.daemons].reverse()) {
    if (isRunning(daemon)) progress(`stopping ${daemon.name} (pid ${daemon.pid})`);
    await stopDaemon(daemon);
  }
  if (state.tier === "node") teardownNodeNetwork(state, progress);
  if (workerProblems.length > 0) {
    throw new Error(
      `some of the workers could not be removed (still recorded; run down again): ${workerProblems.join("; ")}`,
    );
  }
  forgetState(dir);
  rmSync(dir, { recursive: true, force: true });
  progress("cluster removed");
}
