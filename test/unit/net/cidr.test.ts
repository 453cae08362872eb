import { test } from "node:test";
import assert from "node:assert/strict";
import { addressAt, cidrContains, type CIDR } from "../../../src/net/cidr.js";
import { parseCIDR, parseIP, type IPAddress } from "../../../src/net/ip.js";

const cidr = (text: string): CIDR => parseCIDR(text) ?? assert.fail(`not a CIDR: ${text}`);
const ip = (text: string): IPAddress => parseIP(text) ?? assert.fail(`not an IP: ${text}`);

test("addressAt counts from the network address, whatever host bits the CIDR carries", () => {
  assert.equal(addressAt(cidr("10.96.0.0/16"), 10n)?.toString(), "10.96.0.10");
  assert.equal(addressAt(cidr("10.96.3.7/16"), 10n)?.toString(), "10.96.0.10");
  assert.equal(addressAt(cidr("10.96.0.0/16"), 0n)?.toString(), "10.96.0.0");
  assert.equal(addressAt(cidr("10.0.0.0/16"), 300n)?.toString(), "10.0.1.44");
});

test("addressAt works on IPv6 blocks", () => {
  assert.equal(addressAt(cidr("fd00:10:96::/112"), 16n)?.toString(), "fd00:10:96::10");
  assert.equal(addressAt(cidr("2001:db8::ff00/120"), 0x10n)?.toString(), "2001:db8::ff10");
  assert.equal(addressAt(cidr("::/0"), (1n << 128n) - 1n)?.toString(), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
});

test("addressAt is undefined outside the block", () => {
  assert.equal(addressAt(cidr("10.96.0.0/30"), 10n), undefined);
  assert.equal(addressAt(cidr("10.96.0.0/30"), 4n), undefined);
  assert.equal(addressAt(cidr("10.96.0.0/30"), 3n)?.toString(), "10.96.0.3");
  assert.equal(addressAt(cidr("10.96.0.10/32"), 0n)?.toString(), "10.96.0.10");
  assert.equal(addressAt(cidr("10.96.0.10/32"), 1n), undefined);
  assert.equal(addressAt(cidr("fd00::/124"), 16n), undefined);
  assert.equal(addressAt(cidr("10.96.0.0/16"), -1n), undefined);
});

test("cidrContains checks the network bits and the IP family", () => {
  assert.equal(cidrContains(cidr("10.96.0.0/16"), ip("10.96.255.255")), true);
  assert.equal(cidrContains(cidr("10.96.0.0/16"), ip("10.97.0.0")), false);
  assert.equal(cidrContains(cidr("10.96.0.0/12"), ip("10.111.0.1")), true);
  assert.equal(cidrContains(cidr("10.96.0.0/12"), ip("10.112.0.1")), false);
  assert.equal(cidrContains(cidr("0.0.0.0/0"), ip("192.0.2.1")), true);
  assert.equal(cidrContains(cidr("fd00::/108"), ip("fd00::10")), true);
  assert.equal(cidrContains(cidr("fd00::/108"), ip("fd00::1:0:0")), false);
  assert.equal(cidrContains(cidr("::/0"), ip("10.96.0.10")), false);
  assert.equal(cidrContains(cidr("0.0.0.0/0"), ip("::ffff:10.96.0.10")), false);
});
