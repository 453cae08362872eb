import assert from "node:assert/strict";
import { test } from "node:test";
import { rotateAnnotation, rotationRequested } from "../../../src/resources/labels.js";

const annotated = (value: string) => ({ annotations: { [rotateAnnotation]: value } });

test("a rotation is requested by the annotation with any value but the time of a rotation done", () => {
  assert.equal(rotationRequested(annotated("")), true, "upstream's request");
  assert.equal(rotationRequested(annotated("now")), true);
  assert.equal(rotationRequested(annotated("2026-12-07T15:04:05Z")), false, "done at that time");
  assert.equal(rotationRequested(annotated("2026-12-07T15:04:05.123+01:00")), false);
  assert.equal(rotationRequested({ annotations: {} }), false);
  assert.equal(rotationRequested({}), false);
  assert.equal(rotationRequested(undefined), false);
});
