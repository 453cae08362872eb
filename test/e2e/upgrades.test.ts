// Tenant upgrades on the node tier, minor after minor, with a worker, under continuous traffic: an admin client
// reading ≥10 times a second, a pod calling the API with its token, a pod calling a workload through its Service and
// the cluster DNS, and the Node's Ready condition sampled. Each step: spec.kubernetes.version changed, the control
// plane rolls (Upgrading, then Ready at the new version), the operator moves kube-proxy, CoreDNS, the konnectivity
// agent and kubeadm-config to the new minor, and the worker is upgraded as users do it (`kubeadm upgrade node`, then
// the new kubelet). Every call must succeed and the Node stay Ready; each step's durations are printed.
// Bad input first: a version with no images keeps the tenant serving and says why; two minors at once are refused.
// Last, every write blocked by spec.writePermissions: the Node stays Ready and the workload answers meanwhile.
//
// The chain is KAMAJI_E2E_UPGRADE_CHAIN (tenant minors, comma-separated; default v1.33,v1.34: the CI subset, one
// extra Kubernetes build). `npm run test:upgrades` runs v1.33 → v1.34 → v1.35 → v1.36.
// KAMAJI_E2E_REUSE_CLUSTER=1 reuses the running development cluster.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { kubectl, kubectlApply } from "../../tools/cluster/kubectl.js";
import { clusterDir, startCluster, stopCluster } from "../../tools/cluster/lifecycle.js";
import { loadState, type ClusterState } from "../../tools/cluster/state.js";
import { importTenantVersion } from "../../tools/cluster/tenant-versions.js";
import { importIntoTenantWorkers, tenantWorkerImages } from "../../tools/cluster/workers/images.js";
import { joinWorkers } from "../../tools/cluster/workers/join.js";
import { leaveWorkers } from "../../tools/cluster/workers/leave.js";
import { upgradeWorkers } from "../../tools/cluster/workers/upgrade.js";
import { waitForDefaultServiceAccount, waitForTenantReady, writeTenantKubeconfig } from "../../tools/demo/tenant.js";
import { kubectlImage, tenantVersionImages } from "../../tools/images/catalog.js";
import { installKamaji } from "../../tools/install/install.js";
import { binary, kubernetesBinary, tenantRelease } from "../../tools/upstream.js";
import {
  joinableTenantManifest,
  konnectivityVersionFor,
  nodeTierSkipReason,
  reuseCluster,
} from "../helpers/node-tier-e2e.js";
import {
  apiProberPod,
  assertCleanTraffic,
  kubectlAsync,
  probeCounts,
  trafficSummary,
  watchNodes,
  webClientPod,
} from "../helpers/tenant-probes.js";
import { startReader } from "../helpers/tenant-traffic.js";

const chain = (process.env.KAMAJI_E2E_UPGRADE_CHAIN ?? "v1.33,v1.34").split(",").map((minor) => minor.trim());
const releases = chain.map((minor) => tenantRelease(minor).kubernetes);
const first = releases[0] ?? "";

const skip = nodeTierSkipReason([
  () => binary("helm", "helm"),
  ...releases.flatMap((version) => [
    () => kubernetesBinary("kubeadm", version),
    () => kubernetesBinary("kubelet", version),
    () => tenantVersionImages(version),
  ]),
]);
const log = (message: string) => {
  console.error(`[upgrades] ${message}`);
};
const namespace = "e2e-upgrades";
const tcp = "climber";
const worker = "climber-1";

interface TenantObject {
  spec: { kubernetes: { version: string } };
  status?: {
    conditions?: { type: string; status: string; reason: string; message: string }[];
    kubernetesResources?: { version?: { version?: string; status?: string } };
  };
}

