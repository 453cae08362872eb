// The `node` tier: a real single-node cluster in its own network namespace (local-cluster.md §3.4, §5, §6).
// containerd, etcd, the control plane, the kubelet and kube-proxy join only the netns `kamaji-node` (nsenter
// --net, so they share the host's mount namespace); the host reaches pods and Services through one veth and
// two routes, and the netns has no default route, so no cluster packet leaves this machine.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { kubeProxyImage, controlPlaneImages, corednsImage, etcdImage, kineImage } from "../images/catalog.js";
import { konnectivityImages } from "../images/catalog.js";
import { pauseImage, testImage } from "../images/catalog.js";
import { importImages } from "../images/containerd-import.js";
import type { ImageSpec } from "../images/oci-image.js";
import { kubernetesBinary, versions } from "../upstream.js";
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
import { ensureClusterPki, type ClusterPki } from "./pki.js";
import type { ClusterState, HostRoute } from "./state.js";
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

const cgroupRootName = "kubelet";
const cgroupBase = "/sys/fs/cgroup";

/** Programs and files the node tier needs from Debian. */
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

function checkPrerequisites(): void {
  const missing = prerequisites.filter(([path]) => !existsSync(path));
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.map(([path, pkg]) => `${path} (${pkg})`).join(", ")}: run ` +
        "`apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y containerd runc " +
        "containernetworking-plugins iptables nftables conntrack socat busybox-static`",
    );
  }
}

const run = (command: string, args: string[]) => execFileSync(command, args, { encoding: "utf8", stdio: "pipe" });
const succeeds = (command: string, args: string[]) => spawnSync(command, args, { stdio: "ignore" }).status === 0;
const inNetns = (netns: string, command: string, args: string[]) =>
  run("nsenter", [`--net=/var/run/netns/${netns}`, "--", command, ...args]);

function hostRoutes(o: NodeTierOptions): HostRoute[] {
  return [o.podCIDR, o.serviceCIDR].map((destination) => ({ destination, via: o.nodeAddress, device: o.hostVeth }));
}

/** What is left of an earlier node (ours or someone else's) in the host's network namespace. */
function networkLeftovers(o: NodeTierOptions): string[] {
  const found: string[] = [];
  if (existsSync(`/var/run/netns/${o.netns}`)) found.push(`netns ${o.netns} (ip netns del ${o.netns})`);
  if (succeeds("ip", ["link", "show", o.hostVeth])) found.push(`link ${o.hostVeth} (ip link del ${o.hostVeth})`);
  for (const route of hostRoutes(o)) {
    if (run("ip", ["route", "show", route.destination]).trim() !== "")
      found.push(`route ${route.destination} (ip route del ${route.destination})`);
  }
  return found;
}

const isMountPoint = (path: string) => mountsUnder([path]).includes(path);

