// A small TenantControlPlane for the builders' tests: `spec` overrides the top-level spec fields, `edit` the rest.
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";

export function tenantControlPlaneWith(
  spec: Partial<TenantControlPlane["spec"]>,
  edit: (tcp: TenantControlPlane) => void = () => undefined,
): TenantControlPlane {
  const tcp: TenantControlPlane = {
    apiVersion: "kamaji.clastix.io/v1alpha1",
    kind: "TenantControlPlane",
    metadata: { name: "tenant-a", namespace: "tenants" },
    spec: {
      controlPlane: { service: { serviceType: "LoadBalancer" } },
      kubernetes: { version: "v1.34.10", kubelet: {} },
      ...spec,
    },
  };
  edit(tcp);
  return tcp;
}
