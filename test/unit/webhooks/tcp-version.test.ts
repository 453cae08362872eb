import { test } from "node:test";
import assert from "node:assert/strict";
import { SemVer } from "semver";
import { highestSupportedVersion, lowestSupportedVersion } from "../../../src/api/v1alpha1/versions.js";
import { validateVersionOnCreate, validateVersionOnUpdate } from "../../../src/webhooks/tenantcontrolplane/index.js";
import { tenantControlPlane } from "./fixtures.js";

const supported = { lowest: "v1.20.0", highest: "v1.35.0" };
const atVersion = (version: string, installed?: string) =>
  tenantControlPlane((tcp) => {
    tcp.spec.kubernetes.version = version;
    if (installed !== undefined) tcp.status = { kubernetesResources: { version: { version: installed } } };
  });
const onCreate = (version: string) => validateVersionOnCreate(atVersion(version), supported)?.message;
const onUpdate = (from: string, to: string) =>
  validateVersionOnUpdate(atVersion(from), atVersion(to), supported)?.message;

test("create: any version up to the supported minor, any patch, with or without the v", () => {
  for (const version of ["v1.35.0", "v1.35.9", "1.35.2", "v1.20.0", "v1.35.0-rc.1"]) {
    assert.equal(onCreate(version), undefined, version);
  }
});

test("create: a version above the supported minor is denied", () => {
  const denied = validateVersionOnCreate(atVersion("v1.36.0"), supported);
  assert.equal(
    denied?.message,
    "unable to create a TenantControlPlane with a Kubernetes version greater than the supported one, actually v1.35",
  );
  assert.equal(denied.field, "spec.kubernetes.version");
  assert.equal(
    onCreate("v2.0.0"),
    "unable to create a TenantControlPlane with a Kubernetes version greater than the supported one, actually v1.35",
  );
});

test("create: a version that does not parse is denied", () => {
  assert.equal(onCreate("v1.35"), "unable to parse the desired Kubernetes version: Invalid Version: 1.35");
  assert.equal(onCreate("latest"), "unable to parse the desired Kubernetes version: Invalid Version: latest");
});

test("by default the supported version is the project's highest", () => {
  const highest = new SemVer(highestSupportedVersion.replace(/^v/, ""));
  const next = `v${highest.major}.${highest.minor + 1}.0`;
  assert.equal(validateVersionOnCreate(atVersion(highestSupportedVersion)), undefined);
  assert.equal(
    validateVersionOnCreate(atVersion(next))?.message,
    `unable to create a TenantControlPlane with a Kubernetes version greater than the supported one, actually v${highest.major}.${highest.minor}`,
  );
  assert.equal(
    validateVersionOnUpdate(atVersion(highestSupportedVersion), atVersion(next))?.message,
    `unable to upgrade to a version greater than the supported one (v${highest.major}.${highest.minor})`,
  );
});

test("update: patch changes, the same minor and the next minor are allowed", () => {
  assert.equal(onUpdate("v1.34.2", "v1.34.2"), undefined);
  assert.equal(onUpdate("v1.34.2", "v1.34.0"), undefined);
  assert.equal(onUpdate("v1.34.2", "v1.34.9"), undefined);
  assert.equal(onUpdate("v1.34.2", "v1.35.0"), undefined);
});

test("create: a version below the lowest supported minor is denied with the range", () => {
  const denied = validateVersionOnCreate(atVersion("v1.10.0"), { lowest: "v1.33.0", highest: "v1.36.0" });
  assert.equal(denied?.message, "Kubernetes v1.10.0 is not supported: the supported versions are v1.33 to v1.36");
  assert.equal(denied.field, "spec.kubernetes.version");
  assert.equal(validateVersionOnCreate(atVersion("v1.33.0"), { lowest: "v1.33.0", highest: "v1.36.0" }), undefined);
});

