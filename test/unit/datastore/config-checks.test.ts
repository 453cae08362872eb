// How every driver reads a DataStore's endpoints before connecting.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { checkedEndpoints, parseHostPort } from "../../../src/datastore/config-checks.js";
import { DataStoreError } from "../../../src/datastore/driver.js";

describe("parseHostPort", () => {
  test("reads host:port and [IPv6]:port", () => {
    assert.deepEqual(parseHostPort("127.0.0.1:6432"), { host: "127.0.0.1", port: 6432 });
    assert.deepEqual(parseHostPort("db.example.com:5432"), { host: "db.example.com", port: 5432 });
    assert.deepEqual(parseHostPort("[fd00::1]:5433"), { host: "fd00::1", port: 5433 });
    assert.deepEqual(parseHostPort("db:65535"), { host: "db", port: 65_535 });
  });

  test("refuses URLs, a missing port, bare IPv6 addresses, empty hosts and bad ports", () => {
    for (const endpoint of [
      "postgres://db:5432",
      "db",
      "fd00::1",
      "::1:3306",
      "",
      ":5432",
      "db:0",
      "db:65536",
      "db:port",
      "a b:1",
    ]) {
      assert.equal(parseHostPort(endpoint), undefined, endpoint);
    }
  });
});

describe("checkedEndpoints", () => {
  const config = { name: "store", driver: "MySQL" as const, endpoints: ["db-1:3306", "[fd00::2]:3307"] };
  const refusal = (pattern: RegExp) => (error: unknown) =>
    error instanceof DataStoreError &&
    error.reason === "InvalidConfiguration" &&
    error.dataStore === "store" &&
    pattern.test(error.message);

  test("gives every endpoint with its host and port, in the DataStore's order", () => {
    assert.deepEqual(checkedEndpoints(config, "MySQL"), [
      { endpoint: "db-1:3306", host: "db-1", port: 3306 },
      { endpoint: "[fd00::2]:3307", host: "fd00::2", port: 3307 },
    ]);
  });

  test("refuses another driver's DataStore, no endpoints, and the first endpoint that is not host:port", () => {
    assert.throws(() => checkedEndpoints(config, "PostgreSQL"), refusal(/PostgreSQL driver cannot open a MySQL/));
    assert.throws(() => checkedEndpoints({ ...config, endpoints: [] }, "MySQL"), refusal(/no endpoints/));
    assert.throws(
      () => checkedEndpoints({ ...config, endpoints: ["db-1:3306", "db-2", "db-3"] }, "MySQL"),
      refusal(/endpoint "db-2" is not host:port/),
    );
  });
});
