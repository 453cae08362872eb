// The validating webhook of TenantControlPlane: its rules in upstream order; the first error denies.
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import type { AdmissionDenied } from "../admission-denied.js";
import { validateCertSANs } from "./cert-sans.js";
import { validateDataStoreOnCreate, validateDataStoreOnUpdate } from "./datastore.js";
import { validateDnsServiceIPs } from "./dns-service-ips.js";
import { validateGateway, type GatewayApiDiscovery } from "./gateway.js";
import { validatePreferredAddressTypes } from "./kubelet-address-types.js";
import { validateName } from "./name.js";
import { validateVersionOnCreate, validateVersionOnUpdate } from "./version.js";

/** What the rules need to know about the management cluster; the webhook server looks it up beforehand. */
export interface ClusterState extends GatewayApiDiscovery {
  /** Names of the existing DataStores. */
  dataStores: ReadonlySet<string>;
}

export type ValidationRequest = { cluster: ClusterState } & (
  | { operation: "CREATE"; object: TenantControlPlane }
  | { operation: "UPDATE"; object: TenantControlPlane; oldObject: TenantControlPlane }
);

type Check = () => AdmissionDenied | undefined;

// Lazy, so that validateTenantControlPlane stops at the first error. The kubelet check comes first because
// the API server runs the CRD schema (where that rule lives) before any validating webhook.
function checks(request: ValidationRequest): Check[] {
  const { object: tcp, cluster } = request;
  if (request.operation === "CREATE") {
    return [
      () => validatePreferredAddressTypes(tcp),
      () => validateCertSANs(tcp),
      () => validateDnsServiceIPs(tcp),
      () => validateName(tcp),
      () => validateVersionOnCreate(tcp),
      () => validateDataStoreOnCreate(tcp, cluster.dataStores),
      () => validateGateway(tcp, cluster),
    ];
  }
  const old = request.oldObject;
  return [
    () => validatePreferredAddressTypes(tcp),
    () => validateCertSANs(tcp),
    () => validateDnsServiceIPs(tcp),
    () => validateVersionOnUpdate(old, tcp),
    () => validateDataStoreOnUpdate(old, tcp, cluster.dataStores),
    () => validateGateway(tcp, cluster),
  ];
}

/** The first rule that denies the request, as the webhook answers; undefined when it is allowed. */
export function validateTenantControlPlane(request: ValidationRequest): AdmissionDenied | undefined {
  for (const check of checks(request)) {
    const denied = check();
    if (denied) return denied;
  }
  return undefined;
}

/** Every rule that denies the request, in order: for reports that show all problems at once. */
export function allTenantControlPlaneDenials(request: ValidationRequest): AdmissionDenied[] {
  return checks(request).flatMap((check) => check() ?? []);
}
