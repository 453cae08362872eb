import { test } from "node:test";
import assert from "node:assert/strict";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import { AdmissionDenied } from "../../../src/webhooks/admission-denied.js";
import { defaultTenantControlPlane, type DefaultingOptions } from "../../../src/webhooks/tenantcontrolplane/index.js";
import { tenantControlPlane } from "./fixtures.js";

/** A TenantControlPlane as it reaches the mutating webhook on CREATE: CRD defaults applied, nothing else. */
const fresh = (network: NonNullable<TenantControlPlane["spec"]["networkProfile"]> = {}) =>
  tenantControlPlane((tcp) => {
    delete tcp.spec.dataStore;
    tcp.spec.controlPlane.deployment = {};
    tcp.spec.networkProfile = { serviceCidr: "10.96.0.0/16", podCidr: "10.244.0.0/16", ...network };
  });

function defaulted(tcp: TenantControlPlane, options?: DefaultingOptions): TenantControlPlane {
  const result = defaultTenantControlPlane(tcp, options);
  if (result instanceof AdmissionDenied) assert.fail(result.message);
  return result;
}

function denied(tcp: TenantControlPlane): AdmissionDenied {
  const result = defaultTenantControlPlane(tcp);
  assert.ok(result instanceof AdmissionDenied, "expected defaulting to fail");
  return result;
}

test("fills the defaults of a new TenantControlPlane", () => {
  const { spec } = defaulted(fresh(), { defaultDataStore: "default" });
  assert.equal(spec.dataStore, "default");
  assert.equal(spec.controlPlane.deployment?.replicas, 2);
  assert.deepEqual(spec.networkProfile, {
    serviceCidr: "10.96.0.0/16",
    serviceCidrs: ["10.96.0.0/16"],
    podCidr: "10.244.0.0/16",
    podCidrs: ["10.244.0.0/16"],
    dnsServiceIPs: ["10.96.0.10"],
  });
});

test("creates the deployment section to hold the replicas", () => {
  const tcp = fresh();
  delete tcp.spec.controlPlane.deployment;
  assert.deepEqual(defaulted(tcp).spec.controlPlane.deployment, { replicas: 2 });
});

test("leaves dataStore empty without a default DataStore", () => {
  assert.equal(defaulted(fresh()).spec.dataStore, undefined);
  assert.equal(defaulted(fresh(), { defaultDataStore: "" }).spec.dataStore, undefined);
});

test("keeps the values already set", () => {
  const tcp = tenantControlPlane((t) => {
    t.metadata.uid = "5f0c3a43-8c9e-4d0b-9d43-3c1f1fd3c0aa";
    t.spec.dataStore = "etcd-primary";
    t.spec.dataStoreSchema = "tenant_a";
    t.spec.dataStoreUsername = "tenant_a_user";
    t.spec.controlPlane.deployment = { replicas: 0 };
    t.spec.networkProfile = {
      serviceCidr: "10.96.0.0/16",
      serviceCidrs: ["10.100.0.0/16"],
      podCidr: "10.244.0.0/16",
      podCidrs: ["10.200.0.0/16"],
      dnsServiceIPs: ["10.100.0.53"],
    };
  });
  assert.deepEqual(defaulted(tcp, { defaultDataStore: "default" }), tcp);
});

test("does not change its input", () => {
  const tcp = fresh();
  const before = structuredClone(tcp);
  defaulted(tcp, { defaultDataStore: "default" });
  assert.deepEqual(tcp, before);
});

test("defaults dataStoreSchema and dataStoreUsername to the UID only when there is one", () => {
  const withoutUid = defaulted(fresh());
  assert.equal(withoutUid.spec.dataStoreSchema, undefined);
  assert.equal(withoutUid.spec.dataStoreUsername, undefined);

  const tcp = fresh();
  tcp.metadata.uid = "5f0c3a43-8c9e-4d0b-9d43-3c1f1fd3c0aa";
  const { spec } = defaulted(tcp);
  assert.equal(spec.dataStoreSchema, "5f0c3a43-8c9e-4d0b-9d43-3c1f1fd3c0aa");
  assert.equal(spec.dataStoreUsername, "5f0c3a43-8c9e-4d0b-9d43-3c1f1fd3c0aa");
});

test("IPv6: the DNS Service IP is the network address + 16 (::10)", () => {
  const { spec } = defaulted(fresh({ serviceCidr: "fd00:10:96::/112", podCidr: "fd00:10:244::/56" }));
  assert.deepEqual(spec.networkProfile, {
    serviceCidr: "fd00:10:96::/112",
    serviceCidrs: ["fd00:10:96::/112"],
    podCidr: "fd00:10:244::/56",
    podCidrs: ["fd00:10:244::/56"],
    dnsServiceIPs: ["fd00:10:96::10"],
  });
});

test("the DNS Service IP counts from the network address, not from the address written in the CIDR", () => {
  const { spec } = defaulted(fresh({ serviceCidrs: ["10.96.7.1/16"] }));
  assert.deepEqual(spec.networkProfile?.dnsServiceIPs, ["10.96.0.10"]);
});

test("dual stack: one DNS Service IP per service CIDR, in order", () => {
  const { spec } = defaulted(fresh({ serviceCidrs: ["fd00::/108", "10.96.0.0/16"] }));
  assert.deepEqual(spec.networkProfile?.serviceCidrs, ["fd00::/108", "10.96.0.0/16"]);
  assert.deepEqual(spec.networkProfile.dnsServiceIPs, ["fd00::10", "10.96.0.10"]);
});

test("a service CIDR too small to hold the DNS Service IP is an error", () => {
  const error = denied(fresh({ serviceCidr: "10.96.0.0/30" }));
  assert.equal(
    error.message,
    'cannot define resulting DNS Service IP: service CIDR "10.96.0.0/30" is too small: it has no address at offset 10',
  );
  assert.equal(error.field, "spec.networkProfile.serviceCidrs[0]");

  const ipv6 = denied(fresh({ serviceCidrs: ["10.96.0.0/16", "fd00::/124"] }));
  assert.equal(
    ipv6.message,
    'cannot define resulting DNS Service IP: service CIDR "fd00::/124" is too small: it has no address at offset 16',
  );
  assert.equal(ipv6.field, "spec.networkProfile.serviceCidrs[1]");
});

test("the smallest service CIDRs that hold the DNS Service IP are accepted", () => {
  assert.deepEqual(defaulted(fresh({ serviceCidr: "10.96.0.0/28" })).spec.networkProfile?.dnsServiceIPs, [
    "10.96.0.10",
  ]);
  assert.deepEqual(defaulted(fresh({ serviceCidr: "fd00::/123" })).spec.networkProfile?.dnsServiceIPs, ["fd00::10"]);
});

test("a malformed service CIDR is an error (the mutating webhook runs before schema validation)", () => {
  assert.equal(
    denied(fresh({ serviceCidr: "10.96.0.0" })).message,
    "cannot define resulting DNS Service IP: invalid CIDR address: 10.96.0.0",
  );
});

test("without any service CIDR there is nothing to default from", () => {
  const { spec } = defaulted(fresh({ serviceCidr: "", podCidr: "" }));
  assert.equal(spec.networkProfile?.serviceCidrs, undefined);
  assert.equal(spec.networkProfile?.podCidrs, undefined);
  assert.equal(spec.networkProfile?.dnsServiceIPs, undefined);
});
