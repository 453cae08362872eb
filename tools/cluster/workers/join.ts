// `npm run cluster -- join <namespace>/<tcp>`: worker machines join a tenant with the real `kubeadm join`, using a
// token made in the tenant as `kubeadm token create --print-join-command` makes it. The input is checked before
// anything is made; a join that fails later removes what it made (machine, Node, LAN, token) and says why.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { importImages } from "../../images/containerd-import.js";
import type { ImageSpec } from "../../images/oci-image.js";
import { binDir, kubernetesBinary } from "../../upstream.js";
import { logTail, type RunningDaemon } from "../daemon.js";
import { kubectl, runWithKubeconfig } from "../kubectl.js";
import { namespaceArgs } from "../machine/commands.js";
import { netnsExists } from "../machine/network.js";
import { saveState } from "../state.js";
import { prepareHostForWorkers } from "./host-settings.js";
import { removeWorker } from "./leave.js";
import { nodeTierState, recordWorker, withWorkersLock } from "./records.js";
import { waitFor } from "../wait.js";
import { workerImages } from "./images.js";
import { createLan, deleteLan, lanState, routeEndpoint, routePodRange } from "./lan.js";
import {
  configurePodNetwork,
  createMachine,
  kubeadmPatchesDir,
  kubeletConfigured,
  startKubelet,
  workerContainerdSocket,
  workerState,
} from "./machine.js";
import {
  bootstrapTokenId,
  caCertHash,
  defaultWorkerNames,
  firstFree,
  kubeletSkewProblem,
  maxLans,
  parseJoinCommand,
  tokenExpiredAt,
  workerNameProblem,
  workerResourceNames,
  type JoinCommand,
} from "./plan.js";
import {
  endpointAddress,
  joinProblem,
  readTenant,
  tenantAdminKubeconfig,
  tenantKey,
  type TenantRef,
} from "./tenant.js";
import type { LanState, WorkerState } from "./types.js";

export interface JoinOptions {
  tenant: TenantRef;
  /** How many machines; ignored when `names` are given. */
  count: number;
  names?: string[];
  /** The kubelet's version; default the tenant's. */
  kubeletVersion?: string;
  /** An existing bootstrap token of the tenant; default a new one. */
  token?: string;
  progress: (message: string) => void;
}

/** A new token, as `kubeadm token create --print-join-command`; retried while the tenant's RBAC settles. */
async function createJoinCommand(kubeconfig: string, version: string): Promise<JoinCommand> {
  const kubeadm = kubernetesBinary("kubeadm", version);
  return waitFor(
    "kubeadm token create in the tenant",
    () => parseJoinCommand(runWithKubeconfig(kubeadm, ["token", "create", "--print-join-command"], kubeconfig)),
    60_000,
    2_000,
  );
}

/** A token the user gave: it must exist in the tenant and not have expired. */
function joinCommandForToken(kubeconfig: string, token: string): JoinCommand {
  const id = bootstrapTokenId(token);
  let secret: { data?: Record<string, string> };
  try {
    secret = JSON.parse(
      kubectl(["get", "secret", `bootstrap-token-${id}`, "-n", "kube-system", "-o", "json"], kubeconfig),
    ) as typeof secret;
  } catch {
    throw new Error(
      `bootstrap token ${id} does not exist in the tenant (expired tokens are deleted by its token cleaner): ` +
        "create one with `kubeadm token create`, or leave out --token",
    );
  }
  const decode = (key: string) => Buffer.from(secret.data?.[key] ?? "", "base64").toString();
  const expired = tokenExpiredAt(decode("expiration") || undefined, new Date());
  if (expired) throw new Error(`bootstrap token ${id} expired at ${expired}: create a new one, or leave out --token`);
  if (decode("token-secret") !== token.split(".")[1]) throw new Error(`bootstrap token ${id}: wrong secret part`);
  const config = JSON.parse(kubectl(["config", "view", "--raw", "-o", "json"], kubeconfig)) as {
    clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
  };
  const cluster = config.clusters[0]?.cluster;
  if (!cluster) throw new Error("the tenant kubeconfig names no cluster");
  return {
    endpoint: new URL(cluster.server).host,
    token,
    caCertHash: caCertHash(Buffer.from(cluster["certificate-authority-data"], "base64").toString()),
  };
}

const kubeletStartLine = "[kubelet-start] Starting the kubelet";

