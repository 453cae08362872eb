// The `node` tier: a real single-node cluster in its own network namespace (local-cluster.md §3.4, §5, §6).
// containerd, etcd, the control plane, the kubelet and kube-proxy join only the netns `kamaji-node` (nsenter
// --net, so they share the host's mount namespace); the host reaches pods and Services through one veth and
// two routes, and the netns has no default route, so no cluster packet leaves this machine. The building blocks
// (netns, cgroups, containerd, kubelet settings, cleanup) are in machine/, shared with the tenants' workers.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { kubeProxyImage, controlPlaneImages, corednsImage, etcdImage, kineImage } from "../images/catalog.js";
import { konnectivityImages, pauseImage, testImage } from "../images/catalog.js";
import { importImages } from "../images/containerd-import.js";
import type { ImageSpec } from "../images/oci-image.js";
import { kubernetesBinary } from "../upstream.js";
import { startInOrder } from "./api-tier.js";
import {
  apiGet,
  apiServerDaemon,
  controllerManagerDaemon,
  etcdDaemon,
  schedulerDaemon,
  type ControlPlaneAddresses,
} from "./control-plane.js";
import { isRunning, stopDaemon, type DaemonSpec, type RunningDaemon } from "./daemon.js";
import { kubectlApply } from "./kubectl.js";
import { cgroupPids, createCgroupRoot, removeCgroupRoot } from "./machine/cgroups.js";
import { inNetns, run, succeeds } from "./machine/commands.js";
import { bridgeNetwork, containerdConfig } from "./machine/containerd.js";
import { machineKubeletSettings, resolvConfFor } from "./machine/kubelet-settings.js";
import { orphanPodNetns, removeLinksInto, removeNetnsFiles, unmountAll } from "./machine/mounts.js";
import {
  addHostRoute,
  connectVeth,
  createNetns,
  deleteHostRoute,
  deleteHostVeth,
  deleteNetns,
  linkExists,
  mountsUnder,
  netnsExists,
  releaseNetnsDir,
  type HostRoute,
} from "./machine/network.js";
import { killAndWait, netnsInodes, netnsInodesInUse, shimsOf } from "./machine/processes.js";
import { apiServerToKubelet, corednsManifests } from "./node-addons.js";
import { ensureClusterPki, type ClusterPki } from "./pki.js";
import type { ClusterState } from "./state.js";
import { waitFor } from "./wait.js";

export const nodeTierDefaults = {
  netns: "kamaji-node",
  hostVeth: "kamaji-h",
  nodeVeth: "kamaji-n",
  hostAddress: "172.31.254.1",
  nodeAddress: "172.31.254.2",
  nodeName: "kamaji-node",
  podCIDR: "10.244.0.0/16",
  /** The one node's pod range (static host-local IPAM; no controller-manager CIDR allocation). */
  nodePodCIDR: "10.244.0.0/24",
  serviceCIDR: "10.96.0.0/16",
  clusterDNS: "10.96.0.10",
  apiServerPort: 6443,
  etcdClientPort: 2379,
  etcdPeerPort: 2380,
  /** Deploy CoreDNS (when its binary is built). */
  dns: true,
};

export type NodeTierOptions = typeof nodeTierDefaults & { dir: string; progress?: (message: string) => void };

const cgroupRoot = "kubelet";

/** Programs and files the node tier (and the workers) need from Debian. */
const prerequisites: [string, string][] = [
  ["/usr/bin/containerd", "containerd"],
  ["/usr/bin/ctr", "containerd"],
  ["/usr/sbin/runc", "runc"],
  ["/usr/lib/cni/bridge", "containernetworking-plugins"],
  ["/usr/sbin/iptables", "iptables"],
  ["/usr/sbin/nft", "nftables"],
  ["/usr/sbin/conntrack", "conntrack"],
  ["/usr/bin/socat", "socat"],
  ["/bin/busybox", "busybox-static"],
];

