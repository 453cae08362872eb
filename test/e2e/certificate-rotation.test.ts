// Service-account key and CA rotation on a running tenant with a joined worker, under continuous traffic (node
// tier): a client reading ≥10 times a second with the admin kubeconfig, a pod on the worker calling the API with
// its token and the CA it read at start, the kubelet reporting. Every request must succeed and the Node must stay
// Ready through every stage. The CA grace period is short here (the operator's flag), and the tenant's
// controller-manager signs kubelet certificates for 2 minutes, so that the kubelet renews its client certificate
// from the new CA within it, as it does within a year with the defaults.
// KAMAJI_E2E_REUSE_CLUSTER=1 reuses the running development cluster.
import assert from "node:assert/strict";
import { X509Certificate, createHash, createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseKubeconfig } from "../../src/kubeconfig/index.js";
import { kubectl, kubectlApply } from "../../tools/cluster/kubectl.js";
import { clusterDir, startCluster, stopCluster } from "../../tools/cluster/lifecycle.js";
import { loadState, type ClusterState } from "../../tools/cluster/state.js";
import { waitFor } from "../../tools/cluster/wait.js";
import { importIntoTenantWorkers } from "../../tools/cluster/workers/images.js";
import { joinWorkers } from "../../tools/cluster/workers/join.js";
import { leaveWorkers } from "../../tools/cluster/workers/leave.js";
import { waitForDefaultServiceAccount, waitForTenantReady, writeTenantKubeconfig } from "../../tools/demo/tenant.js";
import { kubectlImage } from "../../tools/images/catalog.js";
import { installKamaji } from "../../tools/install/install.js";
import { binary, kubernetesBinary } from "../../tools/upstream.js";
import { joinableTenantManifest, nodeTierSkipReason, reuseCluster } from "../helpers/node-tier-e2e.js";
import {
  apiProberPod,
  assertCleanTraffic,
  kubectlAsync,
  probeCounts,
  trafficSummary,
  watchNodes,
} from "../helpers/tenant-probes.js";
import { startReader, type TrafficCounts } from "../helpers/tenant-traffic.js";

const skip = nodeTierSkipReason([
  () => kubernetesBinary("kubeadm"),
  () => kubernetesBinary("kubelet"),
  () => binary("helm", "helm"),
]);
const log = (message: string) => {
  console.error(`[rotation] ${message}`);
};
const namespace = "e2e-rotation";
const tcp = "rotor";
const rotate = "certs.kamaji.clastix.io/rotate";
const stageAnnotation = "kamaji.clastix.io/rotation-stage";
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
// The service-account key keeps its default grace (24 h): pods' tokens are refreshed by their kubelets within it, and
// not within a shorter one (a projected token lives at least 10 minutes). The drop stage is run by the integration test.
const managerValues = ["manager.certificateAuthorityGracePeriod=150s"];

interface SecretObject {
  metadata: { annotations?: Record<string, string> };
  data?: Record<string, string>;
}

