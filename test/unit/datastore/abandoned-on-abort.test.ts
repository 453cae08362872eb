import assert from "node:assert/strict";
import { test } from "node:test";
import { abandonedOnAbort } from "../../../src/datastore/connections.js";
import type { DataStoreConnection, TenantStorage } from "../../../src/datastore/driver.js";

const tenant: TenantStorage = { schema: "s", user: "u", password: "p" };

/** A connection to a hung server: every call waits forever; close is counted. */
function hungConnection() {
  const calls: string[] = [];
  const never = (name: string) => () => {
    calls.push(name);
    return new Promise<never>(() => undefined);
  };
  const connection: DataStoreConnection = {
    check: never("check"),
    provision: never("provision"),
    isProvisioned: never("isProvisioned"),
    teardown: never("teardown"),
    close: () => {
      calls.push("close");
      return Promise.resolve();
    },
  };
  return { connection, calls };
}

test("a call on a hung datastore is abandoned the moment the reconcile's signal fires", async () => {
  const { connection, calls } = hungConnection();
  const stop = new AbortController();
  const bound = abandonedOnAbort(connection, stop.signal);
  const pending = bound.provision(tenant);
  stop.abort(new Error("lost the lease"));
  await assert.rejects(pending, /datastore call abandoned: the reconcile was stopped/);
  assert.deepEqual(calls, ["provision"]);
});

test("after the signal fired no call is sent; closing the bound view leaves the shared connection open", async () => {
  const { connection, calls } = hungConnection();
  const stop = new AbortController();
  stop.abort();
  const bound = abandonedOnAbort(connection, stop.signal);
  await assert.rejects(bound.teardown(tenant), /abandoned/);
  await bound.close();
  assert.deepEqual(calls, []);
});

test("results and failures pass through while the signal has not fired", async () => {
  const connection: DataStoreConnection = {
    check: () => Promise.resolve(),
    provision: () => Promise.reject(new Error("refused")),
    isProvisioned: () => Promise.resolve(true),
    teardown: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const bound = abandonedOnAbort(connection, new AbortController().signal);
  assert.equal(await bound.isProvisioned(tenant), true);
  await assert.rejects(bound.provision(tenant), /refused/);
});
