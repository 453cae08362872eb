// The `api` tier: etcd + kube-apiserver (+ kube-controller-manager for garbage collection and namespaces) on
// loopback, TLS and RBAC on, an admin kubeconfig written. No nodes, so no pods run; it starts in seconds.
import { mkdirSync } from "node:fs";
import {
  apiGet,
  apiServerDaemon,
  controllerManagerDaemon,
  etcdDaemon,
  type ControlPlaneAddresses,
} from "./control-plane.js";
import { logTail, startDaemon, stopDaemon, type DaemonSpec, type RunningDaemon } from "./daemon.js";
import { ensureClusterPki } from "./pki.js";
import { assertPortFree } from "./ports.js";
import type { ClusterState } from "./state.js";
import { waitFor } from "./wait.js";

export interface ApiTierOptions {
  dir: string;
  apiServerPort: number;
  etcdClientPort: number;
  etcdPeerPort: number;
  progress?: (message: string) => void;
}

/** Starts `specs` in order, each waited for by `ready`; on any failure stops what it started and rethrows. */
export async function startInOrder(steps: DaemonStep[], progress: (message: string) => void): Promise<RunningDaemon[]> {
  const started: RunningDaemon[] = [];
  try {
    for (const { spec, ready, timeoutMs } of steps) {
      const begin = Date.now();
      progress(`starting ${spec.name}`);
      const daemon = startDaemon(spec);
      started.push(daemon);
      try {
        await waitFor(`${spec.name} to be ready`, ready, timeoutMs);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- last lines of ${spec.logFile} ---\n${logTail(spec.logFile)}`);
      }
      progress(`${spec.name} ready in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
    }
    return started;
  } catch (error) {
    for (const daemon of started.reverse()) await stopDaemon(daemon);
    throw error;
  }
}

interface DaemonStep {
  spec: DaemonSpec;
  ready: () => Promise<unknown>;
  timeoutMs: number;
}

/** The api tier's daemons in start order, each with its readiness check: the same for a start and a restart. */
export async function apiTierSteps(
  options: Omit<ApiTierOptions, "progress">,
): Promise<{ steps: DaemonStep[]; adminKubeconfig: string }> {
  const { dir } = options;
  const addresses: ControlPlaneAddresses = {
    apiServerAddress: "127.0.0.1",
    apiServerPort: options.apiServerPort,
    etcdClientPort: options.etcdClientPort,
    etcdPeerPort: options.etcdPeerPort,
    serviceCIDR: "10.96.0.0/16",
    podCIDR: "10.244.0.0/16",
  };
  const server = apiTierServer(options);
  const pki = await ensureClusterPki({
    dir: `${dir}/pki`,
    server,
    apiServerIPs: ["127.0.0.1", "10.96.0.1"],
    apiServerDNSNames: [],
  });
  const etcdHealthy = async () => {
    const response = await fetch(`http://127.0.0.1:${addresses.etcdClientPort}/health`);
    return response.ok ? true : undefined;
  };
  const apiReady = async () => ((await apiGet(pki, server, "/readyz")).status === 200 ? true : undefined);
  const kcmReady = async () => {
    // The token controller of a running controller manager creates the default ServiceAccount.
    const { status } = await apiGet(pki, server, "/api/v1/namespaces/default/serviceaccounts/default");
    return status === 200 ? true : undefined;
  };
  const steps = [
    { spec: etcdDaemon(dir, addresses), ready: etcdHealthy, timeoutMs: 30_000 },
    { spec: apiServerDaemon(dir, pki, addresses), ready: apiReady, timeoutMs: 60_000 },
    { spec: controllerManagerDaemon(dir, pki, addresses), ready: kcmReady, timeoutMs: 60_000 },
  ];
  return { steps, adminKubeconfig: pki.kubeconfigs.admin ?? "" };
}

const apiTierServer = (options: Pick<ApiTierOptions, "apiServerPort">) => `https://127.0.0.1:${options.apiServerPort}`;

export async function startApiTier(options: ApiTierOptions): Promise<ClusterState> {
  const progress = options.progress ?? (() => undefined);
  const { dir } = options;
  mkdirSync(dir, { recursive: true });
  await assertPortFree("127.0.0.1", options.apiServerPort, "kube-apiserver");
  await assertPortFree("127.0.0.1", options.etcdClientPort, "etcd client");
  await assertPortFree("127.0.0.1", options.etcdPeerPort, "etcd peer");
  progress("writing certificates and kubeconfigs");
  const { steps, adminKubeconfig } = await apiTierSteps(options);
  const daemons = await startInOrder(steps, progress);
  return {
    tier: "api",
    dir,
    server: apiTierServer(options),
    kubeconfig: adminKubeconfig,
    daemons,
    startedAt: new Date().toISOString(),
  };
}