/** The real `kubeadm join` inside the machine; the kubelet starts once kubeadm has written its flags. */
async function kubeadmJoin(worker: WorkerState, command: JoinCommand, onKubelet: (d: RunningDaemon) => void) {
  const logFile = join(worker.dir, "kubeadm-join.log");
  const log = openSync(logFile, "a");
  const args = [
    ...namespaceArgs(worker.netns, worker.mountNamespace),
    "--",
    kubernetesBinary("kubeadm", worker.kubernetesVersion),
    "join",
    command.endpoint,
    "--token",
    command.token,
    "--discovery-token-ca-cert-hash",
    command.caCertHash,
    "--node-name",
    worker.name,
    "--patches",
    kubeadmPatchesDir(worker),
    // This host has cgroup v1 only: kubeadm v1.35+ makes that a preflight error (the patches set failCgroupV1: false).
    "--ignore-preflight-errors=SystemVerification",
    "-v=1",
  ];
  // The kubelet of the machine's version is on its PATH, as on a machine with the packages installed.
  const path = `${binDir("kubernetes", worker.kubernetesVersion)}:${process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}`;
  const child = spawn("nsenter", args, { stdio: ["ignore", log, log], env: { ...process.env, PATH: path } });
  closeSync(log);
  let code: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on("exit", (status) => {
      code = status;
      resolve();
    }),
  );
  let kubeletStarted = false;
  while (code === undefined) {
    // When kubeadm would have systemd start the kubelet: its files are written and it says so.
    if (!kubeletStarted && kubeletConfigured(worker) && readFileSync(logFile, "utf8").includes(kubeletStartLine)) {
      onKubelet(startKubelet(worker));
      kubeletStarted = true;
    }
    await sleep(100);
  }
  await exited;
  if (code !== 0) throw new Error(`kubeadm join exited with ${code}\n--- ${logFile} ---\n${logTail(logFile, 25)}`);
}

