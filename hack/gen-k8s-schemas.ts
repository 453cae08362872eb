// Extracts the Kubernetes types that our CRDs embed (Container, Volume, Affinity, ...) from the upstream
// OpenAPI v3 documents shipped in the k8s.io/kubernetes module, and writes them as structural schemas
// (every $ref inlined, CRD-only keywords) to src/api/k8s-schemas.generated.json.
//
//   npm run gen:k8s-schemas [-- <path to k8s.io/kubernetes@vX.Y.Z module dir>]
//
// Default module dir: the Go module cache of hack/build-upstream.sh for the pinned Kubernetes version.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import versions from "./versions.json" with { type: "json" };

type JsonSchema = Record<string, unknown>;

const wanted: Record<string, string> = {
  Container: "io.k8s.api.core.v1.Container",
  Volume: "io.k8s.api.core.v1.Volume",
  VolumeMount: "io.k8s.api.core.v1.VolumeMount",
  Toleration: "io.k8s.api.core.v1.Toleration",
  Affinity: "io.k8s.api.core.v1.Affinity",
  TopologySpreadConstraint: "io.k8s.api.core.v1.TopologySpreadConstraint",
  ResourceRequirements: "io.k8s.api.core.v1.ResourceRequirements",
  SecurityContext: "io.k8s.api.core.v1.SecurityContext",
  PodSecurityContext: "io.k8s.api.core.v1.PodSecurityContext",
  ServiceStatus: "io.k8s.api.core.v1.ServiceStatus",
  LocalObjectReference: "io.k8s.api.core.v1.LocalObjectReference",
  DeploymentStrategy: "io.k8s.api.apps.v1.DeploymentStrategy",
  DeploymentStatus: "io.k8s.api.apps.v1.DeploymentStatus",
  IngressStatus: "io.k8s.api.networking.v1.IngressStatus",
  LabelSelector: "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
  Condition: "io.k8s.apimachinery.pkg.apis.meta.v1.Condition",
};

const documents = ["api__v1_openapi.json", "apis__apps__v1_openapi.json", "apis__networking.k8s.io__v1_openapi.json"];

// Keywords a structural CRD schema accepts; everything else (x-kubernetes-patch-*, unions, enums that a newer
// API server may extend) is dropped, as controller-gen does for embedded upstream types.
const keptKeywords = new Set([
  "type",
  "format",
  "description",
  "properties",
  "required",
  "items",
  "additionalProperties",
  "default",
  "minimum",
  "maximum",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "pattern",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
]);

const quantityPattern =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

// Types whose OpenAPI form is not structural; these are their CRD spellings.
const specialTypes: Record<string, JsonSchema> = {
  "io.k8s.apimachinery.pkg.api.resource.Quantity": {
    anyOf: [{ type: "integer" }, { type: "string" }],
    pattern: quantityPattern,
    "x-kubernetes-int-or-string": true,
  },
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
    anyOf: [{ type: "integer" }, { type: "string" }],
    "x-kubernetes-int-or-string": true,
  },
  "io.k8s.apimachinery.pkg.apis.meta.v1.Time": { type: "string", format: "date-time" },
  "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": { type: "string", format: "date-time" },
};

// The OpenAPI generator writes Go zero values ({}, "", 0, false) as defaults of non-pointer fields; they are not
// API defaults (a CRD rejects some of them, e.g. `{}` for an item with required fields), so only real ones stay.
function isZeroValue(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object" && value !== null) return Object.keys(value).length === 0;
  return value === "" || value === 0 || value === false;
}

function refName(ref: string): string {
  return ref.replace("#/components/schemas/", "");
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function structural(schema: JsonSchema, all: Record<string, JsonSchema>, stack: string[]): JsonSchema {
  let merged: JsonSchema = { ...schema };
  // `allOf: [{$ref}]` beside a default/description is how OpenAPI v3 attaches them to a reference.
  const allOf = merged.allOf;
  if (Array.isArray(allOf)) {
    delete merged.allOf;
    for (const part of allOf) {
      if (isObject(part)) merged = { ...structural(part, all, stack), ...merged };
    }
  }
  if (typeof merged.$ref === "string") {
    const name = refName(merged.$ref);
    delete merged.$ref;
    merged = { ...resolve(name, all, stack), ...merged };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(merged)) {
    if (key === "anyOf" || key === "x-kubernetes-int-or-string") {
      out[key] = value;
    } else if (!keptKeywords.has(key) || (key === "default" && isZeroValue(value))) {
      continue;
    } else if (key === "properties" && isObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([prop, sub]) => [prop, structural(sub as JsonSchema, all, stack)]),
      );
    } else if ((key === "items" || key === "additionalProperties") && isObject(value)) {
      out[key] = structural(value, all, stack);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function resolve(name: string, all: Record<string, JsonSchema>, stack: string[]): JsonSchema {
  const special = specialTypes[name];
  if (special) return special;
  if (stack.includes(name)) throw new Error(`recursive type ${[...stack, name].join(" -> ")} cannot be inlined`);
  const schema = all[name];
  if (!schema) throw new Error(`type ${name} not found in the OpenAPI documents`);
  return structural(schema, all, [...stack, name]);
}

function main(): void {
  const cacheDir = process.env.KAMAJI_CACHE_DIR ?? "/var/cache/kamaji-ts";
  const moduleDir = process.argv[2] ?? join(cacheDir, "go/mod", `k8s.io/kubernetes@${versions.kubernetes}`);
  const specDir = join(moduleDir, "api/openapi-spec/v3");
  if (!existsSync(specDir)) {
    throw new Error(`${specDir} not found: run hack/build-upstream.sh kubernetes first, or pass the module dir`);
  }
  const all: Record<string, JsonSchema> = {};
  for (const document of documents) {
    const parsed = JSON.parse(readFileSync(join(specDir, document), "utf8")) as {
      components: { schemas: Record<string, JsonSchema> };
    };
    Object.assign(all, parsed.components.schemas);
  }
  const out: Record<string, JsonSchema> = {};
  for (const [short, full] of Object.entries(wanted)) out[short] = resolve(full, all, []);
  const target = new URL("../src/api/k8s-schemas.generated.json", import.meta.url);
  const header = { $comment: `Generated by hack/gen-k8s-schemas.ts from k8s.io/kubernetes ${versions.kubernetes}.` };
  writeFileSync(target, JSON.stringify({ ...header, ...out }, null, 1) + "\n");
  console.log(`wrote ${target.pathname} (${Object.keys(out).length} types)`);
}

main();
