// The workers' part of the cluster state: read and written at each step of a join or leave, so that `down`
// finds whatever a crash left behind.
import { loadState, saveState, type ClusterState } from "../state.js";
import type { WorkerState } from "./types.js";

export function nodeTierState(clusterDir: string): ClusterState {
  const state = loadState(clusterDir);
  if (!state || state.tier !== "node" || !state.netns)
    throw new Error("workers join tenants on the node tier: start it with `npm run cluster -- up` first");
  return state;
}

/** Persists the state after each change of a worker, so that `down` finds whatever a crash left. */
export function recordWorker(clusterDir: string, worker: WorkerState): void {
  const state = nodeTierState(clusterDir);
  state.workers = [...(state.workers ?? []).filter((w) => w.name !== worker.name), worker];
  saveState(state);
}

export function forgetWorker(clusterDir: string, name: string): void {
  const state = nodeTierState(clusterDir);
  state.workers = (state.workers ?? []).filter((w) => w.name !== name);
  saveState(state);
}
