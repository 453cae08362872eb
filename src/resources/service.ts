// The Service `<tcp>` in front of the control-plane pods (pipeline step 3), and the address it exposes the
// API server on, which becomes status.controlPlaneEndpoint.
import type { V1Service, V1ServicePort } from "@kubernetes/client-node";
import type { Json } from "../api/k8s-types.js";
import type { TenantControlPlane } from "../api/v1alpha1/kinds.js";
import { kamajiLabels, nameLabel } from "./labels.js";
import { resourceNames } from "./names.js";

export type Service = Json<V1Service>;
type ServicePort = Json<V1ServicePort>;

export const apiServerPortName = "kube-apiserver";
export const konnectivityPortName = "konnectivity-server";

const defaultApiServerPort = 6443;

/** networkProfile.port, with the CRD default for objects that skipped defaulting. */
export function apiServerPort(tcp: TenantControlPlane): number {
  return tcp.spec.networkProfile?.port ?? defaultApiServerPort;
}

/** metadata.name, which every TenantControlPlane read from the API server has. */
export function tenantName(tcp: TenantControlPlane): string {
  const name = tcp.metadata.name;
  if (!name) throw new Error("TenantControlPlane without metadata.name");
  return name;
}

export interface ServiceOptions {
  /**
   * The konnectivity server port when the addon is enabled: emitted as ports[1] `konnectivity-server`, so that
   * this builder is the only writer of the ports list (upstream patches ports[1] in a second handler).
   */
  readonly konnectivityPort?: number;
}

export function buildService(tcp: TenantControlPlane, options: ServiceOptions = {}): Service {
  const name = tenantName(tcp);
  const { service } = tcp.spec.controlPlane;
  const network = tcp.spec.networkProfile;
  const type = service.serviceType;
  const port = apiServerPort(tcp);
  // A NodePort Service exposes the managed ports on the same node port numbers.
  const fixedPort = (portName: string, number: number): ServicePort => ({
    name: portName,
    protocol: "TCP",
    port: number,
    targetPort: number,
    ...(type === "NodePort" ? { nodePort: number } : {}),
  });

  const ports: ServicePort[] = [fixedPort(apiServerPortName, port)];
  if (options.konnectivityPort !== undefined) ports.push(fixedPort(konnectivityPortName, options.konnectivityPort));
  for (const extra of service.additionalPorts ?? []) {
    ports.push({
      name: extra.name,
      protocol: extra.protocol ?? "TCP",
      ...(extra.appProtocol !== undefined ? { appProtocol: extra.appProtocol } : {}),
      port: extra.port,
      targetPort: extra.targetPort,
    });
  }

  const spec: NonNullable<Service["spec"]> = { type, selector: { [nameLabel]: name }, ports };
  if (type === "LoadBalancer") {
    // Written as the Kubernetes default (true) when unset, so that clearing the field reverts it. With false the
    // ports carry no nodePort, which makes the API server release the allocated ones.
    spec.allocateLoadBalancerNodePorts = service.allocateLoadBalancerNodePorts ?? true;
    if (network?.loadBalancerClass !== undefined) spec.loadBalancerClass = network.loadBalancerClass;
    if (network?.loadBalancerSourceRanges?.length)
      spec.loadBalancerSourceRanges = [...network.loadBalancerSourceRanges];
  } else if (network?.allowAddressAsExternalIP && network.address) {
    // Upstream uses the resolved address (the ClusterIP when no address is declared); only the declared address
    // is meaningful as an external IP, so that is the one used here.
    spec.externalIPs = [network.address];
  }

  const annotations = service.additionalMetadata?.annotations;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: resourceNames(name).service,
      namespace: tcp.metadata.namespace,
      // Kamaji's labels win over user labels: controllers and users select generated objects by them.
      labels: { ...service.additionalMetadata?.labels, ...kamajiLabels(name, "service") },
      ...(annotations && Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
    },
    spec,
  };
}

/**
 * host:port with Go's net.JoinHostPort semantics (which upstream uses): an IPv6 host, i.e. any host containing a
 * colon, is wrapped in brackets.
 */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Why the address cannot be resolved yet; the reconciler requeues after 1s for both. */
export type PendingReason = "NonExposedLoadBalancer" | "MissingValidIP";

export type ServiceEndpoint =
  | {
      readonly kind: "resolved";
      readonly address: string;
      readonly port: number;
      readonly controlPlaneEndpoint: string;
    }
  | { readonly kind: "pending"; readonly reason: PendingReason; readonly message: string }
  | { readonly kind: "error"; readonly message: string };

const missingValidIP: ServiceEndpoint = {
  kind: "pending",
  reason: "MissingValidIP",
  message: "the Service has no valid IP address yet",
};

/**
 * The address the tenant API server is reached at: spec.networkProfile.address when declared, else the ClusterIP
 * (ClusterIP and NodePort Services), else the first LoadBalancer ingress IP. An ingress that only carries a
 * hostname is an error: its resolution may change and break every client of the tenant cluster.
 */
export function resolveServiceEndpoint(tcp: TenantControlPlane, liveService: Service): ServiceEndpoint {
  const port = apiServerPort(tcp);
  const resolved = (address: string): ServiceEndpoint => ({
    kind: "resolved",
    address,
    port,
    controlPlaneEndpoint: joinHostPort(address, port),
  });

  const declared = tcp.spec.networkProfile?.address;
  if (declared) return resolved(declared);

  const type = liveService.spec?.type ?? "ClusterIP";
  if (type === "ClusterIP" || type === "NodePort") {
    const clusterIP = liveService.spec?.clusterIP;
    return clusterIP && clusterIP !== "None" ? resolved(clusterIP) : missingValidIP;
  }
  if (type !== "LoadBalancer") return missingValidIP;

  const ingress = liveService.status?.loadBalancer?.ingress ?? [];
  if (ingress.length === 0) {
    return {
      kind: "pending",
      reason: "NonExposedLoadBalancer",
      message: "the LoadBalancer Service has not been assigned an address yet",
    };
  }
  for (const entry of ingress) {
    if (entry.ip) return resolved(entry.ip);
    if (entry.hostname) {
      return {
        kind: "error",
        message: `hostname not supported for LoadBalancer ingress (${entry.hostname}): use a static IP address instead`,
      };
    }
  }
  return missingValidIP;
}
