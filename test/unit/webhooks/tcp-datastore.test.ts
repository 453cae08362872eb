import { test } from "node:test";
import assert from "node:assert/strict";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import {
  validateDataStoreOnCreate,
  validateDataStoreOnUpdate,
} from "../../../src/webhooks/tenantcontrolplane/index.js";
import { tenantControlPlane } from "./fixtures.js";

const dataStores: ReadonlySet<string> = new Set(["default", "etcd-primary", "etcd-secondary"]);

type Overrides = NonNullable<TenantControlPlane["spec"]["dataStoreOverrides"]>;
const using = (dataStore: string | undefined, dataStoreOverrides?: Overrides) =>
  tenantControlPlane((tcp) => {
    if (dataStore === undefined) delete tcp.spec.dataStore;
    else tcp.spec.dataStore = dataStore;
    if (dataStoreOverrides) tcp.spec.dataStoreOverrides = dataStoreOverrides;
  });

const events = (dataStore: string) => ({ resource: "/events", dataStore });

test("create: existing DataStores are accepted", () => {
  assert.equal(validateDataStoreOnCreate(using("etcd-primary", [events("etcd-secondary")]), dataStores), undefined);
  assert.equal(validateDataStoreOnCreate(using(undefined), dataStores), undefined);
});

test("create: a missing DataStore is denied", () => {
  const denied = validateDataStoreOnCreate(using("etcd-tertiary"), dataStores);
  assert.equal(denied?.message, "etcd-tertiary DataStore does not exist");
  assert.equal(denied.field, "spec.dataStore");
});

test("create: a resource overridden twice is denied", () => {
  const denied = validateDataStoreOnCreate(
    using(undefined, [events("etcd-primary"), events("etcd-secondary")]),
    dataStores,
  );
  assert.equal(denied?.message, "duplicate resource override in Spec.DataStoreOverrides");
  assert.equal(denied.field, "spec.dataStoreOverrides[1].resource");
});

test("create: an override to a missing DataStore is denied", () => {
  const denied = validateDataStoreOnCreate(using(undefined, [events("etcd-tertiary")]), dataStores);
  assert.equal(denied?.message, "etcd-tertiary DataStore does not exist");
  assert.equal(denied.field, "spec.dataStoreOverrides[0].dataStore");
});

// Upstream skips the overrides when spec.dataStore is set, so these would be allowed there.
test("create: the overrides are checked even when a dataStore is set", () => {
  assert.equal(
    validateDataStoreOnCreate(using("etcd-primary", [events("etcd-tertiary")]), dataStores)?.message,
    "etcd-tertiary DataStore does not exist",
  );
  assert.equal(
    validateDataStoreOnCreate(using("etcd-primary", [events("etcd-secondary"), events("etcd-secondary")]), dataStores)
      ?.message,
    "duplicate resource override in Spec.DataStoreOverrides",
  );
});

test("update: an existing DataStore is accepted, a missing one denied", () => {
  assert.equal(validateDataStoreOnUpdate(using("default"), using("etcd-primary"), dataStores), undefined);
  const denied = validateDataStoreOnUpdate(using("default"), using("etcd-tertiary"), dataStores);
  assert.equal(denied?.message, "etcd-tertiary DataStore does not exist");
  assert.equal(denied.field, "spec.dataStore");
});

// Upstream never checks the overrides on UPDATE, so this would be allowed there.
test("update: changed overrides are checked", () => {
  const stored = using("etcd-primary", [events("etcd-secondary")]);
  assert.equal(
    validateDataStoreOnUpdate(stored, using("etcd-primary", [events("etcd-tertiary")]), dataStores)?.message,
    "etcd-tertiary DataStore does not exist",
  );
  assert.equal(
    validateDataStoreOnUpdate(
      stored,
      using("etcd-primary", [events("etcd-secondary"), { resource: "/leases", dataStore: "etcd-secondary" }]),
      dataStores,
    ),
    undefined,
  );
});

test("update: unchanged overrides are not checked again", () => {
  const stored = using("etcd-primary", [events("etcd-secondary")]);
  const withoutSecondary: ReadonlySet<string> = new Set(["etcd-primary"]);
  assert.equal(
    validateDataStoreOnUpdate(stored, using("etcd-primary", [events("etcd-secondary")]), withoutSecondary),
    undefined,
  );
});
