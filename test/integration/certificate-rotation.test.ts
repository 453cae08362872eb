// Rotation on demand with upstream's annotation `certs.kamaji.clastix.io/rotate`: on a TenantControlPlane every leaf
// certificate and kubeconfig is re-issued (the CAs and the service-account key stay), on one Secret only that one;
// the time it was done is written back, and the pods roll once for it.
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { before, describe, test } from "node:test";
import type { KubeObject } from "../../src/runtime/kube-client.js";
import { resourceTypes } from "../../src/runtime/resource-types.js";
import { waitFor } from "../../tools/cluster/wait.js";
import {
  expectedSecrets,
  operatorSuite,
  settled,
  startManager,
  tenantControlPlane,
  waitCondition,
  waitReconciled,
} from "../helpers/operator.js";

const ns = "rotation";
const rotate = "certs.kamaji.clastix.io/rotate";
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** Kept by a rotation: the authorities, the service-account key, and what is not a certificate. */
const kept = ["ca", "front-proxy-ca-certificate", "sa-certificate", "datastore-config"];

type SecretObject = KubeObject & { data?: Record<string, string> };

describe("rotation on demand", { timeout: 300_000 }, () => {
  const suite = operatorSuite(ns, { serviceAccountKeyGraceMs: 3_000, certificateAuthorityGraceMs: 3_000 });

  before(async () => {
    await suite.env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(tenantControlPlane("spun", ns)));
    await waitReconciled(suite.env, "spun", ns);
    await settled(suite.manager, `${ns}/spun`, 1_000);
  });

  const env = () => suite.env;

  /** Each Secret's data, by name. */
  async function secretData(): Promise<Map<string, string>> {
    const list = await env().client.list<SecretObject>(resourceTypes.secret, {
      namespace: ns,
      labelSelector: "kamaji.clastix.io/name=spun",
    });
    return new Map(list.items.map((secret) => [secret.metadata.name ?? "", JSON.stringify(secret.data)]));
  }

  const deploymentGeneration = async () =>
    (await env().client.get<KubeObject>(resourceTypes.deployment, "spun", ns))?.metadata.generation;

  test("on the TenantControlPlane: every leaf certificate and kubeconfig is new, the CAs stay, the time is written back", async () => {
    const before = await secretData();
    const generation = await deploymentGeneration();
    await env().cluster.kubectl(["annotate", "tcp", "-n", ns, "spun", `${rotate}=`]);
    const done = await waitFor(
      "the rotation time on the TCP",
      async () => {
        const tcp = await env().client.get<KubeObject>(resourceTypes.tenantControlPlane, "spun", ns);
        const value = tcp?.metadata.annotations?.[rotate];
        return value !== undefined && value !== "" ? value : undefined;
      },
      30_000,
    );
    assert.match(done, rfc3339);
    await waitReconciled(env(), "spun", ns);
    await settled(suite.manager, `${ns}/spun`, 1_000);
    const after = await secretData();
    for (const name of expectedSecrets("spun")) {
      const suffix = name.slice("spun-".length);
      if (kept.includes(suffix)) assert.equal(after.get(name), before.get(name), `${name} must stay`);
      else assert.notEqual(after.get(name), before.get(name), `${name} must be re-issued`);
    }
    assert.equal(await deploymentGeneration(), Number(generation) + 1, "the pods roll once for the rotation");
  });

  test("on one Secret: only that one is re-issued, and it gets the time", async () => {
    const before = await secretData();
    const target = "spun-api-server-certificate";
    await env().cluster.kubectl(["annotate", "secret", "-n", ns, target, `${rotate}=`]);
    const done = await waitFor(
      "the rotation time on the Secret",
      async () => {
        const secret = await env().client.get<KubeObject>(resourceTypes.secret, target, ns);
        const value = secret?.metadata.annotations?.[rotate];
        return value !== undefined && value !== "" ? value : undefined;
      },
      30_000,
    );
    assert.match(done, rfc3339);
    await settled(suite.manager, `${ns}/spun`, 1_000);
    const after = await secretData();
    for (const name of expectedSecrets("spun")) {
      if (name === target) assert.notEqual(after.get(name), before.get(name), `${name} must be re-issued`);
      else assert.equal(after.get(name), before.get(name), `${name} must stay`);
    }
    // The TCP's own annotation still holds the earlier rotation's time: nothing else was asked for.
    const tcp = await env().client.get<KubeObject>(resourceTypes.tenantControlPlane, "spun", ns);
    assert.match(tcp?.metadata.annotations?.[rotate] ?? "", rfc3339);
  });

  test("the service-account key: trusted, then signing, then the old one dropped after the grace period", async () => {
    // Asleep (no replicas), so each stage's rollout is complete at once; on the node tier the stages wait for pods.
    const sleeping = tenantControlPlane("keys", ns);
    sleeping.spec.controlPlane.deployment.replicas = 0;
    await env().cluster.kubectl(["apply", "-f", "-"], JSON.stringify(sleeping));
    await waitReconciled(env(), "keys", ns);
    const secret = () => env().client.get<SecretObject>(resourceTypes.secret, "keys-sa-certificate", ns);
    const decoded = (object: SecretObject | undefined, key: string) =>
      Buffer.from(object?.data?.[key] ?? "", "base64").toString("utf8");
    const before = await secret();
    const saLabel = async () =>
      (await env().client.get<KubeObject & { spec?: any }>(resourceTypes.deployment, "keys", ns))?.spec.template
        .metadata.labels["component.kamaji.clastix.io/service-account"] as string;
    const labels = new Set([await saLabel()]);
    const stages = new Set<string>();
    await env().cluster.kubectl(["annotate", "secret", "-n", ns, "keys-sa-certificate", `${rotate}=`]);
    const done = await waitFor(
      "the service-account key rotation to finish",
      async () => {
        const now = await secret();
        const stage = now?.metadata.annotations?.["kamaji.clastix.io/rotation-stage"];
        if (stage !== undefined) stages.add(stage);
        labels.add(await saLabel());
        return rfc3339.test(now?.metadata.annotations?.[rotate] ?? "") ? now : undefined;
      },
      60_000,
      100,
    );
    const publicKeys = decoded(done, "sa.pub").match(/-----BEGIN PUBLIC KEY-----/g) ?? [];
    assert.equal(publicKeys.length, 1, "only the new public key is left");
    assert.notEqual(decoded(done, "sa.pub"), decoded(before, "sa.pub"));
    assert.notEqual(decoded(done, "sa.key"), decoded(before, "sa.key"));
    assert.equal(decoded(done, "sa-next.key"), "", "the key kept aside is gone");
    const derived = createPublicKey(createPrivateKey(decoded(done, "sa.key"))).export({ type: "spki", format: "pem" });
    assert.equal(derived.toString().trim(), decoded(done, "sa.pub").trim(), "sa.pub is sa.key's public key");
    assert.ok(stages.has("SigningWithNewKey"), `stages seen: ${[...stages].join(", ")}`);
    // One roll per stage: trusting, signing, dropping.
    labels.add(await saLabel());
    assert.equal(labels.size, 4, `service-account checksums seen on the pods: ${labels.size}`);
  });

  test("the CA: trusted beside the old one, then signing behind a cross-signed copy, then alone; asked twice, rotated once", async () => {
    const sleeping = tenantControlPlane("authority", ns);
    sleeping.spec.controlPlane.deployment.replicas = 0;
    await env().cluster.kubectl(["apply", "-f", "-"], JSON.stringify(sleeping));
    await waitReconciled(env(), "authority", ns);
    const secret = (name: string) => env().client.get<SecretObject>(resourceTypes.secret, `authority-${name}`, ns);
    const decoded = (object: SecretObject | undefined, key: string) =>
      Buffer.from(object?.data?.[key] ?? "", "base64").toString("utf8");
    const certificates = (pem: string) =>
      pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    const before = await secret("ca");
    const frontProxyBefore = await secret("front-proxy-ca-certificate");
    const oldCa = new X509Certificate(decoded(before, "ca.crt"));
    const stages = new Set<string>();
    const conditions = new Set<string>();
    const nextCas = new Set<string>();
    await env().cluster.kubectl(["annotate", "secret", "-n", ns, "authority-ca", `${rotate}=`]);
    const done = await waitFor(
      "the CA rotation to finish",
      async () => {
        const now = await secret("ca");
        const stage = now?.metadata.annotations?.["kamaji.clastix.io/rotation-stage"];
        if (stage !== undefined) stages.add(stage);
        if (stage === "TrustingNewCA") {
          nextCas.add(decoded(now, "ca-next.crt"));
          // Asked again while it runs: it must not start over.
          await env().cluster.kubectl(["annotate", "--overwrite", "secret", "-n", ns, "authority-ca", `${rotate}=`]);
        }
        const tcp = await env().client.get<KubeObject & { status?: any }>(
          resourceTypes.tenantControlPlane,
          "authority",
          ns,
        );
        const condition = (tcp?.status?.conditions ?? []).find((c: any) => c.type === "CertificateAuthorityRotating");
        if (condition !== undefined) conditions.add(`${condition.status}/${condition.reason}`);
        return rfc3339.test(now?.metadata.annotations?.[rotate] ?? "") ? now : undefined;
      },
      60_000,
      100,
    );
    assert.deepEqual([...stages].sort(), ["SigningWithNewCA", "TrustingNewCA"]);
    assert.equal(nextCas.size, 1, "one new CA for both requests");
    const [bundle] = certificates(decoded(done, "ca.crt"));
    assert.equal(certificates(decoded(done, "ca.crt")).length, 1, "the old CA left ca.crt");
    assert.equal(`${bundle}\n`, [...nextCas][0], "the CA made in stage 1 signs");
    const newCa = new X509Certificate(bundle ?? "");
    assert.ok(newCa.checkPrivateKey(createPrivateKey(decoded(done, "ca.key"))), "ca.key is the new CA's");
    assert.equal(decoded(done, "tls.crt").trim(), bundle?.trim());
    assert.equal(decoded(done, "ca-next.key"), "");
    assert.equal(decoded(done, "ca-next.crt"), "");

    const [leaf, cross, ...more] = certificates(decoded(await secret("api-server-certificate"), "apiserver.crt"));
    assert.equal(more.length, 0);
    assert.ok(new X509Certificate(leaf ?? "").verify(newCa.publicKey), "the API server certificate is the new CA's");
    const crossSigned = new X509Certificate(cross ?? "");
    assert.ok(crossSigned.verify(oldCa.publicKey), "followed by the new CA signed by the old one");
    assert.ok(crossSigned.publicKey.equals(newCa.publicKey));
    const [kubeletClient, kubeletClientCross] = certificates(
      decoded(await secret("api-server-kubelet-client-certificate"), "apiserver-kubelet-client.crt"),
    );
    assert.ok(new X509Certificate(kubeletClient ?? "").verify(newCa.publicKey));
    assert.equal(
      kubeletClientCross,
      cross,
      "kubelets that trust only the old CA accept the API server's client certificate",
    );

    const admin = decoded(await secret("admin-kubeconfig"), "admin.conf");
    const caData = /certificate-authority-data: (\S+)/.exec(admin)?.[1] ?? "";
    assert.equal(
      Buffer.from(caData, "base64").toString("utf8").trim(),
      bundle?.trim(),
      "admin.conf trusts the new CA only",
    );
    assert.deepEqual(
      (await secret("front-proxy-ca-certificate"))?.data,
      frontProxyBefore?.data,
      "the front-proxy CA is rotated on its own Secret only",
    );
    await waitReconciled(env(), "authority", ns);
    const tcp = await env().client.get<KubeObject & { status?: any }>(
      resourceTypes.tenantControlPlane,
      "authority",
      ns,
    );
    const condition = (tcp?.status?.conditions ?? []).find((c: any) => c.type === "CertificateAuthorityRotating");
    assert.equal(`${condition?.status}/${condition?.reason}`, "False/RotationFinished");
    assert.ok(conditions.has("True/TrustingNewCA") || conditions.has("True/SigningWithNewCA"), [...conditions].join());
  });

  test("a CA or service-account Secret edited to garbage is refused with a clear condition, not replaced", async () => {
    const generation = await deploymentGeneration();
    const before = await secretData();
    const otherKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
      type: "pkcs8",
      format: "pem",
    });
    for (const [secret, key, value] of [
      ["spun-ca", "ca.key", "not a key"],
      ["spun-ca", "ca.key", otherKey.toString()],
      ["spun-sa-certificate", "sa.key", "not a key"],
    ] as const) {
      const original = await env().client.get<SecretObject>(resourceTypes.secret, secret, ns);
      const garbage = Buffer.from(value, "utf8").toString("base64");
      await env().client.patch(resourceTypes.secret, secret, ns, { data: { [key]: garbage } });
      const condition = await waitCondition(env(), "spun", ns, "False", "CertificateAuthorityInvalid", 30_000);
      assert.match(condition.message, new RegExp(`Secret ${secret} holds an unusable`));
      assert.match(condition.message, /delete the Secret to have a new one made/);
      assert.equal(await deploymentGeneration(), generation, "the pods are left alone");
      const now = await secretData();
      for (const name of expectedSecrets("spun").filter((n) => n !== secret)) {
        assert.equal(now.get(name), before.get(name), `${name} must not be re-issued`);
      }
      await env().client.patch(resourceTypes.secret, secret, ns, { data: { [key]: original?.data?.[key] } });
      await waitCondition(env(), "spun", ns, "True", undefined, 30_000);
    }
    assert.deepEqual(await secretData(), before, "restored, nothing was replaced");
  });

  // Last: it replaces the suite's manager with one of its own.
  test("the front-proxy CA rotates the same way, and a rotation cut by an operator restart resumes from its stage", async () => {
    // One replica that never runs (no nodes here): the rollout never completes, so the rotation waits in stage 1.
    const waiting = tenantControlPlane("resumed", ns);
    waiting.spec.controlPlane.deployment.replicas = 1;
    await env().cluster.kubectl(["apply", "-f", "-"], JSON.stringify(waiting));
    await waitReconciled(env(), "resumed", ns);
    const name = "resumed-front-proxy-ca-certificate";
    const secret = () => env().client.get<SecretObject>(resourceTypes.secret, name, ns);
    const decoded = (object: SecretObject | undefined, key: string) =>
      Buffer.from(object?.data?.[key] ?? "", "base64").toString("utf8");
    const oldCa = new X509Certificate(decoded(await secret(), "front-proxy-ca.crt"));
    await env().cluster.kubectl(["annotate", "secret", "-n", ns, name, `${rotate}=`]);
    const first = await waitFor(
      "stage TrustingNewCA",
      async () => {
        const now = await secret();
        return now?.metadata.annotations?.["kamaji.clastix.io/rotation-stage"] === "TrustingNewCA" ? now : undefined;
      },
      30_000,
    );
    const next = decoded(first, "front-proxy-ca-next.crt");
    assert.match(next, /BEGIN CERTIFICATE/);

    await suite.manager.stop();
    const restarted = startManager(env(), { defaultDataStore: "etcd", certificateAuthorityGraceMs: 3_000 });
    try {
      await settled(restarted, `${ns}/resumed`, 1_000);
      const after = await secret();
      assert.equal(after?.metadata.annotations?.["kamaji.clastix.io/rotation-stage"], "TrustingNewCA");
      assert.equal(decoded(after, "front-proxy-ca-next.crt"), next, "the new manager kept the CA made in stage 1");

      // Asleep, the rollout is complete at once: the rotation goes on to the end with that CA.
      await env().client.patch(resourceTypes.tenantControlPlane, "resumed", ns, {
        spec: { controlPlane: { deployment: { replicas: 0 } } },
      });
      const done = await waitFor(
        "the front-proxy CA rotation to finish",
        async () => {
          const now = await secret();
          return rfc3339.test(now?.metadata.annotations?.[rotate] ?? "") ? now : undefined;
        },
        60_000,
        100,
      );
      assert.equal(decoded(done, "front-proxy-ca.crt"), next, "the CA made in stage 1 alone");
      const newCa = new X509Certificate(next);
      const client = decoded(
        await env().client.get<SecretObject>(resourceTypes.secret, "resumed-front-proxy-client-certificate", ns),
        "front-proxy-client.crt",
      );
      const [leaf, cross] = client.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
      assert.ok(new X509Certificate(leaf ?? "").verify(newCa.publicKey), "the front-proxy client is the new CA's");
      assert.ok(new X509Certificate(cross ?? "").verify(oldCa.publicKey), "followed by the new CA signed by the old");
    } finally {
      await restarted.stop();
    }
  });
});