export function checkPrerequisites(): void {
  const missing = prerequisites.filter(([path]) => !existsSync(path));
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.map(([path, pkg]) => `${path} (${pkg})`).join(", ")}: run hack/install-packages.sh`,
    );
  }
}

function hostRoutes(o: NodeTierOptions): HostRoute[] {
  return [o.podCIDR, o.serviceCIDR].map((destination) => ({ destination, via: o.nodeAddress, device: o.hostVeth }));
}

/** What is left of an earlier node (ours or someone else's) in the host's network namespace. */
function networkLeftovers(o: NodeTierOptions): string[] {
  const found: string[] = [];
  if (netnsExists(o.netns)) found.push(`netns ${o.netns} (ip netns del ${o.netns})`);
  if (linkExists(o.hostVeth)) found.push(`link ${o.hostVeth} (ip link del ${o.hostVeth})`);
  for (const route of hostRoutes(o)) {
    if (run("ip", ["route", "show", route.destination]).trim() !== "")
      found.push(`route ${route.destination} (ip route del ${route.destination})`);
  }
  return found;
}

/** Creates the netns, veth pair and host routes; true when /run/netns became a mount point because of it. */
function setUpNetwork(o: NodeTierOptions): boolean {
  const leftovers = networkLeftovers(o);
  if (leftovers.length > 0) {
    throw new Error(
      `the host still has a node network that no cluster state records: ${leftovers.join(", ")}. ` +
        "If it is a crashed run's, remove it with the commands shown; otherwise choose other names.",
    );
  }
  const netnsDirMounted = createNetns(o.netns);
  connectVeth(
    { name: o.hostVeth, address: `${o.hostAddress}/30` },
    { netns: o.netns, name: o.nodeVeth, address: `${o.nodeAddress}/30` },
  );
  inNetns(o.netns, "sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
  // Processes of the node itself (the API server calling a webhook Service) need a route to the Service range for
  // kube-proxy's DNAT to apply; it points back at the host, whose route returns it here.
  inNetns(o.netns, "ip", ["route", "add", o.serviceCIDR, "via", o.hostAddress, "dev", o.nodeVeth]);
  // Before any packet to these ranges: otherwise the host's default route would carry it out of the machine.
  for (const route of hostRoutes(o)) addHostRoute(route);
  return netnsDirMounted;
}

/** The node tier's containerd, where images are imported (`importImages`). */
export const containerdSocket = (dir: string): string => join(dir, "containerd", "containerd.sock");

function writeContainerdConfig(dir: string, o: NodeTierOptions): string {
  const base = join(dir, "containerd");
  const cniConfDir = join(dir, "cni", "net.d");
  mkdirSync(cniConfDir, { recursive: true });
  mkdirSync(base, { recursive: true });
  const config = join(base, "config.toml");
  writeFileSync(
    config,
    containerdConfig({
      root: join(base, "root"),
      state: join(base, "state"),
      socket: containerdSocket(dir),
      runcRoot: join(base, "runc"),
      cniConfDir,
      opt: join(base, "opt"),
    }),
  );
  const network = bridgeNetwork(o.nodePodCIDR, join(dir, "cni", "ipam"));
  writeFileSync(join(cniConfDir, "10-bridge.conflist"), JSON.stringify(network, null, 2) + "\n");
  return config;
}

function kubeletDaemon(dir: string, pki: ClusterPki, o: NodeTierOptions): DaemonSpec {
  const base = join(dir, "kubelet");
  mkdirSync(base, { recursive: true });
  mkdirSync(join(dir, "pod-logs"), { recursive: true });
  const resolvConf = join(dir, "resolv.conf");
  writeFileSync(resolvConf, resolvConfFor(o.nodeAddress));
  const config = {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    containerRuntimeEndpoint: `unix://${containerdSocket(dir)}`,
    ...machineKubeletSettings({ cgroupRoot, resolvConf }),
    clusterDNS: [o.clusterDNS],
    clusterDomain: "cluster.local",
    podLogsDir: join(dir, "pod-logs"),
    authentication: {
      x509: { clientCAFile: pki.caCert },
      webhook: { enabled: true },
      anonymous: { enabled: false },
    },
    authorization: { mode: "Webhook" },
    tlsCertFile: pki.kubeletServingCert,
    tlsPrivateKeyFile: pki.kubeletServingKey,
    serializeImagePulls: false,
    healthzBindAddress: "127.0.0.1",
  };
  const file = join(dir, "kubelet-config.json");
  writeFileSync(file, JSON.stringify(config, null, 2) + "\n");
  return {
    name: "kubelet",
    command: kubernetesBinary("kubelet"),
    args: [
      `--config=${file}`,
      `--kubeconfig=${pki.kubeconfigs.kubelet ?? ""}`,
      `--node-ip=${o.nodeAddress}`,
      `--hostname-override=${o.nodeName}`,
      `--root-dir=${base}`,
    ],
    logFile: join(dir, "kubelet.log"),
    netns: o.netns,
  };
}

