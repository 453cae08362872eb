// IP and CIDR parsing with the strictness of Kubernetes' validation (no zones, no leading zeros).
import ipaddr from "ipaddr.js";

export type IPAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** Parses an IPv4 or IPv6 address; undefined when it is not one. */
export function parseIP(text: string): IPAddress | undefined {
  if (text.includes("%")) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(":") && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

export function isIP(text: string): boolean {
  return parseIP(text) !== undefined;
}

/** Parses `address/prefix`; undefined when it is not a CIDR of a valid address and prefix length. */
export function parseCIDR(text: string): { address: IPAddress; prefix: number } | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const address = parseIP(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!address || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const maxPrefix = address.kind() === "ipv4" ? 32 : 128;
  return prefix <= maxPrefix ? { address, prefix } : undefined;
}

export function isCIDR(text: string): boolean {
  return parseCIDR(text) !== undefined;
}
