// How every driver words its errors: the tenant context, a refused configuration, and a failed step with the
// driver's diagnosis.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DriverErrors, type DriverErrorsOptions } from "../../../src/datastore/driver-errors.js";
import { DataStoreError } from "../../../src/datastore/driver.js";

const tenant = { schema: "cp-a", user: "cp-a-user", password: "secret" };
const errors = (options: Partial<DriverErrorsOptions> = {}) =>
  new DriverErrors({
    dataStore: "store",
    server: "db:5432",
    diagnose: () => ({ reason: "OperationFailed", detail: "it broke" }),
    ...options,
  });

describe("DriverErrors.tenantContext", () => {
  test("names the operation and the tenant's schema and user, or how the driver names a tenant", () => {
    assert.equal(errors().tenantContext("provision", tenant), 'provision of tenant schema "cp-a" (user "cp-a-user")');
    const buckets = errors({ tenantName: (t) => `bucket ${JSON.stringify(t.schema)}` });
    assert.equal(buckets.tenantContext("teardown", tenant), 'teardown of tenant bucket "cp-a"');
  });

  test("refuses a tenant whose names the driver cannot use, with InvalidConfiguration", () => {
    const refusing = errors({ tenantNameProblem: (t) => (t.schema === "cp-a" ? "the schema is taken" : undefined) });
    assert.throws(
      () => refusing.tenantContext("provision", tenant),
      (error) =>
        error instanceof DataStoreError &&
        error.dataStore === "store" &&
        error.reason === "InvalidConfiguration" &&
        error.message === 'DataStore store: provision of tenant schema "cp-a" (user "cp-a-user"): the schema is taken',
    );
    assert.equal(
      refusing.tenantContext("provision", { ...tenant, schema: "cp-b" }),
      'provision of tenant schema "cp-b" (user "cp-a-user")',
    );
  });
});

describe("DriverErrors.invalid", () => {
  test("puts the problem after the context, and keeps a cause only when there is one", () => {
    const cause = new Error("already exists");
    const withCause = errors().invalid("provision of tenant bucket", "the bucket is someone else's", cause);
    assert.equal(withCause.message, "DataStore store: provision of tenant bucket: the bucket is someone else's");
    assert.equal(withCause.reason, "InvalidConfiguration");
    assert.equal(withCause.cause, cause);
    assert.equal("cause" in errors().invalid("check", "no"), false);
  });
});

describe("DriverErrors.failure", () => {
  const cause = new Error("ECONNREFUSED");

  test("names the step and the server, with the driver's diagnosis and the error as cause", () => {
    const failure = errors().failure("check", "run SELECT 1", cause);
    assert.equal(failure.message, "DataStore store: check: run SELECT 1 failed, on db:5432: it broke");
    assert.equal(failure.reason, "OperationFailed");
    assert.equal(failure.cause, cause);
  });

  test("says the server is unreachable, with the driver's note", () => {
    const unreachable = () => ({ reason: "Unreachable" as const, detail: "refused" });
    assert.equal(
      errors({ diagnose: unreachable }).failure("check", "connect", cause).message,
      "DataStore store: check: connect failed, db:5432 unreachable: refused",
    );
    assert.equal(
      errors({ diagnose: unreachable, unreachableNote: "deadline 5 s" }).failure("check", "connect", cause).message,
      "DataStore store: check: connect failed, db:5432 unreachable (deadline 5 s): refused",
    );
  });

  test("takes a diagnosis the driver made itself over its diagnose", () => {
    const failure = errors().failure("check", "verify administrator access", cause, {
      reason: "Unauthorized",
      detail: "no such user",
    });
    assert.equal(failure.reason, "Unauthorized");
    assert.equal(
      failure.message,
      "DataStore store: check: verify administrator access failed, on db:5432: no such user",
    );
  });
});
