// status.kubernetesResources.version.status from the control-plane Deployment (pipeline step 21).
import type { V1Deployment } from "@kubernetes/client-node";
import type { Json } from "../api/k8s-types.js";
import type { TenantControlPlane } from "../api/v1alpha1/kinds.js";
import type { VersionStatus } from "../api/v1alpha1/tenantcontrolplane.js";

type Deployment = Json<V1Deployment>;

/** spec.controlPlane.deployment.replicas, with the CRD default. */
const tenantReplicas = (tcp: TenantControlPlane): number => tcp.spec.controlPlane.deployment?.replicas ?? 2;

/**
 * A rollout is over when the Deployment controller has observed the latest generation, no replica is
 * unavailable, and the updated, ready and total replicas all equal the desired count (old pods are gone).
 * Absent counters count as 0, as in Go.
 */
export function isRolloutComplete(tcp: TenantControlPlane, deployment: Deployment): boolean {
  const status = deployment.status ?? {};
  const desired = deployment.spec?.replicas ?? tenantReplicas(tcp);
  return (
    (deployment.metadata?.generation ?? 0) === (status.observedGeneration ?? 0) &&
    (status.unavailableReplicas ?? 0) === 0 &&
    (status.updatedReplicas ?? 0) === desired &&
    (status.readyReplicas ?? 0) === desired &&
    (status.replicas ?? 0) === desired
  );
}

/** The §2 table, first match wins. */
export function versionStatusFromDeployment(tcp: TenantControlPlane, deployment: Deployment): VersionStatus {
  const permissions = tcp.spec.writePermissions;
  const installedVersion = tcp.status?.kubernetesResources?.version?.version ?? "";
  if (tenantReplicas(tcp) === 0) return "Sleeping";
  if ((deployment.status?.readyReplicas ?? 0) === 0) return "NotReady";
  if (permissions?.blockCreation || permissions?.blockUpdate || permissions?.blockDeletion) return "WriteLimited";
  if (isRolloutComplete(tcp, deployment)) return "Ready";
  // From here on the rollout is still in progress.
  if (installedVersion !== "" && installedVersion !== tcp.spec.kubernetes.version) return "Upgrading";
  if (installedVersion === "") return "Provisioning";
  return "Unknown";
}
