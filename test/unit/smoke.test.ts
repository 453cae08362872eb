import { test } from "node:test";
import assert from "node:assert/strict";
test("placeholder", () => {
  assert.equal(1, 1);
});
