// What the TenantControlPlane validation needs to know about the management cluster, and how to read it.
import type { Deployment } from "../../resources/deployment/index.js";
import { isNotFound, KubeApiError, type KubeClient, type KubeObject } from "../../runtime/kube-client.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import type { DeploymentDryRun } from "../tenantcontrolplane/deployment-dry-run.js";
import type { GatewayApiDiscovery } from "../tenantcontrolplane/gateway.js";

export interface ClusterView extends DeploymentDryRun {
  /** Names of the existing DataStores. */
  dataStoreNames(): Promise<ReadonlySet<string>>;
  gatewayApiDiscovery(): Promise<GatewayApiDiscovery>;
}

const gatewayGroupPath = "/apis/gateway.networking.k8s.io";

/** The operator's field manager (the manager command's): the dry-run replaces exactly what the operator applied. */
const operatorFieldManager = "kamaji";

type StoredDeployment = Deployment & KubeObject;

interface ApiResourceList {
  resources?: { kind?: string }[];
}

/** Discovery document at `path`; undefined when the API server does not serve it. */
async function discover<T>(client: KubeClient, path: string): Promise<T | undefined> {
  try {
    return await client.request<T>({ method: "GET", path });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Reads straight from the API server at every call: admission requests are rare, and must see fresh state. */
export function kubeClusterView(client: KubeClient): ClusterView {
  return {
    async dataStoreNames() {
      const list = await client.list<KubeObject>(resourceTypes.dataStore);
      return new Set(list.items.flatMap((item) => item.metadata.name ?? []));
    },
    async gatewayApiDiscovery() {
      if ((await discover(client, gatewayGroupPath)) === undefined) {
        return { gatewayApiAvailable: false, tlsRouteAvailable: false };
      }
      const v1 = await discover<ApiResourceList>(client, `${gatewayGroupPath}/v1`);
      const tlsRouteAvailable = (v1?.resources ?? []).some((resource) => resource.kind === "TLSRoute");
      return { gatewayApiAvailable: true, tlsRouteAvailable };
    },
    deployment: (namespace, name) => client.get<StoredDeployment>(resourceTypes.deployment, name, namespace),
    async dryRunDeployment(deployment) {
      try {
        await client.apply(resourceTypes.deployment, deployment as StoredDeployment, operatorFieldManager, undefined, {
          dryRun: true,
        });
        return undefined;
      } catch (error) {
        // Every Status the API server answers is its verdict, whatever the code: it reports duplicate list keys
        // (two containers named kube-apiserver) as 500 while building the apply patch, before validation runs.
        // Upstream denies on any error too. Only a request that got no answer is the webhook's own failure.
        if (error instanceof KubeApiError) return error.statusMessage;
        throw error;
      }
    },
  };
}
