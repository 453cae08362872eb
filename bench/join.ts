// Join time of worker machines: from the start of the join (`npm run cluster -- join`) until the Node is Ready,
// and until the first pod on it runs (a pod created just before the join, bound to the new Node by its hostname),
// median of --runs; each run's worker leaves before the next. Beside them, the time the node tier's own node took
// from starting its kubelet to Ready on this machine. Uses the running development cluster or brings one up.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { clusterDir, startCluster } from "../tools/cluster/lifecycle.js";
import { loadState } from "../tools/cluster/state.js";
import { joinWorkers } from "../tools/cluster/workers/join.js";
import { leaveWorkers } from "../tools/cluster/workers/leave.js";
import { waitForDefaultServiceAccount, waitForTenantReady, writeTenantKubeconfig } from "../tools/demo/tenant.js";
import { busyboxImage } from "../tools/images/catalog.js";
import { installKamaji, kubectl, kubectlApply } from "../tools/install/install.js";
import { nodeTierDefaults } from "../tools/cluster/node-tier.js";
import { versions } from "../tools/upstream.js";

const USAGE = "usage: npm run bench -- join [--runs N]";
const namespace = "bench-join";
const tenant = { namespace, name: "bench" };

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const joinableTenant = {
  apiVersion: "kamaji.clastix.io/v1alpha1",
  kind: "TenantControlPlane",
  metadata: tenant,
  spec: {
    controlPlane: { deployment: { replicas: 1 }, service: { serviceType: "NodePort" } },
    kubernetes: { version: versions.kubernetes, kubelet: { preferredAddressTypes: ["InternalIP", "Hostname"] } },
    networkProfile: { address: nodeTierDefaults.nodeAddress, port: 31543 },
    addons: { coreDNS: {}, kubeProxy: {}, konnectivity: { server: { port: 31232 } } },
  },
};

const firstPod = (node: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "first", namespace: "default" },
  spec: {
    nodeSelector: { "kubernetes.io/hostname": node },
    terminationGracePeriodSeconds: 1,
    containers: [{ name: "first", image: busyboxImage().name, command: ["sleep", "3600"] }],
  },
});

export async function run(args: string[]): Promise<void> {
  let runs = 3;
  if (args.length > 0) {
    const value = Number(args[1]);
    if (args[0] !== "--runs" || !Number.isInteger(value) || value < 1 || args.length > 2) {
      console.error(USAGE);
      process.exitCode = 2;
      return;
    }
    runs = value;
  }
  const log = (message: string) => {
    console.error(`[bench join] ${message}`);
  };
  const { state } = await startCluster(clusterDir(), "node", log);
  await installKamaji(state, { progress: log });
  kubectlApply(
    JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }),
    state.kubeconfig,
  );
  kubectlApply(JSON.stringify(joinableTenant), state.kubeconfig);
  const ready = await waitForTenantReady(tenant, state.kubeconfig, log);
  const kubeconfig = `${state.dir}/bench-join.kubeconfig`;
  writeTenantKubeconfig(tenant, ready, state.kubeconfig, kubeconfig);
  await waitForDefaultServiceAccount(kubeconfig);

  const toReady: number[] = [];
  const toPod: number[] = [];
  for (let i = 0; i < runs; i++) {
    const name = `bench-join-${i}`;
    kubectl(["delete", "pod", "first", "-n", "default", "--ignore-not-found", "--wait=true"], kubeconfig);
    kubectlApply(JSON.stringify(firstPod(name)), kubeconfig);
    const begin = performance.now();
    await joinWorkers(state.dir, { tenant, count: 1, names: [name], progress: () => undefined });
    toReady.push(performance.now() - begin);
    for (;;) {
      const phase = kubectl(["get", "pod", "first", "-n", "default", "-o", "jsonpath={.status.phase}"], kubeconfig);
      if (phase === "Running") break;
      if (performance.now() - begin > 300_000) throw new Error(`the first pod on ${name} is not Running after 5 min`);
      await sleep(100);
    }
    toPod.push(performance.now() - begin);
    log(
      `run ${i + 1}: Node Ready in ${seconds(toReady.at(-1) ?? 0)}, first pod Running in ${seconds(toPod.at(-1) ?? 0)}`,
    );
    kubectl(["delete", "pod", "first", "-n", "default", "--wait=false"], kubeconfig);
    await leaveWorkers(state.dir, tenant, name, () => undefined);
  }
  kubectl(["delete", "namespace", namespace, "--wait=false"], state.kubeconfig);

  const nodeReadyMs = loadState(state.dir)?.nodeReadyMs;
  console.log(`join to Node Ready: median ${seconds(median(toReady))} of ${runs} (${toReady.map(seconds).join(", ")})`);
  console.log(
    `join to first pod Running: median ${seconds(median(toPod))} of ${runs} (${toPod.map(seconds).join(", ")})`,
  );
  console.log(
    nodeReadyMs === undefined
      ? "node tier's own node: not measured (the cluster was started before this was recorded; restart it to see it)"
      : `node tier's own node, kubelet start to Ready (at cluster start): ${seconds(nodeReadyMs)}; join to Ready is ${(median(toReady) / nodeReadyMs).toFixed(1)}× that`,
  );
}
