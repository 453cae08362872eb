import { test } from "node:test";
import assert from "node:assert/strict";
import {
  dns1035LabelErrors,
  dns1123SubdomainErrors,
  wildcardDns1123SubdomainErrors,
} from "../../../src/net/dns-name.js";

const dns1035PatternError =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const dns1123PatternError =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const wildcardPatternError =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

test("DNS-1035 labels", () => {
  for (const ok of ["a", "tenant-a", "abc-123", "a".repeat(63)]) assert.deepEqual(dns1035LabelErrors(ok), [], ok);
  for (const bad of ["", "1tenant", "tenant-", "Tenant", "tenant.a", "tenant_a"]) {
    assert.deepEqual(dns1035LabelErrors(bad), [dns1035PatternError], bad);
  }
  assert.deepEqual(dns1035LabelErrors("a".repeat(64)), ["must be no more than 63 characters"]);
  assert.deepEqual(dns1035LabelErrors(`-${"a".repeat(63)}`), [
    "must be no more than 63 characters",
    dns1035PatternError,
  ]);
});

test("DNS-1123 subdomains", () => {
  for (const ok of ["example.com", "1.2.3.4", "a", "kube-apiserver.tenants.svc"]) {
    assert.deepEqual(dns1123SubdomainErrors(ok), [], ok);
  }
  for (const bad of ["", "Example.com", "a..b", "-a.com", "a_b.com", "*.example.com"]) {
    assert.deepEqual(dns1123SubdomainErrors(bad), [dns1123PatternError], bad);
  }
  const long = `${"a".repeat(63)}.`.repeat(4) + "a";
  assert.equal(long.length, 257);
  assert.deepEqual(dns1123SubdomainErrors(long), ["must be no more than 253 characters"]);
});

test("wildcard DNS-1123 subdomains", () => {
  assert.deepEqual(wildcardDns1123SubdomainErrors("*.example.com"), []);
  for (const bad of ["example.com", "*example.com", "*.*.example.com", "a.*.example.com", "*."]) {
    assert.deepEqual(wildcardDns1123SubdomainErrors(bad), [wildcardPatternError], bad);
  }
});
