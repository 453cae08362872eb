// Field errors worded like the API server's (k8s.io/apimachinery field.Error), for denials that point at fields.
import type { FieldError } from "../api/validation.js";

/** Go's %q for the strings we quote: a double-quoted, escaped string. */
export const quote = (value: string): string => JSON.stringify(value);

export const invalidValue = (field: string, value: string, detail: string): FieldError => ({
  field,
  message: `Invalid value: ${quote(value)}: ${detail}`,
});

export const duplicateValue = (field: string, value: string): FieldError => ({
  field,
  message: `Duplicate value: ${quote(value)}`,
});

export const unsupportedValue = (field: string, value: string, supported: readonly string[]): FieldError => ({
  field,
  message: `Unsupported value: ${quote(value)}: supported values: ${supported.map(quote).join(", ")}`,
});
