// A tenant nobody touches is not forgotten: the manager looks at every TenantControlPlane again once per resync
// period, and each reconcile schedules the next one for when its earliest certificate enters the renewal deadline.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { resourceTypes } from "../../src/runtime/resource-types.js";
import { freePort } from "../../tools/cluster/ports.js";
import { waitFor } from "../../tools/cluster/wait.js";
import {
  addEtcdDataStoreAndNamespace,
  reconcilesSince,
  settled,
  startManager,
  startOperatorEnvironment,
  tenantControlPlane,
  waitReconciled,
  type OperatorEnvironment,
  type RunningManager,
} from "../helpers/operator.js";

const ns = "quiet";

describe("a quiet tenant", { timeout: 300_000 }, () => {
  let env: OperatorEnvironment;
  let manager: RunningManager | undefined;

  before(async () => {
    env = await startOperatorEnvironment();
    await addEtcdDataStoreAndNamespace(env, ns);
  });

  after(async () => {
    await manager?.stop();
    await env.stop();
  });

  test("is reconciled again every resync period with nothing changed", async () => {
    const metricsPort = await freePort();
    manager = startManager(env, { defaultDataStore: "etcd", cacheResyncPeriodMs: 1_000, metricsPort });
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(tenantControlPlane("still", ns)));
    await waitReconciled(env, "still", ns);
    const since = manager.logs.length;
    const generation = (await env.client.get<any>(resourceTypes.tenantControlPlane, "still", ns))?.metadata;
    await sleep(9_000);
    // Without a resync, 2 looks were seen in these 9 s (the Deployment's status settling, a starting pod's recheck).
    const count = reconcilesSince(manager, "tenantcontrolplane", `${ns}/still`, since);
    assert.ok(count >= 5, `${count} reconciles in 9 s with a 1 s resync period`);
    const now = (await env.client.get<any>(resourceTypes.tenantControlPlane, "still", ns))?.metadata;
    assert.equal(now.generation, generation.generation, "the resync must not change the spec");

    // The metrics count its certificate and kubeconfig Secrets, all valid, and give the time to its earliest expiry.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const series = (status: string, strategy: string) =>
      new RegExp(
        `kamaji_certificates_current\\{tcp_namespace="${ns}",tcp_name="still",status="${status}",strategy="${strategy}"\\} (\\d+)`,
      ).exec(metrics)?.[1];
    assert.equal(series("valid", "x509"), "4", "API server, kubelet client, front-proxy client, etcd client");
    assert.equal(series("valid", "kubeconfig"), "3", "admin, controller-manager, scheduler");
    const expiry =
      /kamaji_tenant_control_plane_certificate_expiry_seconds\{[^}]*tcp_name="still"[^}]*\} ([\d.e+]+)/.exec(
        metrics,
      )?.[1];
    const days = Number(expiry) / 86_400;
    assert.ok(days > 364 && days <= 365, `earliest expiry in ${days} days`);
    await manager.stop();
    manager = undefined;
  });

  test("has its certificates renewed when they reach the deadline, with no event to wake it", async () => {
    // Leaf certificates for 20 s with an 8 s deadline: each is due 12 s after it was issued.
    manager = startManager(env, {
      defaultDataStore: "etcd",
      certificateValidityMs: 20_000,
      certificateExpirationDeadlineMs: 8_000,
    });
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(tenantControlPlane("renewed", ns)));
    await waitReconciled(env, "renewed", ns);
    await settled(manager, `${ns}/renewed`, 2_000);
    const secret = async () =>
      (await env.client.get<any>(resourceTypes.secret, "renewed-api-server-certificate", ns))?.data?.["apiserver.crt"];
    const before = await secret();
    assert.ok(before, "the API server certificate exists");
    const issued = new X509Certificate(Buffer.from(before, "base64"));
    const lifetimeMs = Date.parse(issued.validTo) - Date.parse(issued.validFrom);
    // The configured lifetime, plus the 5 minutes notBefore is backdated by (validTo has whole seconds).
    assert.ok(Math.abs(lifetimeMs - (20_000 + 300_000)) <= 1_000, `lifetime ${lifetimeMs} ms`);
    // Due within 12 s; the next look without a renewal schedule would be the 30 s recheck of a starting pod.
    await waitFor(
      "the API server certificate to be renewed",
      async () => (await secret()) !== before || undefined,
      20_000,
    );
    const renewedLines = manager.logs.filter((line) => line.includes('"renewed certificate"'));
    assert.ok(renewedLines.length > 0, "the renewal is logged");
  });

  test("says CertificatesExpiring, with a Warning, when renewal fails near expiry; clears it once renewed", async () => {
    // Still the manager with 20 s certificates and an 8 s deadline: its DataStore goes away, so reconciles fail.
    assert.ok(manager, "the manager of the previous test");
    const expiring = (status: "True" | "False") =>
      waitFor(
        `CertificatesExpiring=${status}`,
        async () => {
          const tcp = await env.client.get<any>(resourceTypes.tenantControlPlane, "renewed", ns);
          const found = tcp?.status?.conditions?.find((c: { type: string }) => c.type === "CertificatesExpiring");
          return found?.status === status ? found : undefined;
        },
        60_000,
      );
    await env.etcd.kill();
    try {
      const condition = await expiring("True");
      assert.equal(condition.reason, "RenewalFailing");
      assert.match(
        condition.message,
        /the certificate in Secret renewed-\S+ (expires|expired) at \S+ and could not be renewed: /,
      );
      const events = await env.client.list<any>(resourceTypes.event, { namespace: ns });
      assert.ok(
        events.items.some((e: any) => e.type === "Warning" && e.reason === "CertificatesExpiring"),
        "a Warning event",
      );
    } finally {
      await env.etcd.restart();
    }
    const cleared = await expiring("False");
    assert.equal(cleared.reason, "CertificatesRenewed");
  });
});
