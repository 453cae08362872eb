// Defaults the mutating webhook applies to a TenantControlPlane on CREATE (upstream never defaults on UPDATE).
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { addressAt } from "../../net/cidr.js";
import { parseCIDR } from "../../net/ip.js";
import { AdmissionDenied } from "../admission-denied.js";
import { quote } from "../field-errors.js";

export interface DefaultingOptions {
  /** The operator's default DataStore (the `--datastore` flag). */
  defaultDataStore?: string;
}

const defaultReplicas = 2;

/** Offset of the DNS Service IP from the network address of each service CIDR: .10 for IPv4, ::10 for IPv6. */
const dnsServiceIPOffset = { ipv4: 10, ipv6: 0x10 } as const;

const dnsServiceIPError = (reason: string, field: string) =>
  new AdmissionDenied(`cannot define resulting DNS Service IP: ${reason}`, field);

/**
 * The DNS Service IP of each service CIDR, or the reason one cannot be computed (a malformed CIDR, or a block
 * too small to hold the offset).
 */
export function defaultDnsServiceIPs(serviceCidrs: readonly string[]): string[] | AdmissionDenied {
  const ips: string[] = [];
  for (const [index, text] of serviceCidrs.entries()) {
    const field = `spec.networkProfile.serviceCidrs[${index}]`;
    const cidr = parseCIDR(text);
    if (!cidr) return dnsServiceIPError(`invalid CIDR address: ${text}`, field);
    const offset = dnsServiceIPOffset[cidr.address.kind()];
    const ip = addressAt(cidr, BigInt(offset));
    if (!ip) {
      return dnsServiceIPError(
        `service CIDR ${quote(text)} is too small: it has no address at offset ${offset}`,
        field,
      );
    }
    ips.push(ip.toString());
  }
  return ips;
}

/** Returns a defaulted copy of `tcp` (the input is left untouched), or why the defaults cannot be computed. */
export function defaultTenantControlPlane(
  tcp: TenantControlPlane,
  options: DefaultingOptions = {},
): TenantControlPlane | AdmissionDenied {
  const result = structuredClone(tcp);
  const spec = result.spec;

  if (!spec.dataStore && options.defaultDataStore) spec.dataStore = options.defaultDataStore;

  spec.controlPlane.deployment ??= {};
  spec.controlPlane.deployment.replicas ??= defaultReplicas;

  // On CREATE the API server assigns the UID only after admission, so it is normally absent here: the
  // reconciler then applies the same default once the object is stored.
  const uid = result.metadata.uid;
  if (uid) {
    if (!spec.dataStoreSchema) spec.dataStoreSchema = uid;
    if (!spec.dataStoreUsername) spec.dataStoreUsername = uid;
  }

  const network = spec.networkProfile;
  if (network) {
    if (!network.serviceCidrs?.length && network.serviceCidr) network.serviceCidrs = [network.serviceCidr];
    if (!network.podCidrs?.length && network.podCidr) network.podCidrs = [network.podCidr];
    if (!network.dnsServiceIPs?.length && network.serviceCidrs?.length) {
      const ips = defaultDnsServiceIPs(network.serviceCidrs);
      if (ips instanceof AdmissionDenied) return ips;
      network.dnsServiceIPs = ips;
    }
  }
  return result;
}
