import assert from "node:assert/strict";
import { test } from "node:test";
import { conventionalDnsServiceIPs } from "../../../src/net/dns-service-ip.js";

const field = (i: number) => `cidrs[${i}]`;

test("the DNS Service IP is .10 of an IPv4 service CIDR and ::10 of an IPv6 one", () => {
  assert.deepEqual(conventionalDnsServiceIPs(["10.96.0.0/16", "fd00:10:96::/112"], field), {
    ips: ["10.96.0.10", "fd00:10:96::10"],
  });
});

test("a malformed or too small service CIDR is named with its field", () => {
  assert.deepEqual(conventionalDnsServiceIPs(["10.96.0.0/16", "10.0.0.0/29"], field), {
    problem: { field: "cidrs[1]", reason: 'service CIDR "10.0.0.0/29" is too small: it has no address at offset 10' },
  });
  assert.deepEqual(conventionalDnsServiceIPs(["nonsense"], field), {
    problem: { field: "cidrs[0]", reason: "invalid CIDR address: nonsense" },
  });
});