/** Creates the netns, veth pair and host routes; true when /run/netns became a mount point because of it. */
function setUpNetwork(o: NodeTierOptions): boolean {
  const leftovers = networkLeftovers(o);
  if (leftovers.length > 0) {
    throw new Error(
      `the host still has a node network that no cluster state records: ${leftovers.join(", ")}. ` +
        "If it is a crashed run's, remove it with the commands shown; otherwise choose other names.",
    );
  }
  const netnsDirWasMounted = isMountPoint("/run/netns");
  run("ip", ["netns", "add", o.netns]);
  run("ip", ["link", "add", o.hostVeth, "type", "veth", "peer", "name", o.nodeVeth]);
  run("ip", ["link", "set", o.nodeVeth, "netns", o.netns]);
  run("ip", ["addr", "add", `${o.hostAddress}/30`, "dev", o.hostVeth]);
  run("ip", ["link", "set", o.hostVeth, "up"]);
  inNetns(o.netns, "ip", ["addr", "add", `${o.nodeAddress}/30`, "dev", o.nodeVeth]);
  inNetns(o.netns, "ip", ["link", "set", o.nodeVeth, "up"]);
  inNetns(o.netns, "ip", ["link", "set", "lo", "up"]);
  inNetns(o.netns, "sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
  // Processes of the node itself (the API server calling a webhook Service) need a route to the Service range for
  // kube-proxy's DNAT to apply; it points back at the host, whose route returns it here.
  inNetns(o.netns, "ip", ["route", "add", o.serviceCIDR, "via", o.hostAddress, "dev", o.nodeVeth]);
  // Before any packet to these ranges: otherwise the host's default route would carry it out of the machine.
  for (const route of hostRoutes(o)) {
    run("ip", ["route", "add", route.destination, "via", route.via, "dev", route.device]);
  }
  return !netnsDirWasMounted && isMountPoint("/run/netns");
}

/** The v1 hierarchies (and unified), each with our `/kubelet` cgroup root; cpuset needs its cpus/mems copied. */
function createCgroupRoot(): void {
  for (const hierarchy of readdirSync(cgroupBase)) {
    const parent = join(cgroupBase, hierarchy);
    if (!statSync(parent).isDirectory()) continue;
    const dir = join(parent, cgroupRootName);
    mkdirSync(dir, { recursive: true });
    for (const file of ["cpuset.cpus", "cpuset.mems"]) {
      if (existsSync(join(parent, file)) && readFileSync(join(dir, file), "utf8").trim() === "")
        writeFileSync(join(dir, file), readFileSync(join(parent, file), "utf8"));
    }
  }
}

function containerdConfig(dir: string, o: NodeTierOptions): { config: string; socket: string } {
  const base = join(dir, "containerd");
  const socket = join(base, "containerd.sock");
  const netd = join(dir, "cni", "net.d");
  mkdirSync(netd, { recursive: true });
  mkdirSync(base, { recursive: true });
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const toml = `version = 2
root = "${base}/root"
state = "${base}/state"
[grpc]
  address = "${socket}"
[ttrpc]
  address = "${socket}.ttrpc"
[debug]
  address = "${base}/debug.sock"
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
          Root = "${base}/runc"
    [${cri}.cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "${netd}"
  [plugins."io.containerd.internal.v1.opt"]
    path = "${base}/opt"
`;
  const config = join(base, "config.toml");
  writeFileSync(config, toml);
  const conflist = {
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
          ranges: [[{ subnet: o.nodePodCIDR }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: join(dir, "cni", "ipam"),
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
      { type: "loopback" },
    ],
  };
  writeFileSync(join(netd, "10-bridge.conflist"), JSON.stringify(conflist, null, 2) + "\n");
  return { config, socket };
}

function kubeletDaemon(dir: string, pki: ClusterPki, socket: string, o: NodeTierOptions): DaemonSpec {
  const base = join(dir, "kubelet");
  mkdirSync(base, { recursive: true });
  mkdirSync(join(dir, "pod-logs"), { recursive: true });
  const resolvConf = join(dir, "resolv.conf");
  writeFileSync(resolvConf, ""); // never the host's resolver: pods must not reach it
  const config = {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    containerRuntimeEndpoint: `unix://${socket}`,
    cgroupDriver: "cgroupfs",
    cgroupRoot: `/${cgroupRootName}`,
    failSwapOn: false,
    failCgroupV1: false,
    oomScoreAdj: 0,
    imageGCHighThresholdPercent: 100,
    evictionHard: { "nodefs.available": "0%", "nodefs.inodesFree": "0%", "imagefs.available": "0%" },
    resolvConf,
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

/** Lets the API server (as its kubelet client identity) use the kubelet API: exec, logs, port-forward. */
const apiServerToKubelet = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRoleBinding",
  metadata: { name: "kamaji-local:apiserver-kubelet-client" },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:kubelet-api-admin" },
  subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "kube-apiserver-kubelet-client" }],
};

export function corednsManifests(clusterDNS: string): object[] {
  const ns = "kube-system";
  const labels = { "k8s-app": "kube-dns" };
  const corefile = `.:53 {
    errors
    health {
        lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    cache 30
}
`;
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "coredns", namespace: ns } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "system:coredns" },
      rules: [
        { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "system:coredns" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:coredns" },
      subjects: [{ kind: "ServiceAccount", name: "coredns", namespace: ns }],
    },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "coredns", namespace: ns }, data: { Corefile: corefile } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "coredns", namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: "coredns",
            priorityClassName: "system-cluster-critical",
            dnsPolicy: "Default",
            containers: [
              {
                name: "coredns",
                image: `registry.k8s.io/coredns/coredns:${versions.coredns}`,
                imagePullPolicy: "Never",
                args: ["-conf", "/etc/coredns/Corefile"],
                ports: [
                  { name: "dns", containerPort: 53, protocol: "UDP" },
                  { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                ],
                resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { memory: "170Mi" } },
                volumeMounts: [{ name: "config", mountPath: "/etc/coredns", readOnly: true }],
                livenessProbe: { httpGet: { path: "/health", port: 8080 }, periodSeconds: 10, failureThreshold: 5 },
                readinessProbe: { httpGet: { path: "/ready", port: 8181 }, periodSeconds: 2 },
              },
            ],
            volumes: [{ name: "config", configMap: { name: "coredns" } }],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kube-dns", namespace: ns, labels },
      spec: {
        selector: labels,
        clusterIP: clusterDNS,
        ports: [
          { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
          { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
        ],
      },
    },
  ];
}

