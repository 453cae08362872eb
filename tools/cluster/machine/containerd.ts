// containerd's configuration and the bridge CNI network of a local machine (local-cluster.md appendix B): the
// CRI plugin with runc under the cgroupfs driver, no negative oom_score_adj (this sandbox lacks CAP_SYS_RESOURCE),
// the locally built pause image, and Debian's CNI plugins.
import { versions } from "../../upstream.js";

export interface ContainerdPaths {
  root: string;
  state: string;
  socket: string;
  /** runc's state directory. */
  runcRoot: string;
  cniConfDir: string;
  opt: string;
}

export function containerdConfig(paths: ContainerdPaths): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${paths.root}"
state = "${paths.state}"
[grpc]
  address = "${paths.socket}"
[ttrpc]
  address = "${paths.socket}.ttrpc"
[debug]
  address = "${paths.socket}.debug"
[plugins]
  [${cri}]
    sandbox_image = "registry.k8s.io/pause:${versions.pause}"
    restrict_oom_score_adj = true
    stream_server_address = "127.0.0.1"
    [${cri}.containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [${cri}.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [${cri}.containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = "${paths.runcRoot}"
    [${cri}.cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "${paths.cniConfDir}"
  [plugins."io.containerd.internal.v1.opt"]
    path = "${paths.opt}"
`;
}

/** A bridge network for the pods of one machine, from its pod range; traffic to other ranges is routed. */
export function bridgeNetwork(podSubnet: string, ipamDataDir: string): object {
  return {
    cniVersion: "1.0.0",
    name: "kamaji-pod-network",
    plugins: [
      {
        type: "bridge",
        bridge: "cni0",
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: podSubnet }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: ipamDataDir,
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
      { type: "loopback" },
    ],
  };
}
