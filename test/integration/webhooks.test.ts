// The admission webhooks behind a real kube-apiserver: the operator's own serving certificate and CA bundle, the
// TenantControlPlane defaulting and validation as clients see them, certificate rotation without a restart, and
// the HTTP edge cases of the server.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { appendFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { Writable } from "node:stream";
import { connect } from "node:tls";
import { after, before, describe, test } from "node:test";
import {
  buildControlPlaneDeployment,
  componentSecrets,
  type ComponentSecret,
} from "../../src/resources/deployment/index.js";
import { KubeClient } from "../../src/runtime/kube-client.js";
import { createLogger } from "../../src/runtime/logger.js";
import { resourceTypes, type ResourceType } from "../../src/runtime/resource-types.js";
import { issueServingCertificate, servingCertificateData } from "../../src/webhooks/http/serving-material.js";
import {
  ServingCertificateManager,
  type ServingCertificate,
  type ServingCertificateOptions,
} from "../../src/webhooks/serving-certificate.js";
import {
  kubeClusterView,
  startWebhookServer,
  tenantControlPlanePaths,
  type WebhookServer,
} from "../../src/webhooks/server.js";
import { freePort } from "../../tools/cluster/ports.js";
import { waitFor } from "../../tools/cluster/wait.js";
import { startTestApiTier, type ApiTier } from "../helpers/api-tier.js";

const repo = new URL("../../", import.meta.url).pathname;
const operatorNamespace = "kamaji-system";
const ns = "tenants";
const mutatingName = "kamaji-mutating-webhook-configuration";
const validatingName = "kamaji-validating-webhook-configuration";
const secretName = "kamaji-webhook-server-cert";
const serviceSubjectAltNames = {
  dnsNames: ["kamaji-webhook-service.kamaji-system.svc", "kamaji-webhook-service.kamaji-system.svc.cluster.local"],
  ipAddresses: ["127.0.0.1"],
};

function webhookConfiguration(kind: "Mutating" | "Validating", port: number) {
  const mutating = kind === "Mutating";
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: `${kind}WebhookConfiguration`,
    metadata: { name: mutating ? mutatingName : validatingName },
    webhooks: [
      {
        name: mutating ? "mtenantcontrolplane.kb.io" : "vtenantcontrolplane.kb.io",
        admissionReviewVersions: ["v1"],
        // The API server runs on the host: it reaches the webhook by URL, not through a Service.
        clientConfig: {
          url: `https://127.0.0.1:${port}${mutating ? tenantControlPlanePaths.mutate : tenantControlPlanePaths.validate}`,
        },
        rules: [
          {
            apiGroups: ["kamaji.clastix.io"],
            apiVersions: ["v1alpha1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["tenantcontrolplanes"],
          },
        ],
        failurePolicy: "Fail",
        sideEffects: "None",
        timeoutSeconds: 10,
      },
    ],
  };
}

function tenantControlPlane(name: string, customise?: (spec: any) => void) {
  const spec: any = {
    controlPlane: { deployment: { replicas: 1 }, service: { serviceType: "ClusterIP" } },
    kubernetes: { version: "v1.34.10", kubelet: {} },
  };
  customise?.(spec);
  return {
    apiVersion: "kamaji.clastix.io/v1alpha1",
    kind: "TenantControlPlane",
    metadata: { name, namespace: ns },
    spec,
  };
}

function captureLogs(lines: string[]) {
  return createLogger(
    "debug",
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        // KAMAJI_TEST_LOGS=<file> keeps the logs for debugging a failed run.
        if (process.env.KAMAJI_TEST_LOGS) appendFileSync(process.env.KAMAJI_TEST_LOGS, chunk);
        lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        callback();
      },
    }),
  );
}

