import { test } from "node:test";
import assert from "node:assert/strict";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import { validateDnsServiceIPs, validateTenantControlPlane } from "../../../src/webhooks/tenantcontrolplane/index.js";
import { tenantControlPlane, updateRequest } from "./fixtures.js";

type NetworkProfile = NonNullable<TenantControlPlane["spec"]["networkProfile"]>;
const withNetwork = (networkProfile: NetworkProfile) =>
  tenantControlPlane((tcp) => {
    tcp.spec.networkProfile = networkProfile;
  });

test("DNS Service IPs inside the service CIDRs are accepted", () => {
  assert.equal(validateDnsServiceIPs(tenantControlPlane()), undefined);
  assert.equal(
    validateDnsServiceIPs(
      withNetwork({ serviceCidrs: ["10.96.0.0/16", "fd00::/108"], dnsServiceIPs: ["fd00::10", "10.96.0.10"] }),
    ),
    undefined,
  );
});

test("without DNS Service IPs there is nothing to check", () => {
  assert.equal(validateDnsServiceIPs(withNetwork({ serviceCidr: "not-a-cidr" })), undefined);
  assert.equal(validateDnsServiceIPs(withNetwork({ dnsServiceIPs: [] })), undefined);
});

test("the deprecated serviceCidr is used when serviceCidrs is empty", () => {
  assert.equal(
    validateDnsServiceIPs(withNetwork({ serviceCidr: "10.96.0.0/16", dnsServiceIPs: ["10.96.0.10"] })),
    undefined,
  );
  const denied = validateDnsServiceIPs(withNetwork({ serviceCidr: "10.96.0.0/16", dnsServiceIPs: ["10.97.0.10"] }));
  assert.equal(denied?.message, 'DNS service IP "10.97.0.10" is not contained in any configured service CIDR');
});

test("serviceCidrs wins over the deprecated serviceCidr", () => {
  const denied = validateDnsServiceIPs(
    withNetwork({ serviceCidr: "10.96.0.0/16", serviceCidrs: ["10.100.0.0/16"], dnsServiceIPs: ["10.96.0.10"] }),
  );
  assert.equal(denied?.message, 'DNS service IP "10.96.0.10" is not contained in any configured service CIDR');
});

test("DNS Service IPs without any service CIDR are denied", () => {
  const denied = validateDnsServiceIPs(withNetwork({ serviceCidr: "", dnsServiceIPs: ["10.96.0.10"] }));
  assert.equal(denied?.message, "no service CIDRs defined");
  assert.equal(denied.field, "spec.networkProfile.serviceCidrs");
});

test("a DNS Service IP that is not an IP is denied", () => {
  const denied = validateDnsServiceIPs(
    withNetwork({ serviceCidrs: ["10.96.0.0/16"], dnsServiceIPs: ["10.96.0.10", "kube-dns"] }),
  );
  assert.equal(denied?.message, 'DNS service IP "kube-dns" is not a valid IP address');
  assert.equal(denied.field, "spec.networkProfile.dnsServiceIPs[1]");
});

test("a malformed service CIDR is denied", () => {
  const denied = validateDnsServiceIPs(
    withNetwork({ serviceCidrs: ["10.96.0.0/16", "10.300.0.0/16"], dnsServiceIPs: ["10.96.0.10"] }),
  );
  assert.equal(denied?.message, 'invalid service CIDR "10.300.0.0/16": invalid CIDR address: 10.300.0.0/16');
  assert.equal(denied.field, "spec.networkProfile.serviceCidrs[1]");
});

test("a DNS Service IP outside every service CIDR is denied, including one of the other family", () => {
  const denied = validateDnsServiceIPs(withNetwork({ serviceCidrs: ["10.96.0.0/16"], dnsServiceIPs: ["fd00::10"] }));
  assert.equal(denied?.message, 'DNS service IP "fd00::10" is not contained in any configured service CIDR');
  assert.equal(denied.field, "spec.networkProfile.dnsServiceIPs[0]");
});

// Upstream validates the stored object on UPDATE, so this update would be allowed there.
test("on UPDATE the new object is validated, not the stored one", () => {
  const stored = tenantControlPlane();
  const updated = tenantControlPlane((tcp) => {
    tcp.spec.networkProfile = { ...tcp.spec.networkProfile, dnsServiceIPs: ["192.168.0.10"] };
  });
  assert.equal(
    validateTenantControlPlane(updateRequest(stored, updated))?.message,
    'DNS service IP "192.168.0.10" is not contained in any configured service CIDR',
  );
  // And a broken stored object does not block an update that repairs it.
  assert.equal(validateTenantControlPlane(updateRequest(updated, stored)), undefined);
});
