// What `join` records of each tenant LAN and worker machine in the cluster state, so that `leave` and `down`
// remove exactly that, even after a crash halfway through a join.
import type { RunningDaemon } from "../daemon.js";

/** A tenant's network: a router netns with the workers' bridge, NAT to an uplink into the management node. */
export interface LanState {
  /** `<namespace>/<tcp>`. */
  tenant: string;
  index: number;
  netns: string;
  /** The uplink's end in the management node's netns. */
  nodeVeth: string;
}

export interface WorkerState {
  name: string;
  tenant: string;
  lanIndex: number;
  /** Host number in the LAN (address 172.30.<lan>.<10 + host>). */
  host: number;
  address: string;
  dir: string;
  netns: string;
  /** The persistent mount namespace, bound at this file. */
  mountNamespace: string;
  cgroupRoot: string;
  lanVeth: string;
  kubernetesVersion: string;
  daemons: RunningDaemon[];
  /** Set once the tenant's controller-manager gave the Node its range and the routes are in place. */
  podCIDR?: string;
}
