import assert from "node:assert/strict";
import { test } from "node:test";
import { findCondition, setCondition } from "../../../src/runtime/conditions.js";

const t0 = new Date("2026-01-01T00:00:00.123Z");
const t1 = new Date("2026-01-01T00:05:00.456Z");

test("a new condition gets the transition time in whole seconds", () => {
  const list = setCondition([], { type: "Ready", status: "False", reason: "Down", message: "m" }, t0);
  assert.deepEqual(list, [
    { type: "Ready", status: "False", reason: "Down", message: "m", lastTransitionTime: "2026-01-01T00:00:00Z" },
  ]);
});

test("the same status keeps the transition time and updates reason and message", () => {
  const first = setCondition([], { type: "Ready", status: "False", reason: "Down", message: "a" }, t0);
  const second = setCondition(first, { type: "Ready", status: "False", reason: "StillDown", message: "b" }, t1);
  assert.equal(second[0]!.lastTransitionTime, "2026-01-01T00:00:00Z");
  assert.equal(second[0]!.reason, "StillDown");
  assert.equal(first[0]!.reason, "Down", "the input list is not modified");
});

test("a status change moves the transition time; other conditions keep their place", () => {
  let list = setCondition([], { type: "A", status: "True", reason: "r", message: "" }, t0);
  list = setCondition(list, { type: "B", status: "False", reason: "r", message: "" }, t0);
  list = setCondition(list, { type: "A", status: "False", reason: "r", message: "" }, t1);
  assert.deepEqual(
    list.map((c) => [c.type, c.status, c.lastTransitionTime]),
    [
      ["A", "False", "2026-01-01T00:05:00Z"],
      ["B", "False", "2026-01-01T00:00:00Z"],
    ],
  );
  assert.equal(findCondition(list, "B")?.status, "False");
  assert.equal(findCondition(list, "C"), undefined);
});
