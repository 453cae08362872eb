// DNS rule (create and update): every DNS Service IP must be an IP inside one of the service CIDRs.
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { cidrContains } from "../../net/cidr.js";
import { parseCIDR, parseIP } from "../../net/ip.js";
import { AdmissionDenied } from "../admission-denied.js";
import { quote } from "../field-errors.js";

interface ServiceCidr {
  value: string;
  field: string;
}

type NetworkProfile = NonNullable<TenantControlPlane["spec"]["networkProfile"]>;

/** The service CIDRs in effect: serviceCidrs, else the deprecated serviceCidr when set. */
function serviceCidrsOf(network: NetworkProfile): ServiceCidr[] {
  if (network.serviceCidrs?.length) {
    return network.serviceCidrs.map((value, index) => ({ value, field: `spec.networkProfile.serviceCidrs[${index}]` }));
  }
  return network.serviceCidr ? [{ value: network.serviceCidr, field: "spec.networkProfile.serviceCidr" }] : [];
}

/**
 * Validates the object being admitted. Upstream validates the stored object on UPDATE instead (its arguments
 * are swapped), which lets an update bring in a DNS Service IP outside the service CIDRs.
 */
export function validateDnsServiceIPs(tcp: TenantControlPlane): AdmissionDenied | undefined {
  const network = tcp.spec.networkProfile;
  const dnsServiceIPs = network?.dnsServiceIPs ?? [];
  if (!network || dnsServiceIPs.length === 0) return undefined;
  const serviceCidrs = serviceCidrsOf(network);
  if (serviceCidrs.length === 0) {
    return new AdmissionDenied("no service CIDRs defined", "spec.networkProfile.serviceCidrs");
  }

  for (const [index, text] of dnsServiceIPs.entries()) {
    const field = `spec.networkProfile.dnsServiceIPs[${index}]`;
    const ip = parseIP(text);
    if (!ip) return new AdmissionDenied(`DNS service IP ${quote(text)} is not a valid IP address`, field);
    let contained = false;
    for (const serviceCidr of serviceCidrs) {
      const cidr = parseCIDR(serviceCidr.value);
      if (!cidr) {
        return new AdmissionDenied(
          `invalid service CIDR ${quote(serviceCidr.value)}: invalid CIDR address: ${serviceCidr.value}`,
          serviceCidr.field,
        );
      }
      contained ||= cidrContains(cidr, ip);
    }
    if (!contained) {
      return new AdmissionDenied(
        `DNS service IP ${quote(text)} is not contained in any configured service CIDR`,
        field,
      );
    }
  }
  return undefined;
}
