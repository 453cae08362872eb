// Kubelet preferred address types: a set of known values. The CRD schema already enforces this (enum,
// listType=set); this check gives objects that never went through the API server the same verdict.
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { kubeletAddressTypes } from "../../api/v1alpha1/tenantcontrolplane.js";
import type { FieldError } from "../../api/validation.js";
import { AdmissionDenied } from "../admission-denied.js";
import { duplicateValue, unsupportedValue } from "../field-errors.js";

const supported = new Set<string>(kubeletAddressTypes);

export function validatePreferredAddressTypes(tcp: TenantControlPlane): AdmissionDenied | undefined {
  const types: readonly string[] = tcp.spec.kubernetes.kubelet.preferredAddressTypes ?? [];
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const [index, type] of types.entries()) {
    const field = `spec.kubernetes.kubelet.preferredAddressTypes[${index}]`;
    if (!supported.has(type)) errors.push(unsupportedValue(field, type, kubeletAddressTypes));
    if (seen.has(type)) errors.push(duplicateValue(field, type));
    seen.add(type);
  }
  return AdmissionDenied.fromFieldErrors("spec.kubernetes.kubelet.preferredAddressTypes", errors);
}
