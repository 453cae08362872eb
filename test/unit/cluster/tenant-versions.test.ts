import assert from "node:assert/strict";
import { test } from "node:test";
import {
  coreDnsVersionFor,
  highestSupportedVersion,
  lowestSupportedVersion,
} from "../../../src/api/v1alpha1/versions.js";
import { tenantMinors, tenantRelease, versions } from "../../../tools/upstream.js";

const minorOf = (version: string) => Number(/^v1\.(\d+)/.exec(version)?.[1]);

test("the tenants table has an entry for every supported minor, at a patch of that minor", () => {
  for (let minor = minorOf(lowestSupportedVersion); minor <= minorOf(highestSupportedVersion); minor++) {
    assert.ok(tenantMinors.includes(`v1.${minor}`), `v1.${minor} is in hack/versions.json's tenants table`);
  }
  for (const key of tenantMinors) assert.equal(minorOf(tenantRelease(key).kubernetes), minorOf(key), key);
  assert.equal(tenantRelease(versions.kubernetes).kubernetes, versions.kubernetes, "the pin is its minor's release");
});

test("the images built for a tenant minor carry the CoreDNS the operator deploys for it", () => {
  for (const key of tenantMinors) {
    const release = tenantRelease(key);
    assert.equal(release.coredns, coreDnsVersionFor(release.kubernetes), key);
  }
});

test("a minor outside the table is a clear error", () => {
  assert.throws(
    () => tenantRelease("v1.20.3"),
    /no tenant release for v1\.20\.3 in hack\/versions\.json \(minors: v1\.33, /,
  );
  assert.equal(tenantRelease("v1.35").kubernetes, tenantRelease("v1.35.0").kubernetes);
});