describe(`tenant upgrades ${chain.join(" → ")} with a worker, under traffic`, { skip, timeout: 3_600_000 }, () => {
  let state: ClusterState;
  let dir: string;
  let started = false;
  let tenantKubeconfig = "";
  const admin = (args: string[], input?: string) => kubectl(args, state.kubeconfig, input);
  const tenant = (args: string[], input?: string) => kubectl(args, tenantKubeconfig, input);
  const readTcp = async () =>
    JSON.parse(
      await kubectlAsync(state.kubeconfig, ["get", "tcp", tcp, "-n", namespace, "-o", "json"]),
    ) as TenantObject;
  const patchTcp = (patch: object) =>
    admin(["patch", "tcp", tcp, "-n", namespace, "--type=merge", "-p", JSON.stringify(patch)]);
  /** spec.kubernetes.version, with the konnectivity versions this machine has for that minor (or the defaults). */
  const versionPatch = (version: string) => {
    const konnectivity = konnectivityVersionFor(version) ?? null;
    return {
      spec: {
        kubernetes: { version },
        addons: { konnectivity: { server: { version: konnectivity }, agent: { version: konnectivity } } },
      },
    };
  };
  const until = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let value: T | undefined;
      try {
        value = await check();
      } catch {
        value = undefined;
      }
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(1_000);
    }
  };

  before(async () => {
    const begin = Date.now();
    const running = reuseCluster ? loadState(clusterDir()) : undefined;
    dir = running?.dir ?? mkdtempSync("/var/tmp/kamaji-upgrades-e2e-");
    state = running ?? (await startCluster(dir, "node", log)).state;
    started = true;
    await installKamaji(state, { progress: log });
    for (const version of releases) {
      const imported = await importTenantVersion(state, version);
      if (imported.length > 0) log(`imported the images of ${version}: ${imported.length}`);
    }
    kubectlApply(
      JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }),
      state.kubeconfig,
    );
    kubectlApply(
      JSON.stringify(joinableTenantManifest(namespace, tcp, 31447, 31137, { version: first })),
      state.kubeconfig,
    );
    const ready = await waitForTenantReady({ namespace, name: tcp }, state.kubeconfig, log);
    tenantKubeconfig = `${state.dir}/e2e-${tcp}.kubeconfig`;
    writeTenantKubeconfig({ namespace, name: tcp }, ready, state.kubeconfig, tenantKubeconfig);
    await joinWorkers(state.dir, { tenant: { namespace, name: tcp }, count: 1, names: [worker], progress: log });
    await importIntoTenantWorkers(state.dir, `${namespace}/${tcp}`, [kubectlImage()]);
    await waitForDefaultServiceAccount(tenantKubeconfig);
    tenant(["apply", "-f", "-"], JSON.stringify(webWorkload()));
    tenant(["apply", "-f", "-"], JSON.stringify(apiProberPod()));
    // By the Service's IP (through kube-proxy): a lookup through the cluster DNS for each call would also count the
    // kernel's UDP conntrack race of parallel A/AAAA queries (a 5 s resolver timeout, seen once before any upgrade
    // step began); the DNS name is checked after each step instead.
    const serviceIP = tenant(["get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"]);
    tenant(["apply", "-f", "-"], JSON.stringify(webClientPod(`http://${serviceIP}/`)));
    tenant(["rollout", "status", "deployment/web", "--timeout=120s"]);
    tenant(["wait", "--for=condition=Ready", "pod/prober", "pod/web-client", "--timeout=120s"]);
    log(`cluster, Kamaji, tenant ${first}, worker and workload ready in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    if (!started) return;
    if (reuseCluster) {
      await leaveWorkers(state.dir, { namespace, name: tcp }, undefined, log).catch(() => undefined);
      admin(["delete", "namespace", namespace, "--wait=false"]);
      return;
    }
    await stopCluster(dir, log);
  });

  test("two minors at once are refused at admission with the reason", () => {
    const two = `v1.${Number(/^v1\.(\d+)/.exec(first)?.[1]) + 2}.0`;
    assert.throws(() => patchTcp(versionPatch(two)), /unable to upgrade to a minor version in a non-sequential mode/);
  });

  test("a version with no images keeps the old control plane serving, says why, and can be called off", async () => {
    const missing = first.replace(/\.\d+$/, ".99");
    patchTcp(versionPatch(missing));
    const reported = await until(
      "the TCP to report the image it cannot pull",
      async () => {
        const object = await readTcp();
        const ready = object.status?.conditions?.find((c) => c.type === "Ready");
        return ready?.message.includes(`kube-apiserver:${missing}`) ? { object, ready } : undefined;
      },
      180_000,
    );
    log(
      `while ${missing} cannot be pulled: Ready=${reported.ready.status} ${reported.ready.reason}: ${reported.ready.message}`,
    );
    assert.match(reported.ready.message, /cannot pull image/);
    assert.equal(reported.object.status?.kubernetesResources?.version?.version, first, "the running version stays");
    // The old API server still answers.
    assert.match(tenant(["version", "-o", "json"]), new RegExp(`"gitVersion": "${first.replace(/\./g, "\\.")}"`));
    // Back to the running patch of the same minor: allowed while the upgrade has not finished.
    patchTcp(versionPatch(first));
    await until(
      "the TCP back to Ready",
      async () => ((await readTcp()).status?.kubernetesResources?.version?.status === "Ready" ? true : undefined),
      180_000,
    );
  });

  test(`upgrades ${chain.join(" → ")}: no failed call, the Node stays Ready, the workload keeps answering`, async () => {
    assert.ok(releases.length >= 2, `KAMAJI_E2E_UPGRADE_CHAIN names at least two minors (${chain.join(",")})`);
    const since = Math.floor(Date.now() / 1000);
    const reader = startReader(() => readFileSync(tenantKubeconfig, "utf8"), "/api/v1/namespaces/default/pods?limit=1");
    const nodes = watchNodes(() => tenantKubeconfig, [worker]);
    const steps: string[] = [];
    try {
      for (const version of releases.slice(1)) {
        const begin = Date.now();
        const seconds = () => ((Date.now() - begin) / 1000).toFixed(1);
        // What a node would pull from a registry when the new addons roll out.
        await importIntoTenantWorkers(state.dir, `${namespace}/${tcp}`, tenantWorkerImages(version));
        patchTcp(versionPatch(version));
        const seen = { upgrading: false };
        await until(
          `the control plane at ${version}`,
          async () => {
            const status = (await readTcp()).status?.kubernetesResources?.version;
            if (status?.status === "Upgrading") seen.upgrading = true;
            return status?.version === version && status.status === "Ready" ? true : undefined;
          },
          600_000,
        );
        const controlPlane = seconds();
        // The replaced API server serves out its shutdown delay (10 s): a new connection may still reach it.
        await until(
          `the API server to answer as ${version}`,
          async () => {
            const answer = JSON.parse(await kubectlAsync(tenantKubeconfig, ["version", "-o", "json"])) as {
              serverVersion: { gitVersion: string };
            };
            return answer.serverVersion.gitVersion === version ? true : undefined;
          },
          60_000,
        );
        const release = tenantRelease(version);
        const konnectivity = konnectivityVersionFor(version) ?? `v0.${/^v1\.(\d+)/.exec(version)?.[1]}.0`;
        await until(
          `the addons at ${version}`,
          async () => {
            const images = await kubectlAsync(tenantKubeconfig, [
              "get",
              "daemonset,deployment",
              "-n",
              "kube-system",
              "-o",
              "jsonpath={range .items[*]}{.spec.template.spec.containers[0].image}{' '}{end}",
            ]);
            const wanted = [
              `kube-proxy:${release.kubernetes}`,
              `coredns:${release.coredns}`,
              `proxy-agent:${konnectivity}`,
            ];
            return wanted.every((image) => images.includes(image)) ? true : undefined;
          },
          180_000,
        );
        for (const workload of ["daemonset/kube-proxy", "deployment/coredns", "daemonset/konnectivity-agent"]) {
          await kubectlAsync(tenantKubeconfig, ["rollout", "status", "-n", "kube-system", workload, "--timeout=180s"]);
        }
        const addons = seconds();
        // The cluster DNS, at its new release, answers for the workload's Service.
        const lookup = await kubectlAsync(tenantKubeconfig, [
          "exec",
          "web-client",
          "--",
          "nslookup",
          "web.default.svc.cluster.local",
        ]);
        assert.match(lookup, /Address:? .*\d+\.\d+\.\d+\.\d+/);
        const kubeadmConfig = await kubectlAsync(tenantKubeconfig, [
          "get",
          "configmap",
          "kubeadm-config",
          "-n",
          "kube-system",
          "-o",
          "jsonpath={.data.ClusterConfiguration}",
        ]);
        assert.match(kubeadmConfig, new RegExp(`kubernetesVersion: ${version.replace(/\./g, "\\.")}`));
        const [upgraded] = await upgradeWorkers(state.dir, { tenant: { namespace, name: tcp }, progress: log });
        const line =
          `${upgraded?.from ?? "?"} → ${version} (from ${Math.floor(begin / 1000)}): control plane Ready at ${controlPlane} s` +
          `${seen.upgrading ? " (Upgrading seen)" : ""}, addons rolled at ${addons} s, ` +
          `worker upgraded in ${upgraded?.seconds.toFixed(1) ?? "?"} s, step ${seconds()} s`;
        log(line);
        steps.push(line);
        assert.ok(
          seen.upgrading,
          "status.kubernetesResources.version.status was Upgrading while the control plane rolled",
        );
      }
    } catch (error) {
      // Stop the loops, or they keep the test process alive after the failure.
      await Promise.all([reader.stop(), nodes.stop()]);
      throw error;
    }
    await sleep(5_000);
    const counts = await reader.stop();
    const nodeSamples = await nodes.stop();
    const prober = await probeCounts(tenantKubeconfig, "prober", since, log);
    const web = await probeCounts(tenantKubeconfig, "web-client", since, log);
    for (const line of steps) log(line);
    log(trafficSummary("admin reader", counts));
    log(`pod calling the API: ${prober.ok} ok, ${prober.failed.length} failed`);
    log(`pod calling the workload through its Service: ${web.ok} ok, ${web.failed.length} failed`);
    log(`Node samples: ${nodeSamples.samples}, not Ready: ${nodeSamples.notReady.length}`);
    const restarts = tenant([
      "get",
      "pods",
      "-n",
      "default",
      "-o",
      "jsonpath={range .items[*]}{.metadata.name}={.status.containerStatuses[0].restartCount} {end}",
    ]);
    log(`container restarts: ${restarts}`);
    assertCleanTraffic("admin reader", counts);
    assert.deepEqual(prober.failed, [], "the pod's API calls");
    assert.deepEqual(web.failed, [], "the workload's answers");
    assert.ok(prober.ok >= 20 && web.ok >= 20, `the pods called ${prober.ok} and ${web.ok} times`);
    assert.deepEqual(nodeSamples.notReady, [], "the Node stays Ready");
    const last = releases.at(-1) ?? "";
    assert.equal(
      tenant(["get", "node", worker, "-o", "jsonpath={.status.nodeInfo.kubeletVersion}"]),
      last,
      "the worker's kubelet runs the last version",
    );
  });

  test("write permissions with a worker: every write blocked, the Node stays Ready and the workload answers", async () => {
    const since = Math.floor(Date.now() / 1000);
    const nodes = watchNodes(() => tenantKubeconfig, [worker]);
    patchTcp({ spec: { writePermissions: { blockCreation: true, blockUpdate: true, blockDeletion: true } } });
    try {
      await until(
        "WriteLimited",
        async () =>
          (await readTcp()).status?.kubernetesResources?.version?.status === "WriteLimited" ? true : undefined,
        60_000,
      );
      await until(
        "a write refused by the block",
        async () => {
          try {
            await kubectlAsync(tenantKubeconfig, ["create", "configmap", "blocked", "-n", "default"]);
            await kubectlAsync(tenantKubeconfig, ["delete", "configmap", "blocked", "-n", "default"]);
            return undefined;
          } catch (error) {
            return /limited write permissions/.test((error as Error).message) ? true : undefined;
          }
        },
        60_000,
      );
      // Three node lease renewals (10 s each) and more under the block.
      await sleep(45_000);
    } finally {
      patchTcp({ spec: { writePermissions: null } });
    }
    const samples = await nodes.stop();
    await until(
      "Ready again",
      async () => ((await readTcp()).status?.kubernetesResources?.version?.status === "Ready" ? true : undefined),
      60_000,
    );
    const web = await probeCounts(tenantKubeconfig, "web-client", since, log);
    log(
      `under every block: Node samples ${samples.samples}, not Ready ${samples.notReady.length}; workload ${web.ok} ok, ${web.failed.length} failed`,
    );
    assert.deepEqual(samples.notReady, [], "the Node stays Ready: lease renewals and node status go through");
    assert.deepEqual(web.failed, [], "the workload keeps answering");
    assert.ok(web.ok >= 20);
    tenant(["create", "configmap", "unblocked", "-n", "default"]);
    tenant(["delete", "configmap", "unblocked", "-n", "default"]);
  });
});

/** Two replicas of the test web server and a Service in front of them. */
function webWorkload() {
  const labels = { app: "web" };
  return {
    apiVersion: "v1",
    kind: "List",
    items: [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: "default" },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                {
                  name: "web",
                  image: "kamaji.local/test/busybox:1",
                  imagePullPolicy: "Never",
                  ports: [{ containerPort: 8080 }],
                  readinessProbe: { httpGet: { path: "/", port: 8080 }, periodSeconds: 2 },
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web", namespace: "default" },
        spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
      },
    ],
  };
}
