// The workers' part of the cluster state: read and written at each step of a join or leave, so that `down`
// finds whatever a crash left behind.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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

/**
 * Runs `work` holding the cluster's workers lock, so that two `join`/`leave`/`follow` commands never interleave their
 * read-modify-write of the state. A lock left by a process that is gone is taken over.
 */
export async function withWorkersLock<T>(clusterDir: string, work: () => Promise<T>): Promise<T> {
  nodeTierState(clusterDir); // a clear error when there is no node tier (and no directory for the lock)
  const lock = join(clusterDir, "workers.lock");
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch {
      let holder: number;
      try {
        holder = Number(readFileSync(lock, "utf8").trim());
      } catch {
        continue; // released meanwhile
      }
      if (holder === process.pid) return work(); // already ours (down of a cluster whose join failed, say)
      if (!Number.isInteger(holder) || holder <= 0 || !existsSync(`/proc/${holder}`)) {
        rmSync(lock, { force: true });
        continue;
      }
      throw new Error(`another join, leave or follow (pid ${holder}) is changing the workers; wait for it to finish`);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}
