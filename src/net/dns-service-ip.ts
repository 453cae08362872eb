// The DNS Service IP of a cluster: by convention at a fixed offset of each service CIDR (.10 for IPv4, ::10 for
// IPv6), as kubeadm and upstream Kamaji place it.
import { addressAt } from "./cidr.js";
import { parseCIDR } from "./ip.js";

const dnsServiceIPOffset = { ipv4: 10, ipv6: 0x10 } as const;

/** Why no DNS Service IP follows from a service CIDR: the CIDR's field path and the reason. */
export interface DnsServiceIPProblem {
  field: string;
  reason: string;
}

/**
 * The DNS Service IP of each service CIDR, or the first problem (a malformed CIDR, or a block too small to hold
 * the offset). `fieldOf(i)` names the i-th CIDR's field in the problem.
 */
export function conventionalDnsServiceIPs(
  serviceCidrs: readonly string[],
  fieldOf: (index: number) => string,
): { ips: string[] } | { problem: DnsServiceIPProblem } {
  const ips: string[] = [];
  for (const [index, text] of serviceCidrs.entries()) {
    const field = fieldOf(index);
    const cidr = parseCIDR(text);
    if (!cidr) return { problem: { field, reason: `invalid CIDR address: ${text}` } };
    const offset = dnsServiceIPOffset[cidr.address.kind()];
    const ip = addressAt(cidr, BigInt(offset));
    if (!ip) {
      const reason = `service CIDR ${JSON.stringify(text)} is too small: it has no address at offset ${offset}`;
      return { problem: { field, reason } };
    }
    ips.push(ip.toString());
  }
  return { ips };
}
