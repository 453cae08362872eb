import { test } from "node:test";
import assert from "node:assert/strict";
import { validateName } from "../../../src/webhooks/tenantcontrolplane/index.js";
import { tenantControlPlane } from "./fixtures.js";

const named = (name: string) =>
  tenantControlPlane((tcp) => {
    tcp.metadata.name = name;
  });

const patternError =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

test("a DNS-1035 label is a valid name", () => {
  assert.equal(validateName(named("tenant-00")), undefined);
  assert.equal(validateName(named("t".repeat(63))), undefined);
});

test("a name that is not a DNS-1035 label is denied", () => {
  const denied = validateName(named("00-tenant"));
  assert.equal(denied?.message, `the provided name is invalid, ${patternError}`);
  assert.equal(denied.field, "metadata.name");
  // A valid DNS-1123 subdomain is still not a DNS-1035 label.
  assert.equal(validateName(named("tenant.a"))?.message, `the provided name is invalid, ${patternError}`);
});

test("a name longer than 63 characters is denied", () => {
  assert.equal(
    validateName(named("t".repeat(64)))?.message,
    "the provided name is invalid, must be no more than 63 characters",
  );
  assert.equal(
    validateName(named(`${"t".repeat(63)}-`))?.message,
    `the provided name is invalid, must be no more than 63 characters; ${patternError}`,
  );
});
