// The reason an admission webhook refuses a request: its message is what the client sees.
import type { FieldError } from "../api/validation.js";

export class AdmissionDenied extends Error {
  override readonly name = "AdmissionDenied";

  constructor(
    message: string,
    /** Path of the offending field, e.g. `spec.networkProfile.dnsServiceIPs[0]`, when there is one. */
    readonly field?: string,
  ) {
    super(message);
  }

  /**
   * One denial for a list of field errors (undefined for an empty list), worded like Kubernetes' aggregated
   * errors: the error itself when there is one, `[first, second]` otherwise, with `parentField` as the field.
   */
  static fromFieldErrors(parentField: string, errors: readonly FieldError[]): AdmissionDenied | undefined {
    const [first, ...rest] = errors;
    if (first === undefined) return undefined;
    if (rest.length === 0) return new AdmissionDenied(`${first.field}: ${first.message}`, first.field);
    return new AdmissionDenied(`[${errors.map((e) => `${e.field}: ${e.message}`).join(", ")}]`, parentField);
  }
}
