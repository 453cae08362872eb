// What every kubelet on this host needs, whoever writes the rest of its configuration (the management node's own
// file, or kubeadm on a worker, where these go in as a per-machine patch): see local-cluster.md §5.
export interface MachineKubeletSettings {
  /** This machine's own cgroup root, so that machines never share pod cgroups. */
  cgroupRoot: string;
  /** A resolv.conf naming a server inside the machine's own network (never the host's resolver). */
  resolvConf: string;
}

export function machineKubeletSettings(settings: MachineKubeletSettings): Record<string, unknown> {
  return {
    // No systemd here, and cgroup v1 only.
    cgroupDriver: "cgroupfs",
    cgroupRoot: `/${settings.cgroupRoot}`,
    failSwapOn: false,
    failCgroupV1: false,
    // A negative score needs CAP_SYS_RESOURCE, which this sandbox does not have.
    oomScoreAdj: 0,
    // Images cannot be pulled again: never collect them.
    imageGCHighThresholdPercent: 100,
    evictionHard: { "nodefs.available": "0%", "nodefs.inodesFree": "0%", "imagefs.available": "0%" },
    resolvConf: settings.resolvConf,
  };
}

/**
 * The resolv.conf of a machine: its own address, where nothing answers port 53, so that pods with `dnsPolicy:
 * Default` (CoreDNS's upstream) get a prompt refusal and no query ever leaves the machine's network.
 */
export const resolvConfFor = (ownAddress: string): string => `nameserver ${ownAddress}\n`;
