// Subject alternative names of the tenant API server certificate (§3), computed as kubeadm computes them from the
// kubeadm configuration of src/resources/kubeadm-config.ts: its defaults plus apiServer.certSANs.
import type { TenantControlPlane } from "../api/v1alpha1/kinds.js";
import { addressAt } from "../net/cidr.js";
import { dns1123SubdomainErrors, wildcardDns1123SubdomainErrors } from "../net/dns-name.js";
import { parseCIDR, parseIP } from "../net/ip.js";
import type { SubjectAltNames } from "../pki/checks.js";
import { clusterDomainOf, kamajiCertSANs, kubeadmControlPlaneEndpoint, serviceCidrsOf } from "./kubeadm-config.js";
import { apiServerPort } from "./service.js";

/** Collects names in first-seen order, each once; IPs in canonical form so that spellings of one address collapse. */
class AltNames {
  readonly dnsNames: string[] = [];
  readonly ipAddresses: string[] = [];

  /** Like kubeadm, a value that is neither an IP nor a (wildcard) DNS subdomain is skipped. */
  add(value: string): void {
    const ip = parseIP(value);
    if (ip) {
      this.push(this.ipAddresses, ip.toString());
    } else if (dns1123SubdomainErrors(value).length === 0 || wildcardDns1123SubdomainErrors(value).length === 0) {
      this.push(this.dnsNames, value);
    }
  }

  private push(list: string[], value: string): void {
    if (!list.includes(value)) list.push(value);
  }
}

/**
 * The SANs the API server certificate must carry for the control plane exposed at `address`:
 * - kubeadm: `kubernetes`, `kubernetes.default`, `kubernetes.default.svc`, `kubernetes.default.svc.<clusterDomain>`,
 *   the first address of the first service CIDR (the `kubernetes` Service's ClusterIP: that Service is single-stack,
 *   in the primary family, so a dual-stack second CIDR adds nothing), the advertise address (kubeadm's
 *   localAPIEndpoint, i.e. `address`) and the host of controlPlaneEndpoint;
 * - Kamaji's certSANs (see kamajiCertSANs), which include the user's networkProfile.certSANs and advertiseAddress.
 * kubeadm's own node name SAN is left out: a control plane run as pods has no node of its own.
 */
export function apiServerSubjectAltNames(tcp: TenantControlPlane, address: string): Required<SubjectAltNames> {
  const names = new AltNames();
  for (const dnsName of ["kubernetes", "kubernetes.default", "kubernetes.default.svc"]) names.add(dnsName);
  names.add(`kubernetes.default.svc.${clusterDomainOf(tcp)}`);

  const [firstServiceCidr] = serviceCidrsOf(tcp);
  const serviceCidr = firstServiceCidr === undefined ? undefined : parseCIDR(firstServiceCidr);
  const kubernetesServiceIP = serviceCidr && addressAt(serviceCidr, 1n);
  if (kubernetesServiceIP) names.add(kubernetesServiceIP.toString());

  names.add(address);
  names.add(kubeadmControlPlaneEndpoint(tcp, address, apiServerPort(tcp)).host);
  for (const san of kamajiCertSANs(tcp, address)) names.add(san);
  return { dnsNames: names.dnsNames, ipAddresses: names.ipAddresses };
}
