// The endpoints of the tenant's `default/kubernetes` Service, kept by the operator instead of the API servers
// (they run with --endpoint-reconciler-type=none). Every replica of a tenant's API server advertises the same
// address, and a stopping API server removes its address from these endpoints: during a rollout the Service was
// left with none for up to 10 s (until the new replica's next reconcile), refusing every in-cluster client.
import { isIPv6 } from "node:net";
import { projectLabel } from "../labels.js";

export interface ApiServerEndpoint {
  /** The API server's advertise address (an IP). */
  readonly address: string;
  /** Its secure port. */
  readonly port: number;
}

const ports = (port: number) => [{ name: "https", port, protocol: "TCP" }];

/** The Endpoints (not mirrored: the slice is ours too) and the EndpointSlice of `default/kubernetes`. */
export function kubernetesServiceEndpoints({ address, port }: ApiServerEndpoint) {
  return {
    endpoints: {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: {
        name: "kubernetes",
        namespace: "default",
        labels: { "endpointslice.kubernetes.io/skip-mirror": "true", [projectLabel]: "kamaji" },
      },
      subsets: [{ addresses: [{ ip: address }], ports: ports(port) }],
    },
    endpointSlice: {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: "kubernetes",
        namespace: "default",
        labels: { "kubernetes.io/service-name": "kubernetes", [projectLabel]: "kamaji" },
      },
      addressType: isIPv6(address) ? "IPv6" : "IPv4",
      endpoints: [{ addresses: [address], conditions: { ready: true } }],
      ports: ports(port),
    },
  };
}
