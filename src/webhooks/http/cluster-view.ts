// What the TenantControlPlane validation needs to know about the management cluster, and how to read it.
import { isNotFound, type KubeClient, type KubeObject } from "../../runtime/kube-client.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import type { GatewayApiDiscovery } from "../tenantcontrolplane/gateway.js";

export interface ClusterView {
  /** Names of the existing DataStores. */
  dataStoreNames(): Promise<ReadonlySet<string>>;
  gatewayApiDiscovery(): Promise<GatewayApiDiscovery>;
}

const gatewayGroupPath = "/apis/gateway.networking.k8s.io";

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
  };
}
