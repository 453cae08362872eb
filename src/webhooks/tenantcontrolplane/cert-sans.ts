// CertSANs rule (create and update): kubeadm's ValidateCertSANs on spec.networkProfile.certSANs.
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { dns1123SubdomainErrors, wildcardDns1123SubdomainErrors } from "../../net/dns-name.js";
import { isIP } from "../../net/ip.js";
import { AdmissionDenied } from "../admission-denied.js";
import { invalidValue } from "../field-errors.js";

/** Why `san` is neither a DNS subdomain, a wildcard DNS subdomain nor an IP address; undefined when it is one. */
function certSANProblem(san: string): string | undefined {
  const subdomainErrors = dns1123SubdomainErrors(san);
  if (subdomainErrors.length === 0) return undefined;
  const wildcardErrors = wildcardDns1123SubdomainErrors(san);
  if (wildcardErrors.length === 0 || isIP(san)) return undefined;
  return `altname is not a valid IP address, DNS label or a DNS label with subdomain wildcards: ${subdomainErrors.join("; ")}; ${wildcardErrors.join("; ")}`;
}

/** Every invalid entry is reported, each with its index. */
export function validateCertSANs(tcp: TenantControlPlane): AdmissionDenied | undefined {
  const errors = (tcp.spec.networkProfile?.certSANs ?? []).flatMap((san, index) => {
    const problem = certSANProblem(san);
    return problem === undefined ? [] : [invalidValue(`spec.networkProfile.certSANs[${index}]`, san, problem)];
  });
  return AdmissionDenied.fromFieldErrors("spec.networkProfile.certSANs", errors);
}
