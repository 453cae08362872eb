// The tenant a worker joins, read from the management cluster (its TenantControlPlane) and from inside (with the
// admin kubeconfig Kamaji publishes): what `join` checks before it creates anything.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeTenantKubeconfig } from "../../demo/tenant.js";
import { kubectl } from "../kubectl.js";

export interface TenantRef {
  namespace: string;
  name: string;
}

export const tenantKey = (t: TenantRef): string => `${t.namespace}/${t.name}`;

export function parseTenantRef(text: string | undefined): TenantRef {
  const match = /^([a-z0-9][a-z0-9.-]*)\/([a-z0-9][a-z0-9.-]*)$/.exec(text ?? "");
  if (!match?.[1] || !match[2])
    throw new Error(`expected <namespace>/<tenantcontrolplane>, e.g. default/tenant-00, not ${JSON.stringify(text)}`);
  return { namespace: match[1], name: match[2] };
}

export interface TenantView {
  spec: {
    kubernetes: { version: string };
    controlPlane?: { service?: { serviceType?: string } };
    networkProfile?: { address?: string };
    addons?: { konnectivity?: object };
  };
  status?: {
    kubernetesResources?: { version?: { status?: string; version?: string } };
    kubeconfig?: { admin?: { secretName?: string } };
    controlPlaneEndpoint?: string;
  };
}

/** The TenantControlPlane, or a clear error when it does not exist. */
export function readTenant(tenant: TenantRef, managementKubeconfig: string): TenantView {
  try {
    return JSON.parse(
      kubectl(["get", "tenantcontrolplane", tenant.name, "-n", tenant.namespace, "-o", "json"], managementKubeconfig),
    ) as TenantView;
  } catch (error) {
    if (/NotFound|not found/.test((error as Error).message))
      throw new Error(
        `TenantControlPlane ${tenantKey(tenant)} does not exist: create it first (kubectl get tenantcontrolplanes -A lists them)`,
      );
    throw error;
  }
}

/** Why machines outside the management cluster cannot join this tenant yet, if they cannot. */
export function joinProblem(tenant: TenantRef, view: TenantView): string | undefined {
  const status = view.status?.kubernetesResources?.version?.status ?? "Provisioning";
  if (status !== "Ready")
    return `TenantControlPlane ${tenantKey(tenant)} is not Ready (status ${status}): wait until \`kubectl get tcp -n ${tenant.namespace} ${tenant.name}\` shows Ready`;
  const type = view.spec.controlPlane?.service?.serviceType ?? "ClusterIP";
  if (type === "ClusterIP")
    return (
      `TenantControlPlane ${tenantKey(tenant)} is exposed as a ClusterIP Service (${view.status?.controlPlaneEndpoint ?? "?"}), ` +
      "which machines outside the management cluster cannot reach: use spec.controlPlane.service.serviceType NodePort " +
      "with spec.networkProfile.address set to the node's address and a port in the NodePort range (see config/samples/tenantcontrolplane-workers.yaml)"
    );
  if (!view.status?.controlPlaneEndpoint)
    return `TenantControlPlane ${tenantKey(tenant)} has no status.controlPlaneEndpoint yet`;
  return undefined;
}

/** The endpoint's host (an IP address: Kamaji advertises addresses, never names). */
export function endpointAddress(view: TenantView): string {
  const endpoint = view.status?.controlPlaneEndpoint ?? "";
  return endpoint.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
}

/** Writes the tenant's admin kubeconfig under the cluster dir and returns its path. */
export function tenantAdminKubeconfig(
  tenant: TenantRef,
  view: TenantView,
  managementKubeconfig: string,
  clusterDir: string,
): string {
  mkdirSync(join(clusterDir, "tenants"), { recursive: true });
  const path = join(clusterDir, "tenants", `${tenant.namespace}-${tenant.name}.kubeconfig`);
  writeTenantKubeconfig(tenant, view, managementKubeconfig, path);
  return path;
}
