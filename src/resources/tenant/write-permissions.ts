// `spec.writePermissions` inside the tenant (reference §6): ValidatingWebhookConfiguration `kamaji-write-permissions`
// sends the blocked operations to the operator's `/write-permission`, which refuses them. Upstream's shape: node
// leases may only be renewed (their creation and deletion are refused), and kube-system and kube-node-lease are
// otherwise left alone, so the nodes and the system pods keep working while the tenant's own writes are blocked.
// Unlike upstream, requests of system:masters are not sent: the operator keeps the tenant's kubeadm objects and addons
// in place with super-admin.conf (group system:masters), and a blocked apply of its own would stall it; that
// break-glass credential is the one way around a block (admin.conf is in kubeadm:cluster-admins and is blocked).
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { projectLabel } from "../labels.js";

export const writePermissionsConfigurationName = "kamaji-write-permissions";

/** Where the tenant's API server reaches the operator's webhook server, and the CA that signed its certificate. */
export interface GuardEndpoint {
  /** e.g. https://kamaji-webhook-service.kamaji-system.svc:443 */
  readonly baseUrl: string;
  readonly caBundlePem: string;
}

type Operation = "CREATE" | "UPDATE" | "DELETE";

/** The operations spec.writePermissions blocks, in upstream's order. */
export function blockedOperations(tcp: TenantControlPlane): Operation[] {
  const permissions = tcp.spec.writePermissions ?? {};
  return [
    ...(permissions.blockCreation ? (["CREATE"] as const) : []),
    ...(permissions.blockUpdate ? (["UPDATE"] as const) : []),
    ...(permissions.blockDeletion ? (["DELETE"] as const) : []),
  ];
}

const namespaceName = "kubernetes.io/metadata.name";

const tenantPath = (tcp: TenantControlPlane) =>
  `${encodeURIComponent(tcp.metadata.namespace ?? "")}/${encodeURIComponent(tcp.metadata.name ?? "")}`;

/**
 * A ValidatingWebhookConfiguration that sends `operations` (outside kube-system and kube-node-lease, plus the
 * creation and deletion of node leases) to `path` of the operator's webhook server for this tenant.
 */
export function tenantGuardConfiguration(
  tcp: TenantControlPlane,
  endpoint: GuardEndpoint,
  guard: { name: string; path: string; webhookSuffix: string; operations: string[]; exemptMasters: boolean },
) {
  const common = {
    clientConfig: {
      url: `${endpoint.baseUrl}${guard.path}/${tenantPath(tcp)}`,
      caBundle: Buffer.from(endpoint.caBundlePem).toString("base64"),
    },
    failurePolicy: "Fail",
    sideEffects: "NoneOnDryRun",
    admissionReviewVersions: ["v1"],
    timeoutSeconds: 10,
    ...(guard.exemptMasters
      ? {
          matchConditions: [
            { name: "not-system-masters", expression: "!('system:masters' in request.userInfo.groups)" },
          ],
        }
      : {}),
  };
  const rule = (operations: string[], scope: string) => ({
    apiGroups: ["*"],
    apiVersions: ["*"],
    operations,
    resources: ["*"],
    scope,
  });
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: guard.name, labels: { [projectLabel]: "kamaji" } },
    webhooks: [
      {
        ...common,
        name: `leases.${guard.webhookSuffix}`,
        rules: [rule(["CREATE", "DELETE"], "Namespaced")],
        namespaceSelector: { matchExpressions: [{ key: namespaceName, operator: "In", values: ["kube-node-lease"] }] },
      },
      {
        ...common,
        name: `catchall.${guard.webhookSuffix}`,
        rules: [rule(guard.operations, "*")],
        namespaceSelector: {
          matchExpressions: [{ key: namespaceName, operator: "NotIn", values: ["kube-system", "kube-node-lease"] }],
        },
      },
    ],
  };
}

export function writePermissionsConfiguration(tcp: TenantControlPlane, endpoint: GuardEndpoint) {
  return tenantGuardConfiguration(tcp, endpoint, {
    name: writePermissionsConfigurationName,
    path: "/write-permission",
    webhookSuffix: "write-permissions.kamaji.clastix.io",
    operations: blockedOperations(tcp),
    exemptMasters: true,
  });
}
