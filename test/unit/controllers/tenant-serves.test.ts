import assert from "node:assert/strict";
import { test } from "node:test";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import { tenantServes } from "../../../src/controllers/soot/reconciler.js";
import { tenantControlPlaneWith } from "../resources/fixtures.js";

const withStatus = (version: string, readyReplicas?: number, deleting = false): TenantControlPlane =>
  tenantControlPlaneWith({}, (tcp) => {
    tcp.status = {
      kubernetesResources: {
        version: { status: version as never },
        ...(readyReplicas === undefined
          ? {}
          : { deployment: { readyReplicas, name: tcp.metadata.name ?? "", namespace: "" } }),
      },
    } as TenantControlPlane["status"];
    if (deleting) tcp.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
  });

test("the per-tenant controller connects to tenants whose API server serves", () => {
  for (const status of ["Ready", "Upgrading", "WriteLimited", "Migrating"])
    assert.ok(tenantServes(withStatus(status)), status);
  // The first rollout: serving, not yet Ready until this controller has bootstrapped the tenant.
  assert.ok(tenantServes(withStatus("Provisioning", 1)));
});

test("it stays away from tenants that sleep, are not serving, or are being deleted", () => {
  assert.equal(tenantServes(undefined), false);
  assert.equal(tenantServes(withStatus("Provisioning", 0)), false);
  assert.equal(tenantServes(withStatus("Provisioning")), false);
  for (const status of ["Sleeping", "NotReady", "Unknown"])
    assert.equal(tenantServes(withStatus(status, 1)), false, status);
  assert.equal(tenantServes(withStatus("Ready", 1, true)), false);
});
