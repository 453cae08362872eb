import { test } from "node:test";
import assert from "node:assert/strict";
import { validateCertSANs } from "../../../src/webhooks/tenantcontrolplane/index.js";
import { tenantControlPlane } from "./fixtures.js";

const withCertSANs = (certSANs: string[]) =>
  tenantControlPlane((tcp) => {
    tcp.spec.networkProfile = { ...tcp.spec.networkProfile, certSANs };
  });

const subdomainError =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const wildcardError =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const detail = `altname is not a valid IP address, DNS label or a DNS label with subdomain wildcards: ${subdomainError}; ${wildcardError}`;

test("certSANs may be DNS names, wildcard DNS names and IP addresses", () => {
  assert.equal(validateCertSANs(tenantControlPlane()), undefined);
  assert.equal(
    validateCertSANs(withCertSANs(["api.example.com", "*.example.com", "localhost", "192.0.2.10", "2001:db8::1"])),
    undefined,
  );
});

test("an invalid certSAN is denied with its index and value", () => {
  const denied = validateCertSANs(withCertSANs(["api.example.com", "192.0.2.10", "api_example.com"]));
  assert.equal(denied?.message, `spec.networkProfile.certSANs[2]: Invalid value: "api_example.com": ${detail}`);
  assert.equal(denied.field, "spec.networkProfile.certSANs[2]");
});

test("every invalid certSAN is reported, aggregated", () => {
  const denied = validateCertSANs(withCertSANs(["API.example.com", "ok.example.com", "fe80::1%eth0"]));
  assert.equal(
    denied?.message,
    `[spec.networkProfile.certSANs[0]: Invalid value: "API.example.com": ${detail}, spec.networkProfile.certSANs[2]: Invalid value: "fe80::1%eth0": ${detail}]`,
  );
  assert.equal(denied.field, "spec.networkProfile.certSANs");
});
