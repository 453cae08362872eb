// Which tenant schemas the NATS driver accepts as bucket names: exactly those the NATS clients accept (nats.go's
// bucketValid, which kine uses, and @nats-io/kv's validateBucket are both `[a-zA-Z0-9_-]+`), up to the length of a
// stream name.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { validateBucket } from "@nats-io/kv/internal";
import { MAX_BUCKET_NAME_LENGTH, natsNameProblem } from "../../../src/datastore/nats.js";

const tenant = (schema: string) => ({ schema, user: "ignored", password: "ignored" });

const accepted = [
  "tenant-a",
  "Tenant_B-2",
  "0",
  "-",
  "_",
  "default_my-tcp",
  "6c1a8a40-61b5-4c4d-a0b4-1f9c1f2b8e1d", // a UID: the default schema
  "x".repeat(MAX_BUCKET_NAME_LENGTH),
];
const refused = [
  "a.b",
  ".",
  `x"; --`,
  `"quoted"`,
  "it's",
  "a b",
  " ",
  "a\tb",
  "a\nb",
  "a\0b",
  "ünï",
  "名前",
  "a/b",
  "a\\b",
  "a*",
  "a>",
  "$KV",
  "a:b",
  "é", // letters outside ASCII, even those \w would match with the u flag
];

describe("natsNameProblem", () => {
  test("accepts letters, digits, '-' and '_' only, as the NATS clients do", () => {
    for (const name of accepted) {
      assert.equal(natsNameProblem(tenant(name)), undefined, name);
      assert.doesNotThrow(() => {
        validateBucket(name);
      }, name);
    }
    for (const name of refused) {
      assert.match(
        natsNameProblem(tenant(name)) ?? "",
        /may contain only letters, digits, "-" and "_" \(ASCII only: no dots, quotes, spaces, NUL or other characters\)/,
        JSON.stringify(name),
      );
      assert.throws(() => {
        validateBucket(name);
      }, JSON.stringify(name));
    }
  });

  test("shows the name as a JSON string, so quotes and control characters are visible", () => {
    assert.match(natsNameProblem(tenant("a.b")) ?? "", /^bucket name "a\.b" may contain only/);
    assert.match(natsNameProblem(tenant(`x"; --`)) ?? "", /^bucket name "x\\"; --"/);
    assert.match(natsNameProblem(tenant("a\0b")) ?? "", /^bucket name "a\\u0000b"/);
  });

  test("refuses the empty name", () => {
    assert.equal(natsNameProblem(tenant("")), "the bucket name (schema) is empty");
  });

  test("refuses names too long for the stream KV_<name> (255 characters at most)", () => {
    assert.equal(MAX_BUCKET_NAME_LENGTH, 252);
    assert.match(
      natsNameProblem(tenant("x".repeat(253))) ?? "",
      /is 253 characters long, over NATS's 252 \(its stream "KV_x+" may have at most 255\)/,
    );
  });

  test("ignores the tenant's user and password, which kine does not use on NATS", () => {
    assert.equal(natsNameProblem({ schema: "ok", user: "", password: "" }), undefined);
    assert.equal(natsNameProblem({ schema: "ok", user: `we"ird ü`, password: "\0" }), undefined);
  });
});
