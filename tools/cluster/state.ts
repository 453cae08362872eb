// What a running local cluster consists of, saved in <dir>/state.json so that `down` removes exactly that.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningDaemon } from "./daemon.js";
import type { HostRoute } from "./machine/network.js";
import type { LanState, WorkerState } from "./workers/types.js";

export type Tier = "api" | "node";
export type { HostRoute };

export interface ClusterState {
  tier: Tier;
  dir: string;
  server: string;
  kubeconfig: string;
  /** In start order; stopped in reverse. */
  daemons: RunningDaemon[];
  netns?: string;
  hostVeth?: string;
  hostRoutes?: HostRoute[];
  /** `ip netns add` made /run/netns a mount point (it was not one before): unmounted again when empty. */
  netnsDirMounted?: boolean;
  startedAt: string;
  /** Node tier: from starting the node's kubelet to its Node turning Ready (the join benchmark's reference). */
  nodeReadyMs?: number;
  /** Tenant LANs and worker machines made by `join` (node tier only). */
  lans?: LanState[];
  workers?: WorkerState[];
  /** Empty directories made on the host as the workers' mount points, removed with the last worker. */
  workerMountTargets?: string[];
  /** The host's nf_conntrack_max before the first worker changed it (see workers/host-settings.ts). */
  conntrackMaxBefore?: number;
}

const stateFile = (dir: string) => join(dir, "state.json");

export function saveState(state: ClusterState): void {
  writeFileSync(stateFile(state.dir), JSON.stringify(state, null, 2) + "\n");
}

export function loadState(dir: string): ClusterState | undefined {
  const file = stateFile(dir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as ClusterState;
}

export function forgetState(dir: string): void {
  rmSync(stateFile(dir), { force: true });
}
