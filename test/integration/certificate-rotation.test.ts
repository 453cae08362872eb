// Rotation on demand with upstream's annotation `certs.kamaji.clastix.io/rotate`: on a TenantControlPlane every leaf
// certificate and kubeconfig is re-issued (the CAs and the service-account key stay), on one Secret only that one;
// the time it was done is written back, and the pods roll once for it.
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { before, describe, test } from "node:test";
import type { KubeObject } from "../../src/runtime/kube-client.js";
import { resourceTypes } from "../../src/runtime/resource-types.js";
import { waitFor } from "../../tools/cluster/wait.js";
import {
  expectedSecrets,
  operatorSuite,
  settled,
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
  const suite = operatorSuite(ns, { serviceAccountKeyGraceMs: 3_000 });

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

  test("a CA or service-account Secret edited to garbage is refused with a clear condition, not replaced", async () => {
    const generation = await deploymentGeneration();
    const before = await secretData();
    for (const [secret, key] of [
      ["spun-ca", "ca.key"],
      ["spun-sa-certificate", "sa.key"],
    ] as const) {
      const original = await env().client.get<SecretObject>(resourceTypes.secret, secret, ns);
      const garbage = Buffer.from("not a key", "utf8").toString("base64");
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
});
