import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CertificateInventory,
  certificateState,
} from "../../../src/controllers/tenantcontrolplane/certificate-inventory.js";

const now = new Date("2026-12-07T12:00:00Z");
const hours = (n: number) => new Date(now.getTime() + n * 3_600_000);

test("a certificate is valid, expiring within the deadline, or invalid once expired", () => {
  assert.equal(certificateState(hours(25), now, 24 * 3_600_000), "valid");
  assert.equal(certificateState(hours(24), now, 24 * 3_600_000), "expiring");
  assert.equal(certificateState(hours(1), now, 24 * 3_600_000), "expiring");
  assert.equal(certificateState(now, now, 24 * 3_600_000), "invalid");
  assert.equal(certificateState(hours(-1), now, 24 * 3_600_000), "invalid");
});

test("the inventory gives each tenant's earliest expiry and forgets a tenant", () => {
  const inventory = new CertificateInventory();
  inventory.record("ns/a", [
    { secret: "a-ca", notAfter: hours(87_600) },
    { secret: "a-admin-kubeconfig", strategy: "kubeconfig", notAfter: hours(100) },
    { secret: "a-api-server-certificate", strategy: "x509", notAfter: hours(8_760) },
  ]);
  inventory.record("ns/b", [{ secret: "b-ca", notAfter: hours(5) }]);
  assert.equal(inventory.earliestExpiry("ns/a")?.secret, "a-admin-kubeconfig");
  assert.equal(inventory.earliestExpiry("ns/b")?.secret, "b-ca");
  inventory.record("ns/a", [{ secret: "a-ca", notAfter: hours(87_600) }]);
  assert.equal(inventory.earliestExpiry("ns/a")?.secret, "a-ca", "a new record replaces the old one");
  inventory.forget("ns/b");
  assert.equal(inventory.earliestExpiry("ns/b"), undefined);
  assert.deepEqual(
    inventory.entries().map(([key]) => key),
    ["ns/a"],
  );
});
