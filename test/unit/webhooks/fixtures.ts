// A minimal TenantControlPlane as the API server would hand it to a webhook, customised per test.
import { apiVersion, type TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import type { ClusterState, ValidationRequest } from "../../../src/webhooks/tenantcontrolplane/index.js";

export function tenantControlPlane(customise?: (tcp: TenantControlPlane) => void): TenantControlPlane {
  const tcp: TenantControlPlane = {
    apiVersion,
    kind: "TenantControlPlane",
    metadata: { name: "tenant-a", namespace: "tenants" },
    spec: {
      dataStore: "default",
      controlPlane: { deployment: { replicas: 1 }, service: { serviceType: "ClusterIP" } },
      kubernetes: { version: "v1.34.2", kubelet: { preferredAddressTypes: ["InternalIP", "ExternalIP", "Hostname"] } },
      networkProfile: {
        serviceCidr: "10.96.0.0/16",
        serviceCidrs: ["10.96.0.0/16"],
        podCidr: "10.244.0.0/16",
        podCidrs: ["10.244.0.0/16"],
        dnsServiceIPs: ["10.96.0.10"],
      },
    },
  };
  customise?.(tcp);
  return tcp;
}

export const cluster: ClusterState = {
  dataStores: new Set(["default", "etcd-primary", "etcd-secondary"]),
  gatewayApiAvailable: true,
  tlsRouteAvailable: true,
};

export const createRequest = (object: TenantControlPlane, state: ClusterState = cluster): ValidationRequest => ({
  operation: "CREATE",
  object,
  cluster: state,
});

export const updateRequest = (
  oldObject: TenantControlPlane,
  object: TenantControlPlane,
  state: ClusterState = cluster,
): ValidationRequest => ({ operation: "UPDATE", object, oldObject, cluster: state });
