import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * The canonical text of an IP address: dotted quad for IPv4 (IPv4-mapped IPv6 included, as Go's x509 encodes
 * them in 4 bytes), RFC 5952 for IPv6. Undefined for anything that is not a plain address (no zone, no CIDR).
 */
export function canonicalIpAddress(text: string): string | undefined {
  if (isIP(text) === 0 || text.includes("%")) return undefined;
  return ipaddr.process(text).toString();
}

/** The fully expanded form (no "::", no dotted quad inside IPv6) that @peculiar/x509's encoder parses correctly. */
export function expandedIpAddress(canonical: string): string {
  return ipaddr.parse(canonical).toNormalizedString();
}
