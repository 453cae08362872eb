// The ConfigMap `<tcp>-kubeadmconfig` (pipeline step 4): the kubeadm InitConfiguration and ClusterConfiguration
// (kubeadm.k8s.io/v1beta4) the later phases work from, each stored as JSON.
import type { V1ConfigMap } from "@kubernetes/client-node";
import type { Json } from "../api/k8s-types.js";
import type { Driver } from "../api/v1alpha1/datastore.js";
import type { TenantControlPlane } from "../api/v1alpha1/kinds.js";
import { mapChecksum } from "./checksum.js";
import { checksumAnnotation, kamajiLabels } from "./labels.js";
import { resourceNames } from "./names.js";
import { joinHostPort, tenantName } from "./service.js";

export type ConfigMap = Json<V1ConfigMap>;

const kubeadmApiVersion = "kubeadm.k8s.io/v1beta4";

// CRD defaults, for objects that skipped defaulting.
const defaultServiceCidr = "10.96.0.0/16";
const defaultPodCidr = "10.244.0.0/16";
const defaultClusterDomain = "cluster.local";

// Where the Deployment mounts the datastore-certificate Secret (§4); upstream writes kubeadm's
// apiserver-etcd-client paths instead, which do not exist in the pod.
const etcdCaFile = "/etc/kubernetes/pki/etcd/ca.crt";
const etcdCertFile = "/etc/kubernetes/pki/etcd/server.crt";
const etcdKeyFile = "/etc/kubernetes/pki/etcd/server.key";

/** Kine listens here inside the pod for the non-etcd drivers. */
const kineEndpoint = "http://127.0.0.1:2379";

/** The `<kind>Cidrs` list when set, else the deprecated single `<kind>Cidr`, else the CRD default. */
function effectiveCidrs(list: readonly string[] | undefined, single: string | undefined, fallback: string): string[] {
  if (list?.length) return [...list];
  return [single || fallback];
}

export function serviceCidrsOf(tcp: TenantControlPlane): string[] {
  const network = tcp.spec.networkProfile;
  return effectiveCidrs(network?.serviceCidrs, network?.serviceCidr, defaultServiceCidr);
}

export function podCidrsOf(tcp: TenantControlPlane): string[] {
  const network = tcp.spec.networkProfile;
  return effectiveCidrs(network?.podCidrs, network?.podCidr, defaultPodCidr);
}

export function clusterDomainOf(tcp: TenantControlPlane): string {
  return tcp.spec.networkProfile?.clusterDomain ?? defaultClusterDomain;
}

/**
 * Kamaji's apiServer.certSANs, in upstream's order and without deduplication: loopback, the in-cluster names of
 * the Service (the `.svc.cluster.local` suffix is hard-coded upstream, whatever the management cluster's domain),
 * the address, the user's certSANs, then advertiseAddress when it differs from the address.
 */
export function kamajiCertSANs(tcp: TenantControlPlane, address: string): string[] {
  const name = tenantName(tcp);
  const namespace = tcp.metadata.namespace ?? "";
  const network = tcp.spec.networkProfile;
  const sans = [
    "127.0.0.1",
    "localhost",
    name,
    `${name}.${namespace}.svc`,
    `${name}.${namespace}.svc.cluster.local`,
    address,
    ...(network?.certSANs ?? []),
  ];
  const advertiseAddress = network?.advertiseAddress;
  if (advertiseAddress && advertiseAddress !== address) sans.push(advertiseAddress);
  return sans;
}

/**
 * kubeadm's controlPlaneEndpoint: the ingress or gateway hostname when one is set (a `:port` suffix on it wins over
 * `port`), else advertiseAddress (or the address) with `port`.
 */
export function kubeadmControlPlaneEndpoint(
  tcp: TenantControlPlane,
  address: string,
  port: number,
): { host: string; port: number } {
  const { ingress, gateway } = tcp.spec.controlPlane;
  const hostname = ingress?.hostname || gateway?.hostname;
  if (hostname) {
    // Upstream splits on ":" and only honours exactly one positive numeric port.
    const parts = hostname.split(":");
    const explicitPort = parts.length === 2 && /^[0-9]+$/.test(parts[1] ?? "") ? Number(parts[1]) : 0;
    return { host: parts[0] ?? "", port: explicitPort > 0 ? explicitPort : port };
  }
  return { host: tcp.spec.networkProfile?.advertiseAddress || address, port };
}

export interface KubeadmConfigInput {
  /** The resolved address of the control plane (see resolveServiceEndpoint). */
  readonly address: string;
  readonly port: number;
  readonly dataStore: { readonly driver: Driver; readonly endpoints: readonly string[] };
  /** status.storage.setup.schema: the etcd key prefix is `/<schema>`. */
  readonly schema: string;
}

export function buildKubeadmConfig(tcp: TenantControlPlane, input: KubeadmConfigInput): ConfigMap {
  const name = tenantName(tcp);
  const { address, port, dataStore, schema } = input;
  const endpoint = kubeadmControlPlaneEndpoint(tcp, address, port);

  const initConfiguration = {
    apiVersion: kubeadmApiVersion,
    kind: "InitConfiguration",
    localAPIEndpoint: { advertiseAddress: address, bindPort: port },
  };

  // Only etcd endpoints use https, and only they need the client certificate.
  const external =
    dataStore.driver === "etcd"
      ? {
          endpoints: dataStore.endpoints.map((hostPort) => `https://${hostPort}`),
          caFile: etcdCaFile,
          certFile: etcdCertFile,
          keyFile: etcdKeyFile,
        }
      : { endpoints: [kineEndpoint] };

  const clusterConfiguration = {
    apiVersion: kubeadmApiVersion,
    kind: "ClusterConfiguration",
    etcd: { external },
    networking: {
      dnsDomain: clusterDomainOf(tcp),
      podSubnet: podCidrsOf(tcp).join(","),
      serviceSubnet: serviceCidrsOf(tcp).join(","),
    },
    kubernetesVersion: tcp.spec.kubernetes.version,
    controlPlaneEndpoint: joinHostPort(endpoint.host, endpoint.port),
    apiServer: {
      extraArgs: [
        { name: "etcd-compaction-interval", value: "0s" },
        { name: "etcd-prefix", value: `/${schema}` },
      ],
      certSANs: kamajiCertSANs(tcp, address),
    },
    clusterName: name,
  };

  // Object literals keep their insertion order, so the JSON (and its checksum) is stable.
  const data = {
    ClusterConfiguration: JSON.stringify(clusterConfiguration),
    InitConfiguration: JSON.stringify(initConfiguration),
  };
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: resourceNames(name).kubeadmConfig,
      namespace: tcp.metadata.namespace,
      labels: kamajiLabels(name, "kubeadmconfig"),
      annotations: { [checksumAnnotation]: mapChecksum(data) },
    },
    data,
  };
}
