// `npm run cluster -- follow <namespace>/<tcp>`: after the tenant's endpoint changed (a new port or address), each
// worker's kubelet is pointed at it, as an administrator does on a machine: the server in
// /etc/kubernetes/kubelet.conf rewritten (its credentials kept) and the kubelet restarted. The tenant's own objects
// (kubeadm-config, cluster-info, kube-proxy) follow by themselves: Kamaji updates them and rolls kube-proxy.
import { readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { isRunning, stopDaemon } from "../daemon.js";
import { routeEndpoint } from "./lan.js";
import { onMachine, startKubelet } from "./machine.js";
import { nodeTierState, recordWorker, withWorkersLock } from "./records.js";
import { endpointAddress, joinProblem, readTenant, tenantKey, type TenantRef } from "./tenant.js";

interface KubeconfigFile {
  clusters?: { cluster?: { server?: string } }[];
}

async function follow(clusterDir: string, tenant: TenantRef, progress: (message: string) => void): Promise<string[]> {
  const state = nodeTierState(clusterDir);
  const view = readTenant(tenant, state.kubeconfig);
  const problem = joinProblem(tenant, view);
  if (problem) throw new Error(`cannot follow: ${problem}`);
  const server = `https://${view.status?.controlPlaneEndpoint ?? ""}`;
  const key = tenantKey(tenant);
  const lan = state.lans?.find((l) => l.tenant === key);
  const workers = (state.workers ?? []).filter((w) => w.tenant === key);
  if (!lan || workers.length === 0) throw new Error(`${key} has no workers`);
  routeEndpoint(lan, endpointAddress(view));
  const moved: string[] = [];
  for (const worker of workers) {
    const path = onMachine(worker, "/etc/kubernetes/kubelet.conf");
    const kubeconfig = parse(readFileSync(path, "utf8")) as KubeconfigFile;
    const clusters = kubeconfig.clusters ?? [];
    if (clusters.every((c) => c.cluster?.server === server)) continue;
    for (const entry of clusters) if (entry.cluster) entry.cluster.server = server;
    writeFileSync(path, stringify(kubeconfig), { mode: 0o600 });
    const kubelet = worker.daemons.find((d) => d.name === "kubelet");
    if (kubelet && isRunning(kubelet)) await stopDaemon(kubelet);
    worker.daemons = [...worker.daemons.filter((d) => d.name !== "kubelet"), startKubelet(worker)];
    recordWorker(clusterDir, worker);
    progress(`${worker.name}: kubelet now talks to ${server}`);
    moved.push(worker.name);
  }
  return moved;
}

export const followEndpoint = (
  clusterDir: string,
  tenant: TenantRef,
  progress: (message: string) => void,
): Promise<string[]> => withWorkersLock(clusterDir, () => follow(clusterDir, tenant, progress));
