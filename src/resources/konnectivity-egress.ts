// The ConfigMap `<tcp>-konnectivity-egress-selector-configuration` (pipeline step 18): the API server sends its
// traffic to the cluster (nodes, pods, services) through the konnectivity-server sidecar's Unix socket.
import { stringify } from "yaml";
import type { TenantControlPlane } from "../api/v1alpha1/kinds.js";
import type { ConfigMap } from "./kubeadm-config.js";
import { resourceNames } from "./names.js";
import { tenantName } from "./service.js";

export const egressSelectorKey = "egress-selector-configuration.yaml";
/** Where the sidecar listens; the Deployment shares this directory between the two containers. */
export const konnectivitySocket = "/run/konnectivity/konnectivity-server.socket";

export function buildEgressSelectorConfigMap(tcp: TenantControlPlane): ConfigMap & { metadata: { name: string } } {
  const configuration = {
    apiVersion: "apiserver.k8s.io/v1beta1",
    kind: "EgressSelectorConfiguration",
    egressSelections: [
      {
        name: "cluster",
        connection: { proxyProtocol: "GRPC", transport: { uds: { udsName: konnectivitySocket } } },
      },
    ],
  };
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: resourceNames(tenantName(tcp)).konnectivityEgressSelector },
    data: { [egressSelectorKey]: stringify(configuration) },
  };
}