function kubeProxyDaemon(dir: string, pki: ClusterPki, o: NodeTierOptions): DaemonSpec {
  const config = {
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    mode: "iptables",
    clusterCIDR: o.podCIDR,
    hostnameOverride: o.nodeName,
    clientConnection: { kubeconfig: pki.kubeconfigs["kube-proxy"] ?? "" },
    conntrack: { maxPerCore: 0, tcpEstablishedTimeout: "0s", tcpCloseWaitTimeout: "0s" },
    iptables: { minSyncPeriod: "1s" },
    oomScoreAdj: 0,
    healthzBindAddress: `${o.nodeAddress}:10256`,
    metricsBindAddress: "127.0.0.1:10249",
  };
  const file = join(dir, "kube-proxy-config.json");
  writeFileSync(file, JSON.stringify(config, null, 2) + "\n");
  return {
    name: "kube-proxy",
    command: kubernetesBinary("kube-proxy"),
    args: [`--config=${file}`],
    logFile: join(dir, "kube-proxy.log"),
    netns: o.netns,
  };
}

/** The images whose sources exist; the others are named so the caller can report them. */
function availableImages(): { specs: ImageSpec[]; missing: string[] } {
  const specs: ImageSpec[] = [];
  const missing: string[] = [];
  const factories: (() => ImageSpec | ImageSpec[])[] = [
    pauseImage,
    () => controlPlaneImages(),
    () => kubeProxyImage(),
    corednsImage,
    kineImage,
    etcdImage,
    konnectivityImages,
    testImage,
  ];
  for (const factory of factories) {
    try {
      const made = factory();
      specs.push(...(Array.isArray(made) ? made : [made]));
    } catch (error) {
      missing.push((error as Error).message);
    }
  }
  return { specs, missing };
}

interface Condition {
  type: string;
  status: string;
}

async function getJson(pki: ClusterPki, server: string, path: string): Promise<unknown> {
  const { status, body } = await apiGet(pki, server, path);
  return status === 200 ? (JSON.parse(body) as unknown) : undefined;
}

function hasCondition(object: unknown, type: string): boolean {
  const conditions = (object as { status?: { conditions?: Condition[] } } | undefined)?.status?.conditions ?? [];
  return conditions.some((c) => c.type === type && c.status === "True");
}

