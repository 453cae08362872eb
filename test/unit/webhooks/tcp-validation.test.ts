import { test } from "node:test";
import assert from "node:assert/strict";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import {
  allTenantControlPlaneDenials,
  validateTenantControlPlane,
} from "../../../src/webhooks/tenantcontrolplane/index.js";
import { cluster, createRequest, tenantControlPlane, updateRequest } from "./fixtures.js";

const messages = (denials: readonly Error[]) => denials.map((denial) => denial.message);

/** Breaks every rule the chain runs on both operations, plus the name (CREATE only). */
const brokenEverywhere = (tcp: TenantControlPlane) => {
  tcp.metadata.name = "Tenant";
  tcp.spec.dataStore = "missing";
  tcp.spec.kubernetes.version = "v1.99.0";
  tcp.spec.kubernetes.kubelet.preferredAddressTypes = ["Hostname", "Hostname"];
  tcp.spec.controlPlane.gateway = {};
  tcp.spec.networkProfile = { ...tcp.spec.networkProfile, certSANs: ["bad_san"], dnsServiceIPs: ["10.0.0.10"] };
};
const noGatewayApi = { ...cluster, gatewayApiAvailable: false };

test("a valid TenantControlPlane is admitted on CREATE and UPDATE", () => {
  const tcp = tenantControlPlane();
  assert.equal(validateTenantControlPlane(createRequest(tcp)), undefined);
  assert.equal(validateTenantControlPlane(updateRequest(tcp, tcp)), undefined);
  assert.deepEqual(allTenantControlPlaneDenials(createRequest(tcp)), []);
});

test("CREATE: the rules run in order and the first denial wins", () => {
  const tcp = tenantControlPlane(brokenEverywhere);
  const all = messages(allTenantControlPlaneDenials(createRequest(tcp, noGatewayApi)));
  assert.equal(all.length, 7);
  assert.match(all[0] ?? "", /^spec\.kubernetes\.kubelet\.preferredAddressTypes\[1\]: Duplicate value/);
  assert.match(all[1] ?? "", /^spec\.networkProfile\.certSANs\[0\]: Invalid value: "bad_san"/);
  assert.equal(all[2], 'DNS service IP "10.0.0.10" is not contained in any configured service CIDR');
  assert.match(all[3] ?? "", /^the provided name is invalid, /);
  assert.match(all[4] ?? "", /^unable to create a TenantControlPlane with a Kubernetes version greater/);
  assert.equal(all[5], "missing DataStore does not exist");
  assert.equal(all[6], "the Gateway API is not available in this cluster, cannot use gatewayRoute configuration");
  assert.equal(validateTenantControlPlane(createRequest(tcp, noGatewayApi))?.message, all[0]);
});

test("UPDATE: the name is not checked and the version rules are the upgrade ones", () => {
  const stored = tenantControlPlane((tcp) => {
    tcp.metadata.name = "Tenant";
  });
  const tcp = tenantControlPlane(brokenEverywhere);
  const all = messages(allTenantControlPlaneDenials(updateRequest(stored, tcp, noGatewayApi)));
  assert.equal(all.length, 6);
  assert.doesNotMatch(all.join("\n"), /the provided name is invalid/);
  assert.match(all[3] ?? "", /^unable to upgrade to a version greater than the supported one/);
  assert.equal(all[4], "missing DataStore does not exist");
});

test("UPDATE: a downgrade is denied, while CREATE has nothing to compare with", () => {
  const stored = tenantControlPlane();
  const downgraded = tenantControlPlane((tcp) => {
    tcp.spec.kubernetes.version = "v1.33.0";
  });
  assert.equal(validateTenantControlPlane(createRequest(downgraded)), undefined);
  assert.equal(
    validateTenantControlPlane(updateRequest(stored, downgraded))?.message,
    "unable to downgrade a TenantControlPlane from v1.34.2 to v1.33.0",
  );
});

test("the cluster state is what the DataStore and Gateway rules see", () => {
  const tcp = tenantControlPlane((t) => {
    t.spec.controlPlane.gateway = { hostname: "tenant-a.example.com" };
  });
  assert.equal(validateTenantControlPlane(createRequest(tcp)), undefined);
  assert.equal(
    validateTenantControlPlane(createRequest(tcp, { ...cluster, tlsRouteAvailable: false }))?.message,
    "TLSRoute resource is not available in this cluster",
  );
  assert.equal(
    validateTenantControlPlane(createRequest(tcp, { ...cluster, dataStores: new Set() }))?.message,
    "default DataStore does not exist",
  );
});
