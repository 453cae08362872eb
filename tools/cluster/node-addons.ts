// What the management node runs on top of its own control plane: the RBAC that lets its API server use the
// kubelet API, and CoreDNS from the product's own builder (the objects Kamaji puts into every tenant).
import type { TenantControlPlane } from "../../src/api/v1alpha1/kinds.js";
import { coreDnsObjects } from "../../src/resources/tenant/coredns.js";
import { versions } from "../upstream.js";

/** Lets the API server (as its kubelet client identity) use the kubelet API: exec, logs, port-forward. */
export const apiServerToKubelet = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRoleBinding",
  metadata: { name: "kamaji-local:apiserver-kubelet-client" },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:kubelet-api-admin" },
  subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "kube-apiserver-kubelet-client" }],
};

/**
 * CoreDNS as a tenant with these networks would get it; one replica, since the management cluster has one node,
 * probed for readiness every second.
 */
export function corednsManifests(network: { serviceCIDR: string; clusterDNS: string }): object[] {
  const cluster = {
    metadata: { name: "management", namespace: "kube-system" },
    spec: {
      networkProfile: { serviceCidr: network.serviceCIDR, dnsServiceIPs: [network.clusterDNS] },
      kubernetes: { version: versions.kubernetes },
    },
  } as unknown as TenantControlPlane;
  const objects = coreDnsObjects(cluster);
  const deployment = structuredClone(objects.deployment);
  const spec = deployment.spec;
  const container = spec?.template.spec?.containers[0];
  if (!spec || !container?.readinessProbe)
    throw new Error("the CoreDNS builder made no Deployment with a readiness probe");
  spec.replicas = 1;
  // The cluster's start waits for it: probe every second rather than kubeadm's default ten.
  container.readinessProbe.periodSeconds = 1;
  return [
    objects.serviceAccount,
    objects.clusterRole,
    objects.clusterRoleBinding,
    objects.configMap,
    deployment,
    objects.service,
  ];
}
