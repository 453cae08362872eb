// status.kubeadmPhase.bootstrapToken belongs to the per-tenant controller: it writes that field alone, with a field
// manager of its own, so the TenantControlPlane controller's status apply (which leaves it out) never writes back an
// older value it read before (reference §2, the kubeadm phases).
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { apiVersion } from "../../api/v1alpha1/kinds.js";
import type { KubeClient } from "../../runtime/kube-client.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import { rfc3339 } from "../../runtime/time.js";

/** The field manager of the per-tenant controller's status writes. */
export const bootstrapStatusFieldManager = (fieldManager: string): string => `${fieldManager}-tenant-bootstrap`;

/** Records the cluster-info checksum the tenant was bootstrapped with, when it changed. */
export async function recordBootstrapToken(
  client: KubeClient,
  tcp: TenantControlPlane,
  checksum: string,
  fieldManager: string,
): Promise<void> {
  if (tcp.status?.kubeadmPhase?.bootstrapToken.checksum === checksum) return;
  await client.apply(
    resourceTypes.tenantControlPlane,
    {
      apiVersion,
      kind: "TenantControlPlane",
      metadata: { name: tcp.metadata.name, namespace: tcp.metadata.namespace },
      status: { kubeadmPhase: { bootstrapToken: { checksum, lastUpdate: rfc3339(new Date()) } } },
    } as never,
    bootstrapStatusFieldManager(fieldManager),
    "status",
  );
}
