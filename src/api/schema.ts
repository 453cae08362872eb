// Building blocks for CRD schemas written with TypeBox. Every helper returns a schema that is already valid
// in a structural CRD (no $ref, no const, no patternProperties), so src/api/crd.ts only has to copy it.
import {
  Type,
  type Static,
  type TObject,
  type TProperties,
  type TSchema,
  type TUnsafe,
  type SchemaOptions,
} from "@sinclair/typebox";

/** One CEL rule, as it appears in `x-kubernetes-validations`. */
export interface CelRule {
  rule: string;
  message: string;
}

export interface CrdOptions extends SchemaOptions {
  "x-kubernetes-validations"?: CelRule[];
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

export const cel = (rule: string, message: string): CelRule => ({ rule, message });

/** `self == oldSelf` with a message: the way immutability is expressed in CRDs. */
export const immutable = (message: string): CelRule => cel("self == oldSelf", message);

export function StringEnum<const V extends readonly string[]>(values: V, options: CrdOptions = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: "string", enum: [...values], ...options });
}

export function Int32(options: CrdOptions & { minimum?: number; maximum?: number; default?: number } = {}) {
  return Type.Integer({ format: "int32", ...options });
}

export function Int64(options: CrdOptions & { minimum?: number; default?: number } = {}) {
  return Type.Integer({ format: "int64", ...options });
}

/** A map of strings (labels, annotations, node selectors). */
export function StringMap(options: CrdOptions = {}): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({ type: "object", additionalProperties: { type: "string" }, ...options });
}

/** An int-or-string value such as a Service targetPort. */
export function IntOrString(options: CrdOptions = {}): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({
    anyOf: [{ type: "integer" }, { type: "string" }],
    "x-kubernetes-int-or-string": true,
    ...options,
  });
}

/** Arbitrary JSON (RFC 6902 patch values). */
export function AnyJson(options: CrdOptions = {}): TUnsafe<unknown> {
  return Type.Unsafe<unknown>({ "x-kubernetes-preserve-unknown-fields": true, ...options });
}

export function Time(options: CrdOptions = {}) {
  return Type.String({ format: "date-time", ...options });
}

/** A base64-encoded byte string ([]byte in Go). */
export function Bytes(options: CrdOptions = {}) {
  return Type.String({ format: "byte", ...options });
}

/** An embedded Kubernetes type taken from the upstream OpenAPI document (see hack/gen-k8s-schemas.ts). */
export function Embedded<T>(schema: object, options: CrdOptions = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ ...structuredClone(schema), ...options });
}

/**
 * An embedded type with extra properties beside its own, as Go's `json:",inline"` embedding produces
 * (e.g. a DeploymentStatus plus the Deployment's name).
 */
export function Inline<T, P extends TProperties>(
  embedded: TUnsafe<T>,
  extra: TObject<P>,
  options: CrdOptions = {},
): TUnsafe<T & Static<TObject<P>>> {
  const base = embedded as unknown as { properties?: object; required?: string[] };
  return Type.Unsafe<T & Static<TObject<P>>>({
    ...structuredClone(embedded),
    type: "object",
    properties: { ...base.properties, ...structuredClone(extra.properties) },
    required: [...(base.required ?? []), ...(extra.required ?? [])],
    ...options,
  });
}

export type { TSchema };