/** The certificate the server presents to a new TLS connection. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on("error", reject);
  });
}

interface HttpAnswer {
  status: number;
  body: string;
}

function post(
  port: number,
  path: string,
  body: string,
  ca: string,
  options: { method?: string; contentType?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "POST",
        ca,
        headers: { "content-type": options.contentType ?? "application/json" },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
        });
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

const review = (request: object) =>
  JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request });

describe("admission webhooks through the API server", { timeout: 300_000 }, () => {
  let cluster: ApiTier;
  let client: KubeClient;
  let server: WebhookServer;
  let first: ServingCertificate;
  const logs: string[] = [];
  const log = captureLogs(logs);
  const abort = new AbortController();
  /** Undone in reverse order, whatever part of the setup succeeded. */
  const cleanups: (() => Promise<void> | void)[] = [];
  let managerOptions: ServingCertificateOptions;

  const createTcp = (object: object, dryRun = false) =>
    cluster.kubectl(
      ["create", ...(dryRun ? ["--dry-run=server"] : []), "-o", "json", "-f", "-"],
      JSON.stringify(object),
    );
  const caBundleOf = async (type: ResourceType, name: string) => {
    const configuration = await client.get<any>(type, name);
    return Buffer.from(configuration.webhooks[0].clientConfig.caBundle ?? "", "base64").toString("utf8");
  };
  const caBundles = () =>
    Promise.all([
      caBundleOf(resourceTypes.mutatingWebhookConfiguration, mutatingName),
      caBundleOf(resourceTypes.validatingWebhookConfiguration, validatingName),
    ]);
  const storedSecret = () => client.get<any>(resourceTypes.secret, secretName, operatorNamespace);
  /** Defaults show up on a dry-run create once the API server calls the webhooks with a certificate it trusts. */
  const webhooksAnswer = () =>
    waitFor(
      "the API server to call the webhooks",
      async () => {
        const created = JSON.parse(await createTcp(tenantControlPlane("probe"), true));
        return created.spec.networkProfile.dnsServiceIPs === undefined ? undefined : created;
      },
      60_000,
    );

  before(async () => {
    cluster = await startTestApiTier();
    cleanups.push(() => cluster.stop());
    await cluster.kubectl(["apply", "--server-side", "-f", `${repo}config/crd/`]);
    // Right after the apply a CRD may have no status yet, which `kubectl wait` reports as an error.
    await waitFor(
      "the CRDs to be established",
      () => cluster.kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]),
      60_000,
    );
    await cluster.kubectl(["create", "namespace", operatorNamespace]);
    await cluster.kubectl(["create", "namespace", ns]);
    await cluster.kubectl(["apply", "-f", `${repo}config/samples/datastore-etcd.yaml`]);
    client = KubeClient.load(cluster.kubeconfig);
    cleanups.push(() => {
      client.close();
    });

    const port = await freePort();
    for (const kind of ["Mutating", "Validating"] as const) {
      await cluster.kubectl(["create", "-f", "-"], JSON.stringify(webhookConfiguration(kind, port)));
    }
    managerOptions = {
      client,
      log: log.child({ logger: "webhook-certificate" }),
      namespace: operatorNamespace,
      secretName,
      serviceName: "kamaji-webhook-service",
      mutatingWebhookConfiguration: mutatingName,
      validatingWebhookConfiguration: validatingName,
      extraSubjectAltNames: { ipAddresses: ["127.0.0.1"] },
      checkIntervalMs: 300,
    };
    const certificates = new ServingCertificateManager(managerOptions);
    first = await certificates.ensure();
    server = await startWebhookServer({
      address: { host: "127.0.0.1", port },
      certificate: first,
      log: log.child({ logger: "webhooks" }),
      cluster: kubeClusterView(client),
      defaultDataStore: "default",
    });
    cleanups.push(() => server.close());
    const rotation = certificates.run(abort.signal, (certificate) => {
      server.setCertificate(certificate);
    });
    cleanups.push(() => {
      abort.abort();
      return rotation;
    });
    await webhooksAnswer();
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test("the Secret holds a CA and a certificate for the Service; both configurations carry the CA", async () => {
    const secret = await storedSecret();
    assert.equal(secret.type, "kubernetes.io/tls");
    assert.deepEqual(Object.keys(secret.data).sort(), ["ca.crt", "tls.crt", "tls.key"]);
    const decode = (key: string) => Buffer.from(secret.data[key], "base64").toString("utf8");
    assert.equal(decode("tls.crt"), first.certificatePem);
    const certificate = new X509Certificate(decode("tls.crt"));
    assert.equal(
      certificate.subjectAltName,
      "DNS:kamaji-webhook-service.kamaji-system.svc, DNS:kamaji-webhook-service.kamaji-system.svc.cluster.local, IP Address:127.0.0.1",
    );
    assert.ok(certificate.checkIssued(new X509Certificate(decode("ca.crt"))));
    assert.deepEqual(await caBundles(), [decode("ca.crt"), decode("ca.crt")]);
  });

  test("a new TenantControlPlane gets its defaults from the mutating webhook", async () => {
    const created = JSON.parse(await createTcp(tenantControlPlane("alpha")));
    assert.equal(created.spec.dataStore, "default");
    assert.equal(created.spec.controlPlane.deployment.replicas, 1, "a replica count that is set stays");
    assert.deepEqual(created.spec.networkProfile.serviceCidrs, ["10.96.0.0/16"]);
    assert.deepEqual(created.spec.networkProfile.podCidrs, ["10.244.0.0/16"]);
    assert.deepEqual(created.spec.networkProfile.dnsServiceIPs, ["10.96.0.10"]);

    const unset = JSON.parse(
      await createTcp(
        tenantControlPlane("beta", (spec) => {
          delete spec.controlPlane.deployment.replicas;
          spec.networkProfile = { serviceCidr: "fd00:10::/108" };
        }),
      ),
    );
    assert.equal(unset.spec.controlPlane.deployment.replicas, 2);
    assert.deepEqual(unset.spec.networkProfile.dnsServiceIPs, ["fd00:10::10"]);
  });

  test("a version downgrade is denied with the rule's message; a sequential upgrade is allowed", async () => {
    const downgrade = ["patch", "tcp", "alpha", "-n", ns, "--type=merge", "-p"];
    await assert.rejects(
      cluster.kubectl([...downgrade, JSON.stringify({ spec: { kubernetes: { version: "v1.33.0" } } })]),
      /admission webhook "vtenantcontrolplane\.kb\.io" denied the request: unable to downgrade a TenantControlPlane from v1\.34\.10 to v1\.33\.0/,
    );
    await cluster.kubectl([...downgrade, JSON.stringify({ spec: { kubernetes: { version: "v1.35.0" } } })]);
    const stored = await client.get<any>(resourceTypes.tenantControlPlane, "alpha", ns);
    assert.equal(stored.spec.kubernetes.version, "v1.35.0");
  });

  test("validation reads the cluster: a missing DataStore and a missing Gateway API are denied", async () => {
    await assert.rejects(
      createTcp(tenantControlPlane("gamma", (spec) => (spec.dataStore = "nowhere"))),
      /denied the request: nowhere DataStore does not exist/,
    );
    await assert.rejects(
      createTcp(tenantControlPlane("delta", (spec) => (spec.controlPlane.gateway = { hostname: "delta.example.com" }))),
      /denied the request: the Gateway API is not available in this cluster, cannot use gatewayRoute configuration/,
    );
    assert.equal(await client.get(resourceTypes.tenantControlPlane, "gamma", ns), undefined);
  });

  test("changed additional containers or mounts are dry-run as the operator's Deployment", async () => {
    /** What the operator writes before it applies the Deployment, which the dry-run builds from. */
    const reconcileStatus = (name: string) =>
      client.patch(
        resourceTypes.tenantControlPlane,
        name,
        ns,
        {
          status: {
            storage: { driver: "etcd", dataStoreName: "default", setup: { schema: name } },
            controlPlaneEndpoint: "10.96.0.42:6443",
          },
        },
        "status",
      );
    const patchDeployment = (name: string, spec: object) =>
      cluster.kubectl([
        "patch",
        "tcp",
        name,
        "-n",
        ns,
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { controlPlane: { deployment: spec } } }),
      ]);
    const denied = "denied the request: the resulting Deployment will generate a configuration error, cannot proceed: ";
    const kubeApiServerSidecar = { additionalContainers: [{ name: "kube-apiserver", image: "busybox" }] };

    const name = "zeta";
    const created = JSON.parse(await createTcp(tenantControlPlane(name)));
    await reconcileStatus(name);
    const deployment = buildControlPlaneDeployment({
      tenantControlPlane: created,
      secretChecksums: Object.fromEntries(componentSecrets.map((secret) => [secret, "0123456789abcdef"])) as Record<
        ComponentSecret,
        string
      >,
      dataStore: { name: "default", driver: "etcd", endpoints: ["etcd-0.etcd.kamaji-system.svc.cluster.local:2379"] },
      storageSchema: name,
      storageChecksums: { config: "config-checksum", certificate: "certificate-checksum" },
      address: "10.96.0.42",
      kineImage: "docker.io/rancher/kine:v0.17.5",
    });
    const owner = { apiVersion: created.apiVersion, kind: created.kind, name, uid: created.metadata.uid };
    const ownerReferences = [{ ...owner, controller: true, blockOwnerDeletion: true }];
    await client.apply(
      resourceTypes.deployment,
      { ...deployment, metadata: { ...deployment.metadata, ownerReferences } },
      "kamaji",
    );

    await assert.rejects(
      patchDeployment(name, kubeApiServerSidecar),
      new RegExp(`${denied}.*containers: duplicate entries for key \\[name="kube-apiserver"\\]`),
    );
    // Two mounts on one path of a managed container: the CRD schema cannot see it, the dry-run does.
    await assert.rejects(
      patchDeployment(name, {
        additionalVolumes: [{ name: "scratch", emptyDir: {} }],
        additionalVolumeMounts: {
          apiServer: [
            { name: "scratch", mountPath: "/scratch" },
            { name: "scratch", mountPath: "/scratch" },
          ],
        },
      }),
      new RegExp(`${denied}.*volumeMounts: duplicate entries for key \\[mountPath="/scratch"\\]`),
    );
    // The same on an additional container: the CRD schema (volumeMounts is a list keyed by mountPath) refuses it
    // before any validating webhook is called.
    await assert.rejects(
      patchDeployment(name, {
        additionalVolumes: [{ name: "scratch", emptyDir: {} }],
        additionalContainers: [
          {
            name: "sidecar",
            image: "busybox",
            volumeMounts: [
              { name: "scratch", mountPath: "/scratch" },
              { name: "scratch", mountPath: "/scratch" },
            ],
          },
        ],
      }),
      /additionalContainers\[0\]\.volumeMounts\[1\]: Duplicate value: \{"mountPath":"\/scratch"\}/,
    );

    const sidecar = { name: "sidecar", image: "busybox", volumeMounts: [{ name: "scratch", mountPath: "/scratch" }] };
    await patchDeployment(name, {
      additionalVolumes: [{ name: "scratch", emptyDir: {} }],
      additionalContainers: [sidecar],
    });
    const stored = await client.get<any>(resourceTypes.tenantControlPlane, name, ns);
    assert.deepEqual(stored.spec.controlPlane.deployment.additionalContainers, [sidecar]);
    const live = await client.get<any>(resourceTypes.deployment, name, ns);
    assert.deepEqual(
      live.spec.template.spec.containers.map((container: { name: string }) => container.name),
      ["kube-apiserver", "kube-scheduler", "kube-controller-manager"],
      "a dry-run stores nothing",
    );
    assert.deepEqual(live.metadata.ownerReferences, ownerReferences);

    // No Deployment yet: the dry-run creates one.
    await createTcp(tenantControlPlane("eta"));
    await reconcileStatus("eta");
    await assert.rejects(patchDeployment("eta", kubeApiServerSidecar), new RegExp(denied));
    assert.equal(await client.get(resourceTypes.deployment, "eta", ns), undefined);

    // Never reconciled: no status to build the Deployment from, so nothing is checked.
    await createTcp(tenantControlPlane("theta"));
    await patchDeployment("theta", kubeApiServerSidecar);
  });

  test("a certificate replaced in the Secret is served without a restart, and its CA reaches the API server", async () => {
    const replacement = await issueServingCertificate({
      commonName: "replacement",
      subjectAltNames: serviceSubjectAltNames,
      validityMs: 90 * 24 * 3_600_000,
      keyAlgorithm: "RSA",
    });
    // Whoever replaces it keeps the old CA in the bundle, so that nothing fails while the change spreads.
    const withOldCa = { ...replacement, caBundlePem: replacement.caBundlePem + first.caBundlePem };
    assert.equal(await servedFingerprint(server.port), new X509Certificate(first.certificatePem).fingerprint256);
    const secret = await storedSecret();
    await client.update(resourceTypes.secret, { ...secret, data: servingCertificateData(withOldCa) });

    const expected = new X509Certificate(replacement.certificatePem).fingerprint256;
    await waitFor(
      "the new certificate to be served",
      async () => (await servedFingerprint(server.port)) === expected || undefined,
      10_000,
    );
    assert.deepEqual(await caBundles(), [withOldCa.caBundlePem, withOldCa.caBundlePem]);
    const created = await webhooksAnswer();
    assert.deepEqual(created.spec.networkProfile.dnsServiceIPs, ["10.96.0.10"]);
    assert.ok(logs.some((line) => JSON.parse(line).msg === "serving a new webhook certificate"));
  });

  test("a certificate close to expiry is renewed by a new CA; the old CA stays trusted meanwhile", async () => {
    const served = await storedSecret();
    const oldCa = Buffer.from(served.data["ca.crt"], "base64")
      .toString("utf8")
      .split(/(?<=-----END CERTIFICATE-----\n)/)[0]!;
    const expiring = await issueServingCertificate({
      commonName: "expiring",
      subjectAltNames: serviceSubjectAltNames,
      validityMs: 24 * 3_600_000,
      keyAlgorithm: "ECDSA",
    });
    await client.update(resourceTypes.secret, { ...served, data: servingCertificateData(expiring) });
    const renewed = await waitFor(
      "the expiring certificate to be renewed",
      async () => {
        const secret = await storedSecret();
        const certificate = new X509Certificate(Buffer.from(secret.data["tls.crt"], "base64"));
        return certificate.subject.includes("expiring") ? undefined : { secret, certificate };
      },
      10_000,
    );
    const bundle = Buffer.from(renewed.secret.data["ca.crt"], "base64").toString("utf8");
    assert.ok(bundle.endsWith(expiring.caBundlePem), "the expiring certificate's CA is kept after the new one");
    assert.ok(!bundle.includes(oldCa), "older CAs are dropped");
    assert.ok(Date.parse(renewed.certificate.validTo) > Date.now() + 300 * 24 * 3_600_000);
    await waitFor(
      "the renewed certificate to be served",
      async () => (await servedFingerprint(server.port)) === renewed.certificate.fingerprint256 || undefined,
      10_000,
    );
    await webhooksAnswer();
  });

  test("two replicas starting together settle on one certificate", async () => {
    const options = {
      ...managerOptions,
      secretName: "race",
      mutatingWebhookConfiguration: undefined,
      validatingWebhookConfiguration: undefined,
    };
    const [a, b] = await Promise.all([
      new ServingCertificateManager(options).ensure(),
      new ServingCertificateManager(options).ensure(),
    ]);
    assert.equal(a.certificatePem, b.certificatePem);
    const secret = await client.get<any>(resourceTypes.secret, "race", operatorNamespace);
    assert.equal(Buffer.from(secret.data["tls.crt"], "base64").toString("utf8"), a.certificatePem);
  });

  test("HTTP edge cases: unknown path, wrong method, bad body, oversized body, unexpected object", async () => {
    const ca = Buffer.from((await storedSecret()).data["ca.crt"], "base64").toString("utf8");
    const port = server.port;
    assert.equal((await post(port, "/nowhere", "{}", ca)).status, 404);
    assert.equal((await post(port, tenantControlPlanePaths.validate, "", ca, { method: "GET" })).status, 405);
    assert.equal(
      (await post(port, tenantControlPlanePaths.validate, "{}", ca, { contentType: "text/plain" })).status,
      400,
    );
    const notJson = await post(port, tenantControlPlanePaths.validate, "{not json", ca);
    assert.equal(notJson.status, 400);
    assert.match(notJson.body, /the body is not JSON/);
    assert.equal((await post(port, tenantControlPlanePaths.validate, review({ operation: "CREATE" }), ca)).status, 400);
    const huge = review({ uid: "u", operation: "CREATE", object: { padding: "x".repeat(8 * 1024 * 1024) } });
    assert.equal((await post(port, tenantControlPlanePaths.validate, huge, ca)).status, 413);

    const answer = await post(
      port,
      tenantControlPlanePaths.validate,
      review({ uid: "u-1", operation: "CREATE", object: { kind: "Pod" } }),
      ca,
    );
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: "u-1",
        allowed: false,
        status: {
          code: 400,
          reason: "BadRequest",
          message: "request.object is not a kamaji.clastix.io/v1alpha1 TenantControlPlane",
        },
      },
    });
  });

  test("the tenant guards refuse at /write-permission/<ns>/<tcp> and /migrate/<ns>/<tcp>, naming the tenant", async () => {
    const ca = Buffer.from((await storedSecret()).data["ca.crt"], "base64").toString("utf8");
    const request = {
      uid: "g-1",
      operation: "CREATE",
      resource: { group: "", version: "v1", resource: "configmaps" },
      namespace: "default",
      name: "x",
    };
    for (const [path, words] of [
      ["/write-permission/team-a/tenant%2D1", /limited write permissions/],
      ["/migrate/team-a/tenant%2D1", /freezing mode/],
    ] as const) {
      const answer = await post(server.port, path, review(request), ca);
      assert.equal(answer.status, 200);
      const response = (JSON.parse(answer.body) as { response: { allowed: boolean; status: { message: string } } })
        .response;
      assert.equal(response.allowed, false);
      assert.match(response.status.message, /^CREATE of configmaps default\/x refused: /);
      assert.match(response.status.message, words);
      assert.match(response.status.message, /TenantControlPlane team-a\/tenant-1/);
    }
    assert.equal(
      (await post(server.port, "/write-permissions", review(request), ca)).status,
      404,
      "a prefix of a word",
    );
  });

  test("a failing handler denies with code 500 and logs the error", async () => {
    const failingLogs: string[] = [];
    const failing = await startWebhookServer({
      address: { host: "127.0.0.1", port: 0 },
      certificate: first,
      log: captureLogs(failingLogs),
      cluster: {
        dataStoreNames: () => Promise.reject(new Error("the DataStore list is unreachable")),
        gatewayApiDiscovery: () => Promise.reject(new Error("unused")),
        deployment: () => Promise.reject(new Error("unused")),
        dryRunDeployment: () => Promise.reject(new Error("unused")),
      },
    });
    try {
      const object = tenantControlPlane("epsilon");
      const answer = await post(
        failing.port,
        tenantControlPlanePaths.validate,
        review({ uid: "u-2", operation: "CREATE", object }),
        first.caBundlePem,
      );
      const response = JSON.parse(answer.body).response;
      assert.equal(response.allowed, false);
      assert.equal(response.status.code, 500);
      assert.match(response.status.message, /the DataStore list is unreachable/);
      const logged = failingLogs
        .map((line) => JSON.parse(line))
        .find((line) => line.msg === "admission handler failed");
      assert.equal(logged?.level, "error");
      assert.equal(logged?.uid, "u-2");
    } finally {
      await failing.close();
    }
  });
});