describe("certificate rotation under traffic", { skip, timeout: 1_800_000 }, () => {
  let state: ClusterState;
  let dir: string;
  let started = false;
  let tenantKubeconfig = "";
  let adminConf = "";
  let node = "";
  const admin = (args: string[], input?: string) => kubectl(args, state.kubeconfig, input);
  const tenant = (args: string[], input?: string) => kubectl(args, tenantKubeconfig, input);
  const secret = async (name: string) =>
    JSON.parse(
      await kubectlAsync(state.kubeconfig, ["get", "secret", name, "-n", namespace, "-o", "json"]),
    ) as SecretObject;
  const decoded = (object: SecretObject, key: string) =>
    Buffer.from(object.data?.[key] ?? "", "base64").toString("utf8");

  before(async () => {
    const begin = Date.now();
    const running = reuseCluster ? loadState(clusterDir()) : undefined;
    dir = running?.dir ?? mkdtempSync("/var/tmp/kamaji-rotation-e2e-");
    state = running ?? (await startCluster(dir, "node", log)).state;
    started = true;
    await installKamaji(state, { progress: log, values: managerValues });
    kubectlApply(
      JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }),
      state.kubeconfig,
    );
    const manifest = joinableTenantManifest(namespace, tcp, 31446, 31136, {
      controllerManagerArgs: ["--cluster-signing-duration=2m"],
    });
    kubectlApply(JSON.stringify(manifest), state.kubeconfig);
    const ready = await waitForTenantReady({ namespace, name: tcp }, state.kubeconfig, log);
    tenantKubeconfig = `${state.dir}/e2e-${tcp}.kubeconfig`;
    writeTenantKubeconfig({ namespace, name: tcp }, ready, state.kubeconfig, tenantKubeconfig);
    adminConf = decoded(await secret(`${tcp}-admin-kubeconfig`), "admin.conf");
    const [worker] = await joinWorkers(state.dir, {
      tenant: { namespace, name: tcp },
      count: 1,
      names: ["rotor-1"],
      progress: log,
    });
    node = worker?.name ?? "";
    await importIntoTenantWorkers(state.dir, `${namespace}/${tcp}`, [kubectlImage()]);
    await waitForDefaultServiceAccount(tenantKubeconfig);
    tenant(["apply", "-f", "-"], JSON.stringify(apiProberPod()));
    tenant(["wait", "--for=condition=Ready", "pod/prober", "--timeout=120s"]);
    log(`cluster, Kamaji, tenant, worker and prober ready in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    if (!started) return;
    if (reuseCluster) {
      await leaveWorkers(state.dir, { namespace, name: tcp }, undefined, log).catch(() => undefined);
      admin(["delete", "namespace", namespace, "--wait=false"]);
      await installKamaji(state, { progress: log });
      return;
    }
    await stopCluster(dir, log);
  });

  const watchNode = () => watchNodes(() => tenantKubeconfig, [node]);

  /**
   * The admin kubeconfig as its Secret holds it now, fetched again every 5 s (a client that follows the Secret); the
   * test's own kubectl calls use it too.
   */
  function followedKubeconfig(): { current: () => string; stop: () => Promise<void> } {
    let text = adminConf;
    const stop = new AbortController();
    const loop = (async () => {
      while (!stop.signal.aborted) {
        await sleep(5_000);
        try {
          const fetched = decoded(await secret(`${tcp}-admin-kubeconfig`), "admin.conf");
          if (fetched !== text) {
            text = fetched;
            writeFileSync(`${tenantKubeconfig}.new`, text, { mode: 0o600 });
            renameSync(`${tenantKubeconfig}.new`, tenantKubeconfig);
          }
        } catch {
          // Keep the last one.
        }
      }
    })();
    return {
      current: () => text,
      async stop() {
        stop.abort();
        await loop;
      },
    };
  }

  /** Annotates `secretName` for rotation and waits until the time is written back, recording each stage's start. */
  async function rotateAndWait(
    secretName: string,
    timeoutMs: number,
    onStage?: (stage: string, object: SecretObject) => void,
    untilStage?: string,
  ) {
    const begin = Date.now();
    const stages: { stage: string; at: number }[] = [];
    await kubectlAsync(state.kubeconfig, [
      "annotate",
      "--overwrite",
      "secret",
      "-n",
      namespace,
      secretName,
      `${rotate}=`,
    ]);
    for (;;) {
      const object = await secret(secretName);
      const stage = object.metadata.annotations?.[stageAnnotation];
      if (stage !== undefined && stages.at(-1)?.stage !== stage) {
        stages.push({ stage, at: (Date.now() - begin) / 1000 });
        log(`${secretName}: ${stage} at ${((Date.now() - begin) / 1000).toFixed(1)} s`);
      }
      onStage?.(stage ?? "", object);
      if (stage === untilStage || rfc3339.test(object.metadata.annotations?.[rotate] ?? "")) {
        // The last stage's pods: the traffic goes on until they all run.
        await kubectlAsync(state.kubeconfig, [
          "rollout",
          "status",
          `deployment/${tcp}`,
          "-n",
          namespace,
          "--timeout=300s",
        ]);
        return { seconds: (Date.now() - begin) / 1000, stages, object };
      }
      if (Date.now() - begin > timeoutMs)
        throw new Error(`${secretName}: rotation not finished after ${timeoutMs / 1000} s`);
      await sleep(1_000);
    }
  }

  const proberCounts = (since: number) => probeCounts(tenantKubeconfig, "prober", since, log);

  test("the service-account key rotates to signing with the new key with no failed request: tokens old and new verify", async () => {
    const since = Math.floor(Date.now() / 1000);
    const follow = followedKubeconfig();
    const reader = startReader(follow.current, "/api/v1/namespaces/default/pods?limit=1");
    const nodeWatch = watchNode();
    const done = await rotateAndWait(`${tcp}-sa-certificate`, 600_000, undefined, "SigningWithNewKey");
    await sleep(10_000);
    const counts = await reader.stop();
    await follow.stop();
    const nodeSamples = await nodeWatch.stop();
    const prober = await proberCounts(since);
    log(
      `service-account key signing with the new key after ${done.seconds.toFixed(1)} s (${done.stages.map((s) => `${s.stage} at ${s.at.toFixed(0)} s`).join(", ")})`,
    );
    log(trafficSummary("admin reader", counts));
    log(
      `pod on the worker (token from before): ${prober.ok} ok, ${prober.failed.length} failed; Node samples: ${nodeSamples.samples}, not Ready: ${nodeSamples.notReady.length}`,
    );
    assert.deepEqual(
      done.stages.map((s) => s.stage),
      ["TrustingNewKey", "SigningWithNewKey"],
    );
    assertCleanTraffic("admin reader", counts);
    assert.deepEqual(prober.failed, [], "the pod's calls with its token from before the rotation");
    assert.ok(prober.ok >= 10, `the pod called the API ${prober.ok} times`);
    assert.deepEqual(nodeSamples.notReady, [], "the Node stays Ready");
    // A token issued now is signed by the new key, and the API server takes it.
    const token = tenant(["create", "token", "default", "--duration=10m"]).trim();
    const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8")) as { kid: string };
    // A kubeconfig with the token only (a client certificate would win over it).
    const cluster = parseKubeconfig(readFileSync(tenantKubeconfig, "utf8")).clusters[0];
    const tokenKubeconfig = `${tenantKubeconfig}.token`;
    writeFileSync(
      tokenKubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "t",
            cluster: {
              server: cluster?.server,
              "certificate-authority-data": Buffer.from(cluster?.certificateAuthorityPem ?? "").toString("base64"),
            },
          },
        ],
        users: [{ name: "t", user: { token } }],
        contexts: [{ name: "t", context: { cluster: "t", user: "t" } }],
        "current-context": "t",
      }),
      { mode: 0o600 },
    );
    const whoami = kubectl(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], tokenKubeconfig);
    assert.equal(whoami, "system:serviceaccount:default:default");
    const keys =
      decoded(await secret(`${tcp}-sa-certificate`), "sa.pub").match(
        /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g,
      ) ?? [];
    assert.equal(keys.length, 2, "the old public key still verifies during the grace period");
    // The API server's key id: base64url of the SHA-256 of the public key's DER.
    const keyId = (pem: string) =>
      createHash("sha256")
        .update(createPublicKey(pem).export({ type: "spki", format: "der" }))
        .digest("base64url");
    assert.equal(header.kid, keyId(keys.at(0) ?? ""), "signed by the new key (first in sa.pub)");
    log(`a new token (key id ${header.kid}) verifies`);
  });

  test("the CA rotates with no failed request: old kubeconfig, pods and kubelet that trust only the old CA keep working", async () => {
    const since = Math.floor(Date.now() / 1000);
    const oldCa = new X509Certificate(decoded(await secret(`${tcp}-ca`), "ca.crt"));
    const follow = followedKubeconfig();
    const followed = startReader(follow.current, "/api/v1/namespaces/default/pods?limit=1");
    // The kubeconfig fetched before the rotation: it must work until the old CA stops being trusted.
    const kept = startReader(() => adminConf, "/api/v1/nodes?limit=1");
    let keptStopped: Promise<TrafficCounts> | undefined;
    let signingSince = 0;
    const nodeWatch = watchNode();
    const done = await rotateAndWait(`${tcp}-ca`, 900_000, (stage, object) => {
      if (stage === "SigningWithNewCA" && signingSince === 0) signingSince = Date.now();
      const until = Date.parse(object.metadata.annotations?.["kamaji.clastix.io/previous-ca-until"] ?? "");
      if (Number.isFinite(until) && Date.now() >= until - 3_000) keptStopped ??= kept.stop();
    });
    await sleep(5_000);
    const counts = await followed.stop();
    await follow.stop();
    const nodeSamples = await nodeWatch.stop();
    const keptCounts = await (keptStopped ?? kept.stop());
    const prober = await proberCounts(since);
    log(
      `CA rotated in ${done.seconds.toFixed(1)} s (${done.stages.map((s) => `${s.stage} at ${s.at.toFixed(0)} s`).join(", ")})`,
    );
    log(trafficSummary("admin reader following the Secret", counts));
    log(trafficSummary("admin reader with the kubeconfig from before, until the old CA's grace ended", keptCounts));
    log(
      `pod on the worker (CA read at start): ${prober.ok} ok, ${prober.failed.length} failed; Node samples: ${nodeSamples.samples}, not Ready: ${nodeSamples.notReady.length}`,
    );
    assert.deepEqual(
      done.stages.map((s) => s.stage),
      ["TrustingNewCA", "SigningWithNewCA"],
    );
    assertCleanTraffic("admin reader following the Secret", counts);
    assertCleanTraffic("admin reader with the kubeconfig from before", keptCounts);
    assert.deepEqual(prober.failed, [], "the pod's calls with the CA it read at start");
    assert.ok(prober.ok >= 20, `the pod called the API ${prober.ok} times`);
    assert.deepEqual(nodeSamples.notReady, [], "the Node stays Ready");

    const newCa = new X509Certificate(decoded(done.object, "ca.crt"));
    assert.notEqual(newCa.fingerprint256, oldCa.fingerprint256);
    // The kubelet renewed its client certificate from the new CA during the grace period.
    const csrs = JSON.parse(tenant(["get", "csr", "-o", "json"])) as {
      items: {
        metadata: { creationTimestamp: string };
        spec: { username: string };
        status?: { certificate?: string };
      }[];
    };
    const renewed = csrs.items.filter(
      (csr) =>
        csr.spec.username === `system:node:${node}` &&
        Date.parse(csr.metadata.creationTimestamp) >= signingSince - 1_000 &&
        csr.status?.certificate !== undefined &&
        new X509Certificate(Buffer.from(csr.status.certificate, "base64")).verify(newCa.publicKey),
    );
    assert.ok(renewed.length > 0, "a kubelet client certificate signed by the new CA");
    // Logs and exec still reach the kubelet (the API server's kubelet client certificate comes with the cross-signed CA).
    assert.match(tenant(["exec", "prober", "--", "cat", "/tmp/ca-at-start.crt"]), /BEGIN CERTIFICATE/);
    const conditions = JSON.parse(
      admin(["get", "tcp", tcp, "-n", namespace, "-o", "jsonpath={.status.conditions}"]),
    ) as { type: string; status: string; reason: string }[];
    const rotating = conditions.find((c) => c.type === "CertificateAuthorityRotating");
    assert.equal(`${rotating?.status}/${rotating?.reason}`, "False/RotationFinished");
    // The last stage's roll (the old CA dropped) may still be under way when the rotation is marked finished.
    await waitFor(
      "the TCP Ready after the rotation's last roll",
      () =>
        admin(["get", "tcp", tcp, "-n", namespace, "-o", "jsonpath={.status.kubernetesResources.version.status}"]) ===
          "Ready" || undefined,
      120_000,
      1_000,
    );
  });
});
