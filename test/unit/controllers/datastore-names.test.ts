// The names a tenant gets on its DataStore: recorded names win, MySQL's default user fits its 32-character limit,
// and names kine would misread in its endpoint URL are refused.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import { kineNameProblem, tenantStorageNames } from "../../../src/controllers/tenantcontrolplane/datastore-steps.js";

const uid = "0b6f3c1e-7d2a-4c55-9a0e-2f1d3c4b5a69";

function tcp(spec: Partial<TenantControlPlane["spec"]> = {}, setup?: { schema: string; user: string }) {
  return {
    metadata: { name: "t", namespace: "ns", uid },
    spec: { ...spec },
    ...(setup === undefined ? {} : { status: { storage: { setup } } }),
  } as unknown as TenantControlPlane;
}

describe("tenantStorageNames", () => {
  test("defaults both names to the UID", () => {
    assert.deepEqual(tenantStorageNames(tcp(), "PostgreSQL"), { schema: uid, user: uid });
    assert.deepEqual(tenantStorageNames(tcp(), "etcd"), { schema: uid, user: uid });
  });

  test("on MySQL the default user is the UID without dashes, 32 characters", () => {
    const { schema, user } = tenantStorageNames(tcp(), "MySQL");
    assert.equal(schema, uid);
    assert.equal(user, "0b6f3c1e7d2a4c559a0e2f1d3c4b5a69");
    assert.equal(user.length, 32);
  });

  test("the spec wins over the default, and what status recorded wins over the spec", () => {
    const named = tcp({ dataStoreSchema: "db", dataStoreUsername: "someone" });
    assert.deepEqual(tenantStorageNames(named, "MySQL"), { schema: "db", user: "someone" });
    const recorded = tcp({ dataStoreSchema: "db", dataStoreUsername: "someone" }, { schema: "old", user: uid });
    assert.deepEqual(tenantStorageNames(recorded, "MySQL"), { schema: "old", user: uid });
  });
});

describe("kineNameProblem", () => {
  test("accepts UIDs and plain names", () => {
    assert.equal(kineNameProblem({ schema: uid, user: uid.replaceAll("-", "") }), undefined);
    assert.equal(kineNameProblem({ schema: "tenant_a-1", user: "A" }), undefined);
  });

  test("names the field and the rule for anything that would change kine's URL", () => {
    for (const schema of ["a/b", "a?b", "a.b", "x'; --", "名前", ""]) {
      const problem = kineNameProblem({ schema, user: "u" });
      assert.match(problem ?? "", /^spec\.dataStoreSchema .*kine allows only letters, digits, "-" and "_"$/, schema);
    }
    for (const user of ["a@b", "a:b", "a%40"]) {
      assert.match(kineNameProblem({ schema: "s", user }) ?? "", /^spec\.dataStoreUsername /, user);
    }
  });
});
