// Name rule (create): the name must be a DNS-1035 label, since it names the control plane's Service.
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { dns1035LabelErrors } from "../../net/dns-name.js";
import { AdmissionDenied } from "../admission-denied.js";

export function validateName(tcp: TenantControlPlane): AdmissionDenied | undefined {
  const errors = dns1035LabelErrors(tcp.metadata.name ?? "");
  if (errors.length === 0) return undefined;
  return new AdmissionDenied(`the provided name is invalid, ${errors.join("; ")}`, "metadata.name");
}
