import assert from "node:assert/strict";
import { test } from "node:test";
import { upgradePlanProblem } from "../../../src/controllers/tenantcontrolplane/upgrade-step.js";

test("upgrade plan: a fresh tenant, the same version, a patch or the next minor is available", () => {
  assert.equal(upgradePlanProblem(undefined, "v1.34.10"), undefined);
  assert.equal(upgradePlanProblem("", "v1.34.10"), undefined);
  assert.equal(upgradePlanProblem("v1.34.10", "v1.34.10"), undefined);
  assert.equal(upgradePlanProblem("v1.34.10", "v1.34.2"), undefined);
  assert.equal(upgradePlanProblem("v1.33.13", "v1.34.10"), undefined);
});

test("upgrade plan: a skipped minor or a minor downgrade is refused, naming both versions", () => {
  assert.equal(
    upgradePlanProblem("v1.33.13", "v1.35.8"),
    "the required upgrade plan is not available: the control plane runs v1.33.13 and spec.kubernetes.version asks for v1.35.8, more than one minor at once; set a version of the same or the next minor",
  );
  assert.match(upgradePlanProblem("v1.35.8", "v1.34.10") ?? "", /runs v1\.35\.8 .* asks for v1\.34\.10, a downgrade;/);
  assert.match(upgradePlanProblem("v1.34.10", "v2.0.0") ?? "", /more than one minor at once/);
});

test("upgrade plan: an unparsable version is reported, not thrown", () => {
  assert.match(
    upgradePlanProblem("v1.34.10", "latest") ?? "",
    /cannot compare the running version v1\.34\.10 with spec\.kubernetes\.version latest/,
  );
});
