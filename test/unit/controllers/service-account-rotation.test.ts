import assert from "node:assert/strict";
import { test } from "node:test";
import {
  planServiceAccountKeys,
  previousKeyUntilAnnotation,
  type ServiceAccountSecretState,
} from "../../../src/controllers/tenantcontrolplane/service-account-rotation.js";
import { rotationStageAnnotation } from "../../../src/controllers/tenantcontrolplane/rotation.js";

const pub = (name: string) => `-----BEGIN PUBLIC KEY-----\n${name}\n-----END PUBLIC KEY-----\n`;
const key = (name: string) => `-----BEGIN PRIVATE KEY-----\n${name}\n-----END PRIVATE KEY-----\n`;
const rotate = "certs.kamaji.clastix.io/rotate";
const now = new Date("2026-12-07T12:00:00Z");
const graceMs = 3_600_000;

const state = (over: Partial<ServiceAccountSecretState>): ServiceAccountSecretState => ({
  data: { "sa.key": key("old"), "sa.pub": pub("old") },
  annotations: {},
  rolledOut: true,
  now,
  graceMs,
  ...over,
});
let generated = 0;
const generate = () => {
  generated += 1;
  return Promise.resolve({ signing: key("new"), signingPublic: pub("new") });
};

test("no rotation asked for: the keys stay and nothing is generated", async () => {
  generated = 0;
  const plan = await planServiceAccountKeys(state({ annotations: { [rotate]: "2026-01-01T00:00:00Z" } }), generate);
  assert.deepEqual(plan.data, { "sa.key": key("old"), "sa.pub": pub("old") });
  assert.deepEqual(plan.annotations, {});
  assert.equal(plan.finished, false);
  assert.equal(generated, 0);
});

test("stage 1: the new public key is trusted while the old key still signs", async () => {
  const plan = await planServiceAccountKeys(state({ annotations: { [rotate]: "" } }), generate);
  assert.deepEqual(plan.data, { "sa.key": key("old"), "sa.pub": pub("old") + pub("new"), "sa-next.key": key("new") });
  assert.deepEqual(plan.annotations, { [rotationStageAnnotation]: "TrustingNewKey" });
  assert.equal(plan.finished, false);
});

test("stage 1 waits for the pods to run with it, then stage 2 signs with the new key and keeps the old one", async () => {
  const trusting = {
    data: { "sa.key": key("old"), "sa.pub": pub("old") + pub("new"), "sa-next.key": key("new") },
    annotations: { [rotate]: "", [rotationStageAnnotation]: "TrustingNewKey" },
  };
  const waiting = await planServiceAccountKeys(state({ ...trusting, rolledOut: false }), generate);
  assert.deepEqual(waiting.data, trusting.data);
  assert.deepEqual(waiting.annotations, { [rotationStageAnnotation]: "TrustingNewKey" });

  const signing = await planServiceAccountKeys(state(trusting), generate);
  assert.deepEqual(signing.data, { "sa.key": key("new"), "sa.pub": pub("new") + pub("old") });
  assert.deepEqual(signing.annotations, {
    [rotationStageAnnotation]: "SigningWithNewKey",
    [previousKeyUntilAnnotation]: "2026-12-07T13:00:00Z",
  });
  assert.deepEqual(signing.waitUntil, new Date("2026-12-07T13:00:00Z"));
});

test("stage 2 keeps the old key through the grace period, then drops it and the rotation is finished", async () => {
  const signing = {
    data: { "sa.key": key("new"), "sa.pub": pub("new") + pub("old") },
    annotations: {
      [rotate]: "",
      [rotationStageAnnotation]: "SigningWithNewKey",
      [previousKeyUntilAnnotation]: "2026-12-07T13:00:00Z",
    },
  };
  const early = await planServiceAccountKeys(state(signing), generate);
  assert.deepEqual(early.data, signing.data);
  assert.equal(early.finished, false);
  assert.deepEqual(early.waitUntil, new Date("2026-12-07T13:00:00Z"));

  const done = await planServiceAccountKeys(state({ ...signing, now: new Date("2026-12-07T13:00:01Z") }), generate);
  assert.deepEqual(done.data, { "sa.key": key("new"), "sa.pub": pub("new") });
  assert.deepEqual(done.annotations, {});
  assert.equal(done.finished, true);
});

test("a rotation asked for again while one runs does not start a second one", async () => {
  generated = 0;
  const trusting = {
    data: { "sa.key": key("old"), "sa.pub": pub("old") + pub("new"), "sa-next.key": key("new") },
    // Asked for again (the annotation set to "" once more) during stage 1.
    annotations: { [rotate]: "", [rotationStageAnnotation]: "TrustingNewKey" },
  };
  const plan = await planServiceAccountKeys(state({ ...trusting, rolledOut: false }), generate);
  assert.equal(generated, 0, "no second key");
  assert.deepEqual(plan.data, trusting.data);
});
