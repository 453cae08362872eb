// npm run demo: from a bare machine to a working tenant cluster. Builds or reuses the upstream binaries and the
// images, brings up the node tier, installs Kamaji with its Helm charts (with a default etcd DataStore), creates
// a sample TenantControlPlane, waits for it, joins a worker machine with `kubeadm join`, runs a pod on it and
// shows its logs (through konnectivity). Every step is idempotent, so a second run only checks. Teardown:
// `npm run cluster -- down`.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { clusterDir, startCluster } from "../cluster/lifecycle.js";
import { loadState } from "../cluster/state.js";
import { joinWorkers } from "../cluster/workers/join.js";
import { busyboxImage } from "../images/catalog.js";
import { installKamaji, kubectl, kubectlApply } from "../install/install.js";
import { ensureUpstreamBuilt, repoDir } from "../upstream.js";
import { waitForDefaultServiceAccount, waitForTenantReady, writeTenantKubeconfig } from "./tenant.js";

const begin = Date.now();
const progress = (message: string) => {
  console.error(`[demo ${((Date.now() - begin) / 1000).toFixed(1).padStart(6)} s] ${message}`);
};

const sampleFile = join(repoDir, "config/samples/tenantcontrolplane-workers.yaml");
const workers = Number(process.env.KAMAJI_DEMO_WORKERS ?? "1");

/** A pod that says hello from the worker it runs on; applied server-side, so a second run changes nothing. */
function helloPod(image: string): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "hello", namespace: "default" },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: "hello",
          image,
          imagePullPolicy: "IfNotPresent",
          command: ["sh", "-c", 'echo "hello from $(hostname) on node $NODE_NAME"; exec sleep 3600000'],
          env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
        },
      ],
    },
  };
}

async function main(): Promise<void> {
  progress("installing the Debian packages that are missing");
  execFileSync(join(repoDir, "hack/install-packages.sh"), { stdio: "inherit" });
  progress("building the upstream binaries that are missing (a cold build takes tens of minutes; then cached)");
  ensureUpstreamBuilt();

  const { state } = await startCluster(clusterDir(), "node", progress);
  await installKamaji(state, { progress });

  const manifest = readFileSync(sampleFile, "utf8");
  const sample = parse(manifest) as { metadata: { name: string; namespace: string } };
  const tenant = { name: sample.metadata.name, namespace: sample.metadata.namespace };
  progress(`applying ${sampleFile.slice(repoDir.length)}`);
  kubectlApply(manifest, state.kubeconfig);
  const ready = await waitForTenantReady(tenant, state.kubeconfig, progress);

  const tenantKubeconfig = join(state.dir, `${tenant.name}.kubeconfig`);
  writeTenantKubeconfig(tenant, ready, state.kubeconfig, tenantKubeconfig);
  progress(`the tenant answers at ${ready.status?.controlPlaneEndpoint ?? "?"}:`);
  console.log(kubectl(["get", "tenantcontrolplanes", "-A"], state.kubeconfig).trimEnd());
  console.log(kubectl(["version"], tenantKubeconfig).trimEnd());

  const key = `${tenant.namespace}/${tenant.name}`;
  const present = (loadState(state.dir)?.workers ?? []).filter((w) => w.tenant === key).length;
  if (present < workers) {
    progress(`joining ${workers - present} worker machine(s) with kubeadm join`);
    await joinWorkers(state.dir, { tenant, count: workers - present, progress });
  } else progress(`${present} worker(s) already joined`);
  await waitForDefaultServiceAccount(tenantKubeconfig);
  kubectlApply(JSON.stringify(helloPod(busyboxImage().name)), tenantKubeconfig);
  kubectl(["wait", "pod/hello", "--for=condition=Ready", "--timeout=120s"], tenantKubeconfig);
  console.log(kubectl(["get", "nodes", "-o", "wide"], tenantKubeconfig).trimEnd());
  console.log(kubectl(["get", "pods", "-A", "-o", "wide"], tenantKubeconfig).trimEnd());
  progress("the pod's logs, read by the tenant's API server through konnectivity:");
  console.log(kubectl(["logs", "hello"], tenantKubeconfig).trimEnd());
  progress("done; remove everything with `npm run cluster -- down`");
  console.log(`export KUBECONFIG=${tenantKubeconfig}`);
}

main().catch((error: unknown) => {
  console.error(`[demo] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
