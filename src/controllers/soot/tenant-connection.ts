// A client of one tenant's API server, with the super-admin credentials of its admin-kubeconfig Secret. It goes
// to the Service's cluster IP (reachable in-cluster, and from a development host with a route to the Service
// range) and checks the certificate against the Service's DNS name, which is always among the SANs.
import { KubeConfig } from "@kubernetes/client-node";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { KubeClient } from "../../runtime/kube-client.js";
import { joinHostPort } from "../../resources/service.js";

/** A hung tenant must not hold a worker long: its requests give up after this. */
const TENANT_REQUEST_TIMEOUT_MS = 10_000;

export function tenantClient(
  tcp: TenantControlPlane,
  superAdminKubeconfig: string,
  service: { clusterIP: string; port: number },
): KubeClient {
  const source = new KubeConfig();
  source.loadFromString(superAdminKubeconfig);
  const cluster = source.getCurrentCluster();
  const user = source.getCurrentUser();
  if (cluster === null || user === null) {
    throw new Error(`the admin kubeconfig of ${tcp.metadata.namespace}/${tcp.metadata.name} has no current context`);
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        ...cluster,
        server: `https://${joinHostPort(service.clusterIP, service.port)}`,
        tlsServerName: `${tcp.metadata.name}.${tcp.metadata.namespace}.svc`,
      },
    ],
    users: [user],
    contexts: [{ name: "tenant", cluster: cluster.name, user: user.name }],
    currentContext: "tenant",
  });
  return new KubeClient(kubeConfig, { requestTimeoutMs: TENANT_REQUEST_TIMEOUT_MS });
}
