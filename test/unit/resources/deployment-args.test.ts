import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  argsChecksum,
  flagName,
  mergeApiServerFlags,
  mergeFlags,
  parseFlags,
  renderFlags,
  type ApiServerFlagLayers,
} from "../../../src/resources/deployment/args.js";

test("flag names and values split at the first '='", () => {
  assert.equal(flagName("--feature-gates=A=true"), "--feature-gates");
  assert.equal(flagName("--profiling"), "--profiling");
  assert.deepEqual(
    [...parseFlags(["--feature-gates=A=true,B=false", "--profiling", "--v=2", "--v=4"])],
    [
      ["--feature-gates", "A=true,B=false"],
      ["--profiling", ""],
      ["--v", "4"],
    ],
  );
});

test("later layers override earlier ones; rendering sorts and leaves valueless flags bare", () => {
  const merged = mergeFlags(
    new Map([
      ["--b", "1"],
      ["--a", "1"],
    ]),
    parseFlags(["--a=2", "--profiling"]),
  );
  assert.deepEqual(renderFlags(merged), ["--a=2", "--b=1", "--profiling"]);
});

test("the args checksum is order-sensitive and separates values", () => {
  const md5 = (text: string) => createHash("md5").update(text).digest("hex");
  assert.equal(argsChecksum([]), md5(""));
  assert.equal(argsChecksum(["--v=4"]), md5("--v=4\0"));
  assert.notEqual(argsChecksum(["--a", "--b"]), argsChecksum(["--b", "--a"]));
  assert.notEqual(argsChecksum(["ab", "c"]), argsChecksum(["a", "bc"]));
});

const layers = (overrides: Partial<ApiServerFlagLayers>): ApiServerFlagLayers => ({
  current: [],
  user: [],
  safeDefaults: new Map([["--allow-privileged", "true"]]),
  managed: new Map([["--secure-port", "6443"]]),
  kamajiOnly: new Set(["--etcd-prefix"]),
  ...overrides,
});

test("apiserver flags: a sorted Kamaji segment, then the user's extras verbatim", () => {
  const cases: { name: string; layers: Partial<ApiServerFlagLayers>; expected: string[] }[] = [
    { name: "defaults only", layers: {}, expected: ["--allow-privileged=true", "--secure-port=6443"] },
    {
      name: "user overrides a safe default and keeps duplicates in order",
      layers: { user: ["--z=1", "--allow-privileged=false", "--z=0"] },
      expected: ["--secure-port=6443", "--z=1", "--allow-privileged=false", "--z=0"],
    },
    {
      name: "user duplicates of managed flags are dropped",
      layers: { user: ["--secure-port=1", "--v=4"] },
      expected: ["--allow-privileged=true", "--secure-port=6443", "--v=4"],
    },
    {
      name: "foreign flags on the container are kept and sorted in",
      layers: { current: ["--egress=x", "--a-foreign"] },
      expected: ["--a-foreign", "--allow-privileged=true", "--egress=x", "--secure-port=6443"],
    },
    {
      name: "stale Kamaji, managed, default and user flags on the container are not carried over",
      layers: {
        current: ["--etcd-prefix=/old", "--secure-port=1", "--allow-privileged=false", "--v=1"],
        user: ["--v=4"],
      },
      expected: ["--allow-privileged=true", "--secure-port=6443", "--v=4"],
    },
  ];
  for (const c of cases) assert.deepEqual(mergeApiServerFlags(layers(c.layers)), c.expected, c.name);
});
