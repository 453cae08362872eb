// The key range a tenant owns on etcd, and the names the etcd driver refuses.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { prefixEnd, tenantKeyRange, tenantNameProblem } from "../../../src/datastore/etcd.js";

const bytes = (text: string) => Buffer.from(text, "utf8");

function covers(schema: string, key: string): boolean {
  const { start, end } = tenantKeyRange(schema);
  const k = bytes(key);
  return Buffer.compare(start, k) <= 0 && Buffer.compare(k, end) < 0;
}

describe("prefixEnd", () => {
  test("increments the last byte", () => {
    assert.deepEqual(prefixEnd(bytes("/a/")), bytes("/a0"));
    assert.deepEqual(prefixEnd(bytes("abc")), bytes("abd"));
  });

  test("drops trailing 0xff bytes before incrementing", () => {
    assert.deepEqual(prefixEnd(Buffer.from([0x61, 0xff, 0xff])), Buffer.from([0x62]));
  });

  test('is "\\0" (no upper bound) when every byte is 0xff or the prefix is empty', () => {
    assert.deepEqual(prefixEnd(Buffer.from([0xff, 0xff])), Buffer.from([0]));
    assert.deepEqual(prefixEnd(Buffer.alloc(0)), Buffer.from([0]));
  });

  test("does not modify its input", () => {
    const prefix = bytes("/a/");
    prefixEnd(prefix);
    assert.deepEqual(prefix, bytes("/a/"));
  });
});

describe("tenantKeyRange", () => {
  test("is [/<schema>/, /<schema>0)", () => {
    assert.deepEqual(tenantKeyRange("cp-a"), { start: bytes("/cp-a/"), end: bytes("/cp-a0") });
  });

  test("covers every key under /<schema>/ and no sibling", () => {
    assert.ok(covers("cp-a", "/cp-a/registry/pods/default/x"));
    assert.ok(covers("cp-a", "/cp-a/"));
    for (const key of ["/cp-a", "/cp-aa/registry", "/cp-a-other/x", "/cp-a0", "/cp-b/x", "/cp-", "cp-a/x"]) {
      assert.ok(!covers("cp-a", key), key);
    }
  });

  test("encodes the schema as UTF-8", () => {
    assert.deepEqual(tenantKeyRange("ü").start, Buffer.from([0x2f, 0xc3, 0xbc, 0x2f]));
    assert.ok(covers("s\"ch 'ema\\ ü", "/s\"ch 'ema\\ ü/k"));
  });
});

describe("tenantNameProblem", () => {
  const tenant = (schema: string, user: string) => ({ schema, user, password: "" });

  test("accepts arbitrary non-empty names, slashes and quotes in the user included", () => {
    assert.equal(tenantNameProblem(tenant("default_cp-a", "default_cp-a"), "root"), undefined);
    assert.equal(tenantNameProblem(tenant("s\"ch 'ema ü", "we\"ird/us'er\\"), "root"), undefined);
  });

  test("refuses a schema whose keys would overlap another's, or an administrator's names", () => {
    const cases: [string, string, RegExp][] = [
      ["", "u", /schema is empty/],
      ["a/b", "u", /contains "\/"/],
      ["root", "u", /administrator role/],
      ["s", "", /user is empty/],
      ["s", "root", /may not be "root"/],
      ["s", "kamaji-admin", /may not be "kamaji-admin"/],
    ];
    for (const [schema, user, problem] of cases) {
      assert.match(tenantNameProblem(tenant(schema, user), "kamaji-admin") ?? "", problem, `${schema} ${user}`);
    }
  });
});