interface NodeView {
  spec?: { podCIDR?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

const readNode = (kubeconfig: string, name: string): NodeView | undefined => {
  try {
    return JSON.parse(kubectl(["get", "node", name, "-o", "json"], kubeconfig)) as NodeView;
  } catch {
    return undefined;
  }
};

const isReady = (node: NodeView | undefined) =>
  node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/**
 * The tenant's LAN, created (and recorded) when this is its first worker; a LAN that fails to build is removed and
 * forgotten. The host is prepared on every join (idempotent), so it is ready whatever the LANs' history.
 */
function ensureLan(clusterDir: string, tenant: string, endpoint: string): LanState {
  const state = nodeTierState(clusterDir);
  prepareHostForWorkers(state);
  saveState(state);
  const existing = state.lans?.find((lan) => lan.tenant === tenant);
  if (existing) {
    routeEndpoint(existing, endpoint); // the tenant's address may have changed since its first worker
    return existing;
  }
  const taken = (state.lans ?? []).map((l) => l.index);
  const lan = lanState(tenant, firstFree(taken, maxLans, "tenant LAN"));
  state.lans = [...(state.lans ?? []), lan];
  saveState(state);
  try {
    createLan(lan, state.netns ?? "", [endpoint]);
  } catch (error) {
    deleteLan(lan);
    const after = nodeTierState(clusterDir);
    after.lans = (after.lans ?? []).filter((l) => l.index !== lan.index);
    saveState(after);
    throw new Error(`the LAN of ${tenant} could not be made: ${(error as Error).message}`);
  }
  return lan;
}

async function joinOne(
  clusterDir: string,
  worker: WorkerState,
  lan: LanState,
  command: JoinCommand,
  tenantKubeconfig: string,
  images: ImageSpec[],
  progress: (message: string) => void,
): Promise<void> {
  const begin = Date.now();
  const elapsed = () => `${((Date.now() - begin) / 1000).toFixed(1)} s`;
  recordWorker(clusterDir, worker);
  progress(`${worker.name}: creating the machine (netns ${worker.netns}, address ${worker.address})`);
  worker.daemons.push(await createMachine(worker, lan, clusterDir));
  recordWorker(clusterDir, worker);
  const imported = await importImages(workerContainerdSocket(worker), images);
  progress(`${worker.name}: containerd up with ${imported.length} images (${elapsed()}); running kubeadm join`);
  await kubeadmJoin(worker, command, (kubelet) => {
    worker.daemons.push(kubelet);
    recordWorker(clusterDir, worker);
    progress(`${worker.name}: kubeadm wrote the kubelet's configuration; kubelet started (${elapsed()})`);
  });
  progress(`${worker.name}: kubeadm join done (${elapsed()}); waiting for the Node's pod range`);
  const podCIDR = await waitFor(
    `the tenant to give Node ${worker.name} a pod range`,
    () => readNode(tenantKubeconfig, worker.name)?.spec?.podCIDR,
    60_000,
    500,
  );
  const peers = (nodeTierState(clusterDir).workers ?? []).filter(
    (w) => w.tenant === worker.tenant && w.name !== worker.name,
  );
  worker.podCIDR = podCIDR; // recorded first, so that removing the worker removes whatever routes were made
  recordWorker(clusterDir, worker);
  configurePodNetwork(worker, podCIDR, peers);
  routePodRange(lan, podCIDR, worker.address);
  await waitFor(
    `Node ${worker.name} to be Ready`,
    () => (isReady(readNode(tenantKubeconfig, worker.name)) ? true : undefined),
    120_000,
    500,
  );
  progress(`${worker.name}: Node Ready with pods in ${podCIDR} (${elapsed()})`);
}

async function joinUnlocked(clusterDir: string, options: JoinOptions): Promise<WorkerState[]> {
  const { progress } = options;
  const state = nodeTierState(clusterDir);
  const key = tenantKey(options.tenant);
  const view = readTenant(options.tenant, state.kubeconfig);
  const version = options.kubeletVersion ?? view.spec.kubernetes.version;
  const skew = kubeletSkewProblem(version, view.spec.kubernetes.version);
  if (skew) throw new Error(`cannot join ${key}: ${skew}`);
  const problem = joinProblem(options.tenant, view);
  if (problem) throw new Error(`cannot join: ${problem}`);
  kubernetesBinary("kubeadm", version);
  kubernetesBinary("kubelet", version);
  // Fails here, before anything is made, when a binary is missing.
  const images = workerImages(view.spec.kubernetes.version);

  const taken = (state.workers ?? []).map((w) => w.name);
  const names = options.names?.length ? options.names : defaultWorkerNames(options.tenant.name, taken, options.count);
  for (const name of names) {
    const invalid = workerNameProblem(name);
    if (invalid) throw new Error(invalid);
    const owner = state.workers?.find((w) => w.name === name);
    if (owner)
      throw new Error(
        `worker name ${name} is already in use (a worker of ${owner.tenant}): choose another, or remove it with \`npm run cluster -- leave ${owner.tenant} ${name}\``,
      );
    const { netns } = workerResourceNames(name);
    if (netnsExists(netns))
      throw new Error(`worker name ${name} is already in use on this host (netns ${netns} exists)`);
  }
  if (new Set(names).size !== names.length) throw new Error(`worker names repeat: ${names.join(", ")}`);

  const tenantKubeconfig = tenantAdminKubeconfig(options.tenant, view, state.kubeconfig, clusterDir);
  const command = options.token
    ? joinCommandForToken(tenantKubeconfig, options.token)
    : await createJoinCommand(tenantKubeconfig, version);
  progress(`joining ${names.join(", ")} to ${key} at ${command.endpoint} (kubelet ${version})`);
  const address = endpointAddress(view);
  const lan = ensureLan(clusterDir, key, address);
  const hosts = (state.workers ?? []).filter((w) => w.lanIndex === lan.index).map((w) => w.host);
  const joined: WorkerState[] = [];
  for (const name of names) {
    const host = firstFree(hosts, 240, `address in the LAN of ${key}`);
    hosts.push(host);
    const worker = workerState(name, key, lan, host, clusterDir, version);
    try {
      await joinOne(clusterDir, worker, lan, command, tenantKubeconfig, images, progress);
      joined.push(worker);
    } catch (error) {
      progress(`${name}: join failed; removing the machine and its Node`);
      let cleanup = "";
      try {
        await removeWorker(clusterDir, worker, tenantKubeconfig, { drain: false, progress });
      } catch (cleanupError) {
        cleanup = ` (removing it also failed: ${(cleanupError as Error).message}; \`npm run cluster -- down\` removes what is left)`;
      }
      if (!options.token) deleteToken(tenantKubeconfig, version, command.token);
      throw new Error(`worker ${name} could not join ${key}: ${(error as Error).message}${cleanup}`);
    }
  }
  return joined;
}

/** A token this join made is not left valid in the tenant when the join fails. */
function deleteToken(kubeconfig: string, version: string, token: string): void {
  try {
    runWithKubeconfig(kubernetesBinary("kubeadm", version), ["token", "delete", bootstrapTokenId(token)], kubeconfig);
  } catch {
    // expires by itself within a day
  }
}

export const joinWorkers = (clusterDir: string, options: JoinOptions): Promise<WorkerState[]> =>
  withWorkersLock(clusterDir, () => joinUnlocked(clusterDir, options));
