// Two controllers write a TenantControlPlane's status: the TCP controller (most of it) and the per-tenant controller
// (kubeadmPhase.bootstrapToken). A slow TCP reconcile must not write back the older bootstrap token it read at its
// start over one the per-tenant controller wrote meanwhile.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, test } from "node:test";
import type { TenantControlPlane } from "../../src/api/v1alpha1/kinds.js";
import { recordBootstrapToken } from "../../src/controllers/soot/bootstrap-status.js";
import { resourceTypes } from "../../src/runtime/resource-types.js";
import { getTcp, operatorSuite, settled, tenantControlPlane, waitReconciled } from "../helpers/operator.js";

const ns = "writers";

describe("status writers", { timeout: 300_000 }, () => {
  const suite = operatorSuite(ns);

  const bootstrapChecksum = async () =>
    (await getTcp(suite.env, "slow", ns))?.status?.kubeadmPhase?.bootstrapToken?.checksum;
  const tcp = async () => (await getTcp(suite.env, "slow", ns)) as unknown as TenantControlPlane;

  test("a slow reconcile keeps the bootstrap token the per-tenant controller wrote while it ran", async () => {
    const { env, manager } = suite;
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(tenantControlPlane("slow", ns)));
    await waitReconciled(env, "slow", ns);
    await recordBootstrapToken(env.client, await tcp(), "first", "kamaji");
    // Settled with token "first" in place: the next reconcile reads it.
    await settled(manager, `${ns}/slow`, 1_000);

    // The datastore paused: the next reconcile reads the TCP (token "first"), then waits in its datastore step.
    env.etcd.pause();
    try {
      await env.client.patch(resourceTypes.tenantControlPlane, "slow", ns, {
        spec: { controlPlane: { deployment: { replicas: 2 } } },
      });
      await sleep(1_500);
      await recordBootstrapToken(env.client, await tcp(), "second", "kamaji");
    } finally {
      env.etcd.resume();
    }
    const reconciled = await waitReconciled(env, "slow", ns);
    assert.equal(reconciled.status.kubeadmPhase?.bootstrapToken?.checksum, "second");
    // And it stays: later reconciles (the token change queues one) leave it alone too.
    await sleep(2_000);
    assert.equal(await bootstrapChecksum(), "second");
  });
});
