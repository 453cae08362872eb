// Validates an object of one of our kinds the way the API server validates a custom resource: structural
// defaulting, the OpenAPI schema, unknown fields, then the CEL rules. The schema is the generated CRD schema,
// so what passes here passes the API server, and errors read like the API server's (field path + reason).
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { evaluateRule, isTransitionRule } from "./cel.js";
import type { CelRule } from "./schema.js";
import { openApiSchema, type JsonSchema } from "./crd.js";
import type { KindDefinition } from "./v1alpha1/kinds.js";

export interface FieldError {
  /** Path of the offending field, e.g. `spec.controlPlane.service.serviceType`. */
  field: string;
  message: string;
}

export class ValidationError extends Error {
  constructor(
    readonly kind: string,
    readonly objectName: string,
    readonly errors: FieldError[],
  ) {
    super(
      `${kind} ${JSON.stringify(objectName)} is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join("; ")}`,
    );
    this.name = "ValidationError";
  }
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, verbose: true });
ajv.addFormat("int32", {
  type: "number",
  validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
});
ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isSafeInteger(n) });
ajv.addFormat("byte", /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
ajv.addFormat("date-time", { type: "string", validate: (s: string) => !Number.isNaN(Date.parse(s)) });

interface CompiledKind {
  schema: JsonSchema;
  check: ValidateFunction;
}
const compiledKinds = new Map<string, CompiledKind>();

function compiledFor(def: KindDefinition): CompiledKind {
  let compiled = compiledKinds.get(def.kind);
  if (!compiled) {
    const schema = openApiSchema(def);
    // The status subresource owns status: on create and update the API server ignores what a client sends.
    const properties = { ...(schema.properties as Record<string, JsonSchema>) };
    delete properties.status;
    const objectSchema = { ...schema, properties };
    compiled = { schema: objectSchema, check: ajv.compile(objectSchema) };
    compiledKinds.set(def.kind, compiled);
  }
  return compiled;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const childPath = (path: string, key: string | number) =>
  typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;

/** Applies `default` values to missing fields of objects that are present, as the API server does. */
export function applyDefaults(schema: JsonSchema, value: unknown): void {
  if (Array.isArray(value) && isPlainObject(schema.items)) {
    for (const item of value) applyDefaults(schema.items, item);
    return;
  }
  if (!isPlainObject(value)) return;
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (properties) {
    for (const [key, propertySchema] of Object.entries(properties)) {
      if (value[key] === null) Reflect.deleteProperty(value, key);
      if (value[key] === undefined && propertySchema.default !== undefined) {
        value[key] = structuredClone(propertySchema.default);
      }
      applyDefaults(propertySchema, value[key]);
    }
  }
  if (isPlainObject(schema.additionalProperties)) {
    for (const item of Object.values(value)) applyDefaults(schema.additionalProperties, item);
  }
}

function describeAjvError(error: ErrorObject): FieldError {
  const segments = error.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  const field = segments.reduce<string>((path, s) => childPath(path, /^\d+$/.test(s) ? Number(s) : s), "");
  const params = error.params as Record<string, unknown>;
  const data = JSON.stringify(error.data);
  switch (error.keyword) {
    case "required":
      return { field: childPath(field, String(params.missingProperty)), message: "Required value" };
    case "enum":
      return {
        field,
        message: `Unsupported value: ${data}: supported values: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "type":
      return { field, message: `Invalid value: ${data}: must be of type ${String(params.type)}` };
    case "pattern":
      return { field, message: `Invalid value: ${data}: must match ${JSON.stringify(params.pattern)}` };
    case "format":
      return { field, message: `Invalid value: ${data}: must be a valid ${String(params.format)}` };
    case "anyOf":
      return { field, message: `Invalid value: ${data}: must be an integer or a string` };
    default:
      return { field, message: `Invalid value: ${data}: ${error.message ?? error.keyword}` };
  }
}

function hasOpenFields(schema: JsonSchema): boolean {
  return (
    schema["x-kubernetes-preserve-unknown-fields"] === true ||
    schema.additionalProperties !== undefined ||
    schema.properties === undefined
  );
}

/** listType set: items are unique; listType map: the map keys of the items are unique. */
function reportDuplicates(schema: JsonSchema, list: unknown[], path: string, errors: FieldError[]): void {
  const listType = schema["x-kubernetes-list-type"];
  if (listType !== "set" && listType !== "map") return;
  const mapKeys = (schema["x-kubernetes-list-map-keys"] as string[] | undefined) ?? [];
  const seen = new Set<string>();
  list.forEach((item, index) => {
    const identity =
      listType === "set"
        ? JSON.stringify(item)
        : JSON.stringify(Object.fromEntries(mapKeys.map((k) => [k, isPlainObject(item) ? item[k] : undefined])));
    if (seen.has(identity)) errors.push({ field: childPath(path, index), message: `Duplicate value: ${identity}` });
    seen.add(identity);
  });
}

/** Reports fields the schema does not know (the API server's strict field validation) and failing CEL rules. */
function walk(
  schema: JsonSchema,
  value: unknown,
  old: unknown,
  path: string,
  errors: FieldError[],
  withRules: boolean,
): void {
  if (value === undefined) return;
  const rules = withRules ? ((schema["x-kubernetes-validations"] as CelRule[] | undefined) ?? []) : [];
  for (const { rule, message } of rules) {
    if (isTransitionRule(rule) && old === undefined) continue;
    try {
      if (!evaluateRule(rule, value, old)) errors.push({ field: path, message: `Invalid value: ${message}` });
    } catch (error) {
      errors.push({ field: path, message: `rule ${JSON.stringify(rule)} failed: ${(error as Error).message}` });
    }
  }
  if (Array.isArray(value)) reportDuplicates(schema, value, path, errors);
  if (Array.isArray(value) && isPlainObject(schema.items)) {
    const items = schema.items;
    value.forEach((item, index) => {
      walk(items, item, undefined, childPath(path, index), errors, withRules);
    });
    return;
  }
  if (!isPlainObject(value)) return;
  const oldObject = isPlainObject(old) ? old : {};
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [key, item] of Object.entries(value)) {
    const propertySchema =
      properties[key] ?? (isPlainObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
    if (propertySchema) {
      walk(propertySchema, item, oldObject[key], childPath(path, key), errors, withRules);
    } else if (!hasOpenFields(schema)) {
      errors.push({ field: childPath(path, key), message: "Unknown field" });
    }
  }
}

/**
 * Defaults and validates `object` as a `def` resource; `old` is the stored object on an update (enables the
 * transition rules such as immutability). Returns the defaulted object and every error found.
 */
export function validateResource(
  def: KindDefinition,
  object: unknown,
  old?: unknown,
): { object: Record<string, unknown>; errors: FieldError[] } {
  const { schema, check } = compiledFor(def);
  if (!isPlainObject(object)) {
    return { object: {}, errors: [{ field: "", message: `${def.kind} must be an object` }] };
  }
  const defaulted = structuredClone(object);
  delete defaulted.status;
  applyDefaults(schema, defaulted);
  // A stored object was defaulted when it was written, so transition rules compare like with like.
  const storedOld = old === undefined ? undefined : structuredClone(old);
  applyDefaults(schema, storedOld);
  const errors: FieldError[] = [];
  if (!check(defaulted)) {
    // The branches of an int-or-string anyOf each fail; the anyOf error alone says what is wrong.
    const reported = (check.errors ?? []).filter((e) => !e.schemaPath.includes("/anyOf/"));
    errors.push(...reported.map(describeAjvError));
  }
  // CEL rules assume a schema-valid object (a missing required field makes them fail to evaluate).
  walk(schema, defaulted, storedOld, "", errors, errors.length === 0);
  return { object: defaulted, errors };
}

/** Like validateResource, but throws a ValidationError that lists every problem. */
export function assertValidResource(def: KindDefinition, object: unknown, old?: unknown): Record<string, unknown> {
  const result = validateResource(def, object, old);
  if (result.errors.length > 0) {
    const metadata = isPlainObject(object) && isPlainObject(object.metadata) ? object.metadata : {};
    throw new ValidationError(def.kind, typeof metadata.name === "string" ? metadata.name : "", result.errors);
  }
  return result.object;
}
