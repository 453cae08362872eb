// Gateway rule (create and update): exposing through a Gateway needs the Gateway API and its TLSRoute kind.
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { AdmissionDenied } from "../admission-denied.js";

/** What API discovery in the management cluster says about the Gateway API. */
export interface GatewayApiDiscovery {
  /** The gateway.networking.k8s.io group is served. */
  gatewayApiAvailable: boolean;
  /** The gateway.networking.k8s.io/v1 TLSRoute kind is served. */
  tlsRouteAvailable: boolean;
}

export function validateGateway(tcp: TenantControlPlane, discovery: GatewayApiDiscovery): AdmissionDenied | undefined {
  if (!tcp.spec.controlPlane.gateway) return undefined;
  const field = "spec.controlPlane.gateway";
  if (!discovery.gatewayApiAvailable) {
    return new AdmissionDenied(
      "the Gateway API is not available in this cluster, cannot use gatewayRoute configuration",
      field,
    );
  }
  if (!discovery.tlsRouteAvailable)
    return new AdmissionDenied("TLSRoute resource is not available in this cluster", field);
  return undefined;
}
