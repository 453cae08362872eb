import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { validateResource } from "../../../src/api/validation.js";
import { kinds, tenantControlPlaneKind, type TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import {
  defaultTenantControlPlane,
  allTenantControlPlaneDenials,
} from "../../../src/webhooks/tenantcontrolplane/index.js";

const samplesDir = new URL("../../../config/samples/", import.meta.url);
const files = readdirSync(samplesDir).filter((f) => f.endsWith(".yaml"));
const load = (file: string) => parseAllDocuments(readFileSync(new URL(file, samplesDir), "utf8"));

test("there is a sample for every DataStore driver and every TenantControlPlane flavour", () => {
  for (const expected of ["etcd", "postgresql", "mysql", "nats"])
    assert.ok(files.includes(`datastore-${expected}.yaml`));
  for (const expected of ["minimal", "konnectivity", "ingress", "gateway", "overrides"]) {
    assert.ok(files.includes(`tenantcontrolplane-${expected}.yaml`), expected);
  }
});

for (const file of files) {
  test(`sample ${file} is valid`, () => {
    const documents = load(file);
    assert.ok(documents.length > 0);
    for (const document of documents) {
      assert.deepEqual(document.errors, []);
      const object = document.toJS() as { kind: string };
      const kind = kinds.find((k) => k.kind === object.kind);
      assert.ok(kind, `${file}: unknown kind ${object.kind}`);
      assert.deepEqual(validateResource(kind, object).errors, [], file);
    }
  });
}

test("every TenantControlPlane sample passes the admission webhooks, given the sample DataStores", () => {
  const dataStores = new Set(["default", "etcd-events", "postgresql", "mysql", "nats"]);
  for (const file of files.filter((f) => f.startsWith("tenantcontrolplane-"))) {
    for (const document of load(file)) {
      const validated = validateResource(tenantControlPlaneKind, document.toJS())
        .object as unknown as TenantControlPlane;
      const defaulted = defaultTenantControlPlane(validated, { defaultDataStore: "default" });
      if (defaulted instanceof Error) assert.fail(`${file}: ${defaulted.message}`);
      const denials = allTenantControlPlaneDenials({
        operation: "CREATE",
        object: defaulted,
        cluster: { dataStores, gatewayApiAvailable: true, tlsRouteAvailable: true },
      });
      assert.deepEqual(
        denials.map((d) => d.message),
        [],
        file,
      );
    }
  }
});
