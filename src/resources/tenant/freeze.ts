// The freeze of a tenant while its data moves to another DataStore (reference §6 `kamaji-freeze`): every write
// outside kube-system and kube-node-lease (and the creation or deletion of node leases) is sent to the operator's
// `/migrate`, which refuses it. Unlike `kamaji-write-permissions`, system:masters is frozen too: a write with any
// credential after the copy's snapshot would be lost, so the per-tenant controller itself stops writing meanwhile.
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { tenantGuardConfiguration, type GuardEndpoint } from "./write-permissions.js";

export const freezeConfigurationName = "kamaji-freeze";

export function freezeConfiguration(tcp: TenantControlPlane, endpoint: GuardEndpoint) {
  return tenantGuardConfiguration(tcp, endpoint, {
    name: freezeConfigurationName,
    path: "/migrate",
    webhookSuffix: "migrate.kamaji.clastix.io",
    operations: ["CREATE", "UPDATE", "DELETE"],
    exemptMasters: false,
  });
}