test("by default the lowest supported version is the project's", () => {
  const lowest = new SemVer(lowestSupportedVersion.replace(/^v/, ""));
  const previous = `v${lowest.major}.${lowest.minor - 1}.9`;
  assert.equal(validateVersionOnCreate(atVersion(lowestSupportedVersion)), undefined);
  assert.match(
    validateVersionOnCreate(atVersion(previous))?.message ?? "",
    /is not supported: the supported versions are/,
  );
});

test("update: an unchanged version is not checked again (an object older than the range can still be edited)", () => {
  assert.equal(onUpdate("v1.10.0", "v1.10.0"), undefined);
  assert.equal(onUpdate("v1.99.0", "v1.99.0"), undefined);
});

test("update: a version below the lowest supported minor is denied", () => {
  const range = { lowest: "v1.33.0", highest: "v1.36.0" };
  assert.equal(
    validateVersionOnUpdate(atVersion("v1.32.0"), atVersion("v1.32.5"), range)?.message,
    "Kubernetes v1.32.5 is not supported: the supported versions are v1.33 to v1.36",
  );
  assert.equal(validateVersionOnUpdate(atVersion("v1.32.0"), atVersion("v1.33.1"), range), undefined);
});

test("update: the next minor waits until the control plane runs the previous upgrade", () => {
  const rolling = atVersion("v1.34.2", "v1.33.5");
  assert.equal(
    validateVersionOnUpdate(rolling, atVersion("v1.35.0"), supported)?.message,
    "unable to upgrade to v1.35.0 while the control plane still runs v1.33.5: wait until the upgrade to v1.34.2 is done (status.kubernetesResources.version.version)",
  );
  assert.equal(validateVersionOnUpdate(atVersion("v1.34.2", "v1.34.2"), atVersion("v1.35.0"), supported), undefined);
  assert.equal(validateVersionOnUpdate(rolling, atVersion("v1.34.7"), supported), undefined);
});

test("update: an unfinished upgrade can be called off, back to the minor that runs", () => {
  const stuck = atVersion("v1.35.0", "v1.34.2");
  assert.equal(validateVersionOnUpdate(stuck, atVersion("v1.34.2"), supported), undefined);
  assert.equal(
    validateVersionOnUpdate(stuck, atVersion("v1.33.0"), supported)?.message,
    "unable to downgrade a TenantControlPlane from v1.35.0 to v1.33.0",
  );
  assert.equal(
    validateVersionOnUpdate(atVersion("v1.35.0", "v1.35.0"), atVersion("v1.34.2"), supported)?.message,
    "unable to downgrade a TenantControlPlane from v1.35.0 to v1.34.2",
  );
});

test("update: a version above the supported minor is denied", () => {
  assert.equal(onUpdate("v1.35.1", "v1.36.0"), "unable to upgrade to a version greater than the supported one (v1.35)");
});

test("update: a downgrade is denied", () => {
  assert.equal(onUpdate("v1.23.0", "v1.22.0"), "unable to downgrade a TenantControlPlane from v1.23.0 to v1.22.0");
  assert.equal(onUpdate("1.23.5", "v1.22.9"), "unable to downgrade a TenantControlPlane from 1.23.5 to v1.22.9");
});

test("update: skipping a minor is denied", () => {
  assert.equal(onUpdate("v1.23.0", "v1.25.0"), "unable to upgrade to a minor version in a non-sequential mode");
});

test("update: a version that does not parse is denied", () => {
  assert.equal(
    onUpdate("v1.34.0", "v1.35.x"),
    "unable to parse the desired Kubernetes version: Invalid Version: 1.35.x",
  );
});

test("update: a stored version that does not parse can be repaired", () => {
  assert.equal(onUpdate("v1.34", "v1.34.0"), undefined);
});

test("update: nothing is checked while the object is being deleted", () => {
  const deleting = atVersion("v1.40.0");
  deleting.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
  assert.equal(validateVersionOnUpdate(atVersion("v1.35.0"), deleting, supported), undefined);
});