/** `kubectl apply --server-side` of `objects` with the admin kubeconfig. */
export function kubectlApply(kubeconfig: string, objects: object[]): void {
  const input = objects.map((o) => JSON.stringify(o)).join("\n---\n");
  execFileSync(
    kubernetesBinary("kubectl"),
    ["--kubeconfig", kubeconfig, "apply", "--server-side", "--field-manager=kamaji-cluster", "-f", "-"],
    { input, stdio: ["pipe", "pipe", "pipe"] },
  );
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
    createCgroupRoot();
    const addresses: ControlPlaneAddresses = {
      apiServerAddress: o.nodeAddress,
      apiServerPort: o.apiServerPort,
      etcdClientPort: o.etcdClientPort,
      etcdPeerPort: o.etcdPeerPort,
      serviceCIDR: o.serviceCIDR,
      podCIDR: o.podCIDR,
    };
    const { config, socket } = containerdConfig(dir, o);
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
    kubectlApply(kubeconfig, [apiServerToKubelet]);

    const nodeReady = async () =>
      hasCondition(await getJson(pki, server, `/api/v1/nodes/${o.nodeName}`), "Ready") ? true : undefined;
    const proxyReady = async () => ((await fetch(`http://${o.nodeAddress}:10256/healthz`)).ok ? true : undefined);
    const daemonsC = await startInOrder(
      [
        { spec: kubeletDaemon(dir, pki, socket, o), ready: nodeReady, timeoutMs: 120_000 },
        { spec: kubeProxyDaemon(dir, pki, o), ready: proxyReady, timeoutMs: 60_000 },
      ],
      progress,
    );
    started.push(...daemonsC);

    if (o.dns && images.some((image) => image.name.startsWith("registry.k8s.io/coredns/"))) {
      progress("deploying CoreDNS");
      const dnsBegin = Date.now();
      kubectlApply(kubeconfig, corednsManifests(o.clusterDNS));
      await waitFor(
        "CoreDNS to be available",
        async () =>
          hasCondition(
            await getJson(pki, server, "/apis/apps/v1/namespaces/kube-system/deployments/coredns"),
            "Available",
          )
            ? true
            : undefined,
        120_000,
      );
      progress(`CoreDNS available in ${((Date.now() - dnsBegin) / 1000).toFixed(1)} s`);
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

/** PIDs in our `/kubelet` cgroups (any hierarchy), i.e. the pods' processes. */
function cgroupPids(): number[] {
  const pids = new Set<number>();
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(path, entry.name));
      else if (entry.name === "cgroup.procs") {
        for (const line of readFileSync(join(path, entry.name), "utf8").split("\n"))
          if (line.trim() !== "") pids.add(Number(line));
      }
    }
  };
  for (const hierarchy of ["pids", "memory", "freezer"]) walk(join(cgroupBase, hierarchy, cgroupRootName));
  return [...pids];
}

/** containerd shims started by OUR containerd: their `-address` argument is our socket. */
function ourShims(socket: string): { pid: number; id: string }[] {
  const shims: { pid: number; id: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const at = argv.indexOf("-address");
      if ((argv[0] ?? "").includes("containerd-shim") && at >= 0 && argv[at + 1] === socket)
        shims.push({ pid: Number(entry), id: argv[argv.indexOf("-id") + 1] ?? "" });
    } catch {
      // gone meanwhile
    }
  }
  return shims;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/State:\s+Z/.test(safeRead(`/proc/${pid}/status`));
function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function killAndWait(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) spawnSync("sleep", ["0.1"]);
}

