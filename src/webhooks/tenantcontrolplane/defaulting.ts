// Defaults the mutating webhook applies to a TenantControlPlane on CREATE (upstream never defaults on UPDATE).
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { conventionalDnsServiceIPs } from "../../net/dns-service-ip.js";
import { AdmissionDenied } from "../admission-denied.js";

export interface DefaultingOptions {
  /** The operator's default DataStore (the `--datastore` flag). */
  defaultDataStore?: string;
}

const defaultReplicas = 2;

/**
 * The DNS Service IP of each service CIDR of spec.networkProfile, or why one cannot be computed, as the webhook
 * answers it.
 */
export function defaultDnsServiceIPs(serviceCidrs: readonly string[]): string[] | AdmissionDenied {
  const result = conventionalDnsServiceIPs(serviceCidrs, (index) => `spec.networkProfile.serviceCidrs[${index}]`);
  if ("ips" in result) return result.ips;
  return new AdmissionDenied(`cannot define resulting DNS Service IP: ${result.problem.reason}`, result.problem.field);
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