export async function startNodeTier(options: NodeTierOptions): Promise<ClusterState> {
  const progress = options.progress ?? (() => undefined);
  const o = options;
  const { dir } = o;
  checkPrerequisites();
  mkdirSync(dir, { recursive: true });
  const server = `https://${o.nodeAddress}:${o.apiServerPort}`;
  progress("writing certificates and kubeconfigs");
  const pki = await ensureClusterPki({
    dir: join(dir, "pki"),
    server,
    apiServerIPs: [o.nodeAddress, "10.96.0.1", "127.0.0.1"],
    apiServerDNSNames: [],
    nodeName: o.nodeName,
    nodeIP: o.nodeAddress,
  });
  const kubeconfig = pki.kubeconfigs.admin ?? "";
  const { specs: images, missing } = availableImages();
  for (const reason of missing) progress(`image skipped: ${reason}`);

  progress(`creating netns ${o.netns}, veth ${o.hostVeth}/${o.nodeVeth} and host routes`);
  const netnsDirMounted = setUpNetwork(o);
  const state: ClusterState = {
    tier: "node",
    dir,
    server,
    kubeconfig,
    daemons: [],
    netns: o.netns,
    hostVeth: o.hostVeth,
    hostRoutes: hostRoutes(o),
    netnsDirMounted,
    startedAt: new Date().toISOString(),
  };
  const started: RunningDaemon[] = [];
  let importing: Promise<void> | undefined;
  try {
    createCgroupRoot(cgroupRoot);
    const addresses: ControlPlaneAddresses = {
      apiServerAddress: o.nodeAddress,
      apiServerPort: o.apiServerPort,
      etcdClientPort: o.etcdClientPort,
      etcdPeerPort: o.etcdPeerPort,
      serviceCIDR: o.serviceCIDR,
      podCIDR: o.podCIDR,
    };
    const config = writeContainerdConfig(dir, o);
    const socket = containerdSocket(dir);
    const containerdReady = () => Promise.resolve(succeeds("ctr", ["--address", socket, "version"]) ? true : undefined);
    const etcdReady = () => {
      const probe = `exec 3<>/dev/tcp/127.0.0.1/${o.etcdClientPort}`;
      return Promise.resolve(
        succeeds("nsenter", [`--net=/var/run/netns/${o.netns}`, "--", "bash", "-c", probe]) ? true : undefined,
      );
    };
    const apiReady = async () => ((await apiGet(pki, server, "/readyz")).status === 200 ? true : undefined);
    const kcmReady = async () =>
      (await apiGet(pki, server, "/api/v1/namespaces/default/serviceaccounts/default")).status === 200
        ? true
        : undefined;
    const settled = (daemon: () => RunningDaemon | undefined) => async () => {
      await sleep(500);
      const d = daemon();
      return d && isRunning(d) ? true : undefined;
    };
    const last = () => started.at(-1);

    const daemonsA = await startInOrder(
      [
        {
          spec: {
            name: "containerd",
            command: "/usr/bin/containerd",
            args: ["--config", config],
            logFile: join(dir, "containerd.log"),
            netns: o.netns,
          },
          ready: containerdReady,
          timeoutMs: 30_000,
        },
      ],
      progress,
    );
    started.push(...daemonsA);
    // Images are imported while the control plane starts; the kubelet waits for both.
    const begin = Date.now();
    importing = importImages(socket, images).then((imported) => {
      progress(
        `imported ${imported.length} of ${images.length} images in ${((Date.now() - begin) / 1000).toFixed(1)} s`,
      );
    });
    importing.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
    const daemonsB = await startInOrder(
      [
        { spec: etcdDaemon(dir, addresses, o.netns), ready: etcdReady, timeoutMs: 30_000 },
        { spec: apiServerDaemon(dir, pki, addresses, o.netns), ready: apiReady, timeoutMs: 60_000 },
        { spec: controllerManagerDaemon(dir, pki, addresses, o.netns), ready: kcmReady, timeoutMs: 60_000 },
        { spec: schedulerDaemon(dir, pki, o.netns), ready: settled(last), timeoutMs: 10_000 },
      ],
      progress,
    );
    started.push(...daemonsB);
    await importing;
    kubectlApply([apiServerToKubelet], kubeconfig, "kamaji-cluster");

    const nodeReady = async () =>
      hasCondition(await getJson(pki, server, `/api/v1/nodes/${o.nodeName}`), "Ready") ? true : undefined;
    const proxyReady = async () => ((await fetch(`http://${o.nodeAddress}:10256/healthz`)).ok ? true : undefined);
    const kubeletBegin = Date.now();
    started.push(
      ...(await startInOrder([{ spec: kubeletDaemon(dir, pki, o), ready: nodeReady, timeoutMs: 120_000 }], progress)),
    );
    state.nodeReadyMs = Date.now() - kubeletBegin;
    started.push(
      ...(await startInOrder([{ spec: kubeProxyDaemon(dir, pki, o), ready: proxyReady, timeoutMs: 60_000 }], progress)),
    );

    if (o.dns && images.some((image) => image.name.startsWith("registry.k8s.io/coredns/"))) {
      progress("deploying CoreDNS");
      const dnsBegin = Date.now();
      kubectlApply(corednsManifests(o), kubeconfig, "kamaji-cluster");
      // Ready pods, not the Available condition: one replica with maxUnavailable 1 is "available" with none ready.
      await waitFor(
        "a CoreDNS pod to be ready",
        async () => {
          const deployment = (await getJson(
            pki,
            server,
            "/apis/apps/v1/namespaces/kube-system/deployments/coredns",
          )) as { status?: { readyReplicas?: number } } | undefined;
          return (deployment?.status?.readyReplicas ?? 0) >= 1 ? true : undefined;
        },
        120_000,
      );
      progress(`CoreDNS ready in ${((Date.now() - dnsBegin) / 1000).toFixed(1)} s`);
    } else if (o.dns) {
      progress("CoreDNS NOT deployed: its binary is not built yet (hack/build-upstream.sh coredns)");
    }
  } catch (error) {
    progress("start failed: removing what was started");
    await importing?.catch(() => undefined);
    for (const daemon of [...started].reverse()) await stopDaemon(daemon);
    try {
      teardownNodeNetwork({ ...state, daemons: started }, progress);
    } catch (cleanupError) {
      progress(`cleanup after the failure also failed: ${(cleanupError as Error).message}`);
    }
    throw error;
  }
  return { ...state, daemons: started, startedAt: new Date().toISOString() };
}