/** Mount points under any of `prefixes`, deepest first. */
function mountsUnder(prefixes: string[]): string[] {
  const points = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => (line.split(" ")[4] ?? "").replaceAll("\\040", " "))
    .filter((point) => prefixes.some((prefix) => point === prefix || point.startsWith(`${prefix}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function unmountAll(prefixes: string[]): void {
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(prefixes);
    if (points.length === 0) return;
    for (const point of points) {
      if (!succeeds("umount", [point])) succeeds("umount", ["-l", point]);
    }
  }
  const left = mountsUnder(prefixes);
  if (left.length > 0) throw new Error(`could not unmount: ${left.join(", ")}`);
}

function removeCgroupTree(path: string): void {
  if (!existsSync(path)) return;
  for (const entry of readdirSync(path, { withFileTypes: true }))
    if (entry.isDirectory()) removeCgroupTree(join(path, entry.name));
  // A cgroup whose last process was just killed stays busy for a moment.
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(path);
      return;
    } catch (error) {
      if (attempt >= 50) throw new Error(`could not remove cgroup ${path}: ${(error as Error).message}`);
      spawnSync("sleep", ["0.1"]);
    }
  }
}

/** The node tier's containerd, where images are imported (`importImages`). */
export const containerdSocket = (dir: string): string => join(dir, "containerd", "containerd.sock");

/**
 * Removes what the node tier made besides its daemons (which must be stopped already): pod processes and our
 * containerd's shims, their pod network namespaces, mounts under the cluster dir, the node netns (its iptables,
 * bridge and veths go with it), host routes and veth, the `/kubelet` cgroups and /var/log/containers links.
 */
export function teardownNodeNetwork(state: ClusterState, progress: (message: string) => void): void {
  const { dir } = state;
  const socket = containerdSocket(dir);
  // Pod network namespaces of our pods, recognised by the inode of a pod process's netns.
  const podPids = cgroupPids();
  const podNetns = new Set<number>();
  for (const pid of podPids) {
    try {
      podNetns.add(statSync(`/proc/${pid}/ns/net`).ino);
    } catch {
      // gone meanwhile
    }
  }
  if (podPids.length > 0) progress(`killing ${podPids.length} pod processes`);
  killAndWait(podPids);
  const shims = ourShims(socket);
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
  const netnsDir = "/var/run/netns";
  if (existsSync(netnsDir)) {
    for (const name of readdirSync(netnsDir)) {
      const path = join(netnsDir, name);
      let ino: number;
      try {
        ino = statSync(path).ino;
      } catch {
        continue;
      }
      if (name !== state.netns && podNetns.has(ino)) {
        if (!succeeds("umount", [path])) succeeds("umount", ["-l", path]);
        unlinkSync(path);
      }
    }
  }
  unmountAll([join(dir, "kubelet"), join(dir, "containerd")]);
  if (state.netns && existsSync(join(netnsDir, state.netns))) {
    progress(`deleting netns ${state.netns}`);
    run("ip", ["netns", "del", state.netns]);
  }
  for (const route of state.hostRoutes ?? []) {
    if (run("ip", ["route", "show", route.destination]).includes(`via ${route.via}`))
      succeeds("ip", ["route", "del", route.destination, "via", route.via]); // may vanish with the veth meanwhile
    if (run("ip", ["route", "show", route.destination]).includes(`via ${route.via}`))
      throw new Error(`could not delete the host route ${route.destination} via ${route.via}`);
  }
  if (state.netnsDirMounted && existsSync(netnsDir) && readdirSync(netnsDir).length === 0) {
    while (isMountPoint("/run/netns") && succeeds("umount", ["/run/netns"]));
  }
  // The host end vanishes by itself once the node's netns (its peer's) is gone, which the kernel may finish only now:
  // a failed delete counts only if the link is still there.
  const veth = state.hostVeth;
  if (veth && !succeeds("ip", ["link", "del", veth]) && succeeds("ip", ["link", "show", veth]))
    throw new Error(`could not delete the host veth ${veth}`);
  for (const hierarchy of readdirSync(cgroupBase)) removeCgroupTree(join(cgroupBase, hierarchy, cgroupRootName));
  // The kubelet links every container log into /var/log/containers (a fixed path); remove only links to ours.
  const containerLogs = "/var/log/containers";
  if (existsSync(containerLogs)) {
    for (const name of readdirSync(containerLogs)) {
      const path = join(containerLogs, name);
      try {
        if (lstatSync(path).isSymbolicLink() && readlinkSync(path).startsWith(`${join(dir, "pod-logs")}/`))
          unlinkSync(path);
      } catch {
        // gone meanwhile
      }
    }
  }
  // Anything still mounted under the dir would make removing the dir reach into other file systems.
  const left = mountsUnder([dir]);
  if (left.length > 0) throw new Error(`still mounted under ${dir}: ${left.join(", ")}`);
}
