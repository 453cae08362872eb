import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import {
  crdFileName,
  crdYaml,
  customResourceDefinition,
  openApiSchema,
  type JsonSchema,
} from "../../../src/api/crd.js";
import {
  kinds,
  tenantControlPlaneKind,
  dataStoreKind,
  kubeconfigGeneratorKind,
} from "../../../src/api/v1alpha1/kinds.js";

const committed = (dir: string, file: string) =>
  readFileSync(new URL(`../../../${dir}/${file}`, import.meta.url), "utf8");

test("committed CRDs, and the kamaji-crds chart's copies, match the schemas (run `npm run gen:crds`)", () => {
  for (const dir of ["config/crd", "charts/kamaji-crds/files"]) {
    for (const kind of kinds) {
      assert.equal(committed(dir, crdFileName(kind)), crdYaml(kind), `${dir}/${crdFileName(kind)} is out of date`);
    }
  }
});

// Visits every schema node with its path.
function visit(schema: JsonSchema, path: string, fn: (node: JsonSchema, path: string) => void): void {
  fn(schema, path);
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    visit(child, `${path}.${name}`, fn);
  }
  if (typeof schema.items === "object") visit(schema.items as JsonSchema, `${path}[]`, fn);
  if (typeof schema.additionalProperties === "object") {
    visit(schema.additionalProperties as JsonSchema, `${path}{}`, fn);
  }
}

test("CRD schemas are structural", () => {
  const forbidden = ["$ref", "$id", "$schema", "const", "patternProperties", "oneOf", "allOf", "not", "definitions"];
  for (const kind of kinds) {
    visit(openApiSchema(kind), kind.kind, (node, path) => {
      for (const key of forbidden) assert.ok(!(key in node), `${path} has ${key}`);
      const typed =
        typeof node.type === "string" ||
        node["x-kubernetes-int-or-string"] === true ||
        node["x-kubernetes-preserve-unknown-fields"] === true;
      assert.ok(typed, `${path} has no type`);
      assert.ok(node.additionalProperties !== false, `${path} sets additionalProperties: false`);
      assert.ok(!(node.properties && node.additionalProperties), `${path} has properties and additionalProperties`);
      if (Array.isArray(node.required)) {
        const properties = (node.properties ?? {}) as Record<string, unknown>;
        for (const name of node.required as string[]) assert.ok(name in properties, `${path} requires unknown ${name}`);
      }
    });
  }
});

test("list-map keys are required or defaulted, as the API server demands", () => {
  let checked = 0;
  for (const kind of kinds) {
    visit(openApiSchema(kind), kind.kind, (node, path) => {
      const keys = node["x-kubernetes-list-map-keys"] as string[] | undefined;
      if (!keys) return;
      const item = node.items as JsonSchema;
      const required = (item.required ?? []) as string[];
      const properties = item.properties as Record<string, JsonSchema>;
      for (const key of keys) {
        assert.ok(required.includes(key) || properties[key]?.default !== undefined, `${path}: map key ${key}`);
        checked++;
      }
    });
  }
  assert.ok(checked > 0);
});

test("every default validates against its own schema", () => {
  const ajv = new Ajv({ strict: false, validateFormats: false });
  let checked = 0;
  for (const kind of kinds) {
    visit(openApiSchema(kind), kind.kind, (node, path) => {
      if (node.default === undefined) return;
      const { default: value, ...schema } = node;
      assert.ok(ajv.validate(schema, value), `${path}: default ${JSON.stringify(value)} is invalid`);
      checked++;
    });
  }
  assert.ok(checked > 20, `only ${checked} defaults checked`);
});

test("TenantControlPlane CRD: names, printer columns, status and scale subresources", () => {
  const crd = customResourceDefinition(tenantControlPlaneKind) as {
    metadata: { name: string };
    spec: { scope: string; names: Record<string, unknown>; versions: Record<string, unknown>[] };
  };
  assert.equal(crd.metadata.name, "tenantcontrolplanes.kamaji.clastix.io");
  assert.equal(crd.spec.scope, "Namespaced");
  assert.deepEqual(crd.spec.names.shortNames, ["tcp"]);
  assert.deepEqual(crd.spec.names.categories, ["kamaji"]);
  const [version] = crd.spec.versions;
  assert.ok(version);
  const columns = version.additionalPrinterColumns as { name: string; jsonPath: string }[];
  assert.deepEqual(
    columns.map((c) => [c.name, c.jsonPath]),
    [
      ["Version", ".spec.kubernetes.version"],
      ["Installed Version", ".status.kubernetesResources.version.version"],
      ["Status", ".status.kubernetesResources.version.status"],
      ["Control-Plane endpoint", ".status.controlPlaneEndpoint"],
      ["Kubeconfig", ".status.kubeconfig.admin.secretName"],
      ["Datastore", ".status.storage.dataStoreName"],
      ["Age", ".metadata.creationTimestamp"],
    ],
  );
  assert.deepEqual(version.subresources, {
    status: {},
    scale: {
      specReplicasPath: ".spec.controlPlane.deployment.replicas",
      statusReplicasPath: ".status.kubernetesResources.deployment.replicas",
      labelSelectorPath: ".status.kubernetesResources.deployment.selector",
    },
  });
});

test("DataStore and KubeconfigGenerator CRDs are cluster-scoped with their columns", () => {
  const ds = customResourceDefinition(dataStoreKind) as {
    spec: { scope: string; versions: Record<string, unknown>[] };
  };
  assert.equal(ds.spec.scope, "Cluster");
  const dsColumns = (ds.spec.versions[0]?.additionalPrinterColumns ?? []) as { name: string }[];
  assert.deepEqual(
    dsColumns.map((c) => c.name),
    ["Driver", "Ready", "Age"],
  );
  const kc = customResourceDefinition(kubeconfigGeneratorKind) as {
    spec: { scope: string; names: { shortNames: string[]; categories: string[] } };
  };
  assert.equal(kc.spec.scope, "Cluster");
  assert.deepEqual(kc.spec.names.shortNames, ["kc"]);
  assert.deepEqual(kc.spec.names.categories, ["kamaji"]);
});

test("every field of our own types carries a description for kubectl explain", () => {
  const missing: string[] = [];
  visit(openApiSchema(tenantControlPlaneKind), "tcp", (node, path) => {
    if (
      path !== "tcp.metadata" &&
      path.split(".").length <= 3 &&
      node.type === "object" &&
      node.description === undefined
    )
      missing.push(path);
  });
  assert.deepEqual(missing, []);
});