/**
 * Removes what the node tier made besides its daemons (which must be stopped already): pod processes and our
 * containerd's shims, their pod network namespaces, mounts under the cluster dir, the node netns (its iptables,
 * bridge and veths go with it), host routes and veth, the `/kubelet` cgroups and /var/log/containers links.
 */
export function teardownNodeNetwork(state: ClusterState, progress: (message: string) => void): void {
  const { dir } = state;
  const socket = containerdSocket(dir);
  const podPids = cgroupPids(cgroupRoot);
  const podNetns = netnsInodes(podPids);
  const since = Math.min(
    Date.parse(state.startedAt),
    existsSync(dir) ? statSync(dir).birthtimeMs || Infinity : Infinity,
  );
  for (const orphan of orphanPodNetns("/var/run/netns", since, netnsInodesInUse())) podNetns.add(orphan);
  if (podPids.length > 0) progress(`killing ${podPids.length} pod processes`);
  killAndWait(podPids);
  const shims = shimsOf(socket);
  if (shims.length > 0) progress(`killing ${shims.length} containerd shims of ours`);
  killAndWait(shims.map((shim) => shim.pid));
  // containerd 1.6 puts shim sockets at a fixed place, named by a hash of our socket, namespace and shim id.
  for (const { id } of shims) {
    const hash = createHash("sha256")
      .update(join(socket, "k8s.io", id))
      .digest("hex");
    rmSync(join("/run/containerd/s", hash), { force: true });
  }
  // libcni caches each attachment's result in /var/lib/cni/results (a fixed path), named by sandbox id.
  const sandboxes = join(dir, "containerd", "root", "io.containerd.grpc.v1.cri", "sandboxes");
  const results = "/var/lib/cni/results";
  if (existsSync(sandboxes) && existsSync(results)) {
    const ids = readdirSync(sandboxes);
    for (const name of readdirSync(results))
      if (ids.some((id) => name.includes(`-${id}-`))) rmSync(join(results, name), { force: true });
  }
  removeNetnsFiles("/var/run/netns", podNetns, state.netns ? [state.netns] : []);
  unmountAll([join(dir, "kubelet"), join(dir, "containerd")]);
  if (state.netns && netnsExists(state.netns)) {
    progress(`deleting netns ${state.netns}`);
    deleteNetns(state.netns);
  }
  for (const route of state.hostRoutes ?? []) deleteHostRoute(route);
  releaseNetnsDir(state.netnsDirMounted);
  deleteHostVeth(state.hostVeth);
  removeCgroupRoot(cgroupRoot);
  // The kubelet links every container log into /var/log/containers (a fixed path); remove only links to ours.
  removeLinksInto("/var/log/containers", join(dir, "pod-logs"));
  // Anything still mounted under the dir would make removing the dir reach into other file systems.
  const left = mountsUnder([dir]);
  if (left.length > 0) throw new Error(`still mounted under ${dir}: ${left.join(", ")}`);
}
