// What the operator keeps inside one tenant cluster: kubeadm's phases (upload-config, kubelet-config, bootstrap
// token and cluster-info, cluster-admin RBAC) and the enabled addons; and what it removes: the objects of addons
// that were disabled, and the konnectivity agent's workload of the mode not in use.
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import type { KubeObject } from "../../runtime/kube-client.js";
import { coreDnsObjects } from "../../resources/tenant/coredns.js";
import { konnectivityAgentObjects, staleKonnectivityAgentKind } from "../../resources/tenant/konnectivity-agent.js";
import { kubeProxyObjects } from "../../resources/tenant/kube-proxy.js";
import {
  blockedOperations,
  writePermissionsConfiguration,
  writePermissionsConfigurationName,
  type GuardEndpoint,
} from "../../resources/tenant/write-permissions.js";
import { kubernetesServiceEndpoints, type ApiServerEndpoint } from "../../resources/tenant/kubernetes-endpoints.js";
import { freezeConfiguration, freezeConfigurationName } from "../../resources/tenant/freeze.js";
import {
  bootstrapTokenObjects,
  clusterAdminObjects,
  kubeletConfigObjects,
  uploadConfigObjects,
} from "../../resources/tenant/kubeadm-phases.js";

export interface TenantInputs {
  /** The ClusterConfiguration of the `<tcp>-kubeadmconfig` ConfigMap. */
  readonly clusterConfiguration: Readonly<Record<string, unknown>>;
  readonly caCertificatePem: string;
  /** `https://<controlPlaneEndpoint>`: what nodes, kube-proxy and cluster-info point at. */
  readonly server: string;
  /** Where konnectivity agents dial the server: the advertised address. */
  readonly proxyServerHost: string;
  /** The API servers' advertise address and secure port: the `kubernetes` Service's endpoint. */
  readonly apiServer: ApiServerEndpoint;
  /** The operator's webhook server, for the write-permission webhook; absent when it serves none. */
  readonly guard?: GuardEndpoint;
}

export interface TenantPlan {
  readonly apply: readonly KubeObject[];
  /** Deleted when present and labelled as Kamaji's (a user's own object of the same name is left alone). */
  readonly remove: readonly KubeObject[];
  /** Deleted like `remove`, before anything is applied: the freeze, which would refuse the applies. */
  readonly removeFirst: readonly KubeObject[];
  /** The tenant moves to another DataStore: only the freeze is applied, nothing else is written meanwhile. */
  readonly frozen: boolean;
}

const freezeObject: KubeObject = {
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingWebhookConfiguration",
  metadata: { name: freezeConfigurationName },
};

type Addons = NonNullable<TenantControlPlane["spec"]["addons"]>;

/** The TCP with one addon switched on, to name the objects a disabled addon would have. */
function withAddon(tcp: TenantControlPlane, addon: keyof Addons): TenantControlPlane {
  const copy = structuredClone(tcp);
  const addons: Addons = (copy.spec.addons ??= {});
  if (addon === "konnectivity") addons.konnectivity = { server: { port: 8132 }, agent: {} };
  else addons[addon] = {};
  return copy;
}

const objectsOf = (built: object): KubeObject[] => Object.values(built) as KubeObject[];

/**
 * The TCP as the tenant's own objects see it: at the version its control plane runs (status), not the one asked
 * for. During an upgrade kubeadm-config, kubelet-config and the addons (kube-proxy, CoreDNS, konnectivity agent)
 * follow only once every API server runs the new version, as `kubeadm upgrade apply` does them after the control
 * plane: kube-proxy and the agents must never be newer than the API server.
 */
export function atRunningVersion(tcp: TenantControlPlane): TenantControlPlane {
  const running = tcp.status?.kubernetesResources?.version?.version;
  if (!running || running === tcp.spec.kubernetes.version) return tcp;
  const copy = structuredClone(tcp);
  copy.spec.kubernetes.version = running;
  return copy;
}

export function tenantPlan(desired: TenantControlPlane, inputs: TenantInputs): TenantPlan {
  if (desired.status?.kubernetesResources?.version?.status === "Migrating") {
    const freeze = inputs.guard === undefined ? [] : [freezeConfiguration(desired, inputs.guard) as KubeObject];
    return { apply: freeze, remove: [], removeFirst: [], frozen: true };
  }
  const tcp = atRunningVersion(desired);
  const clusterConfiguration = { ...inputs.clusterConfiguration, kubernetesVersion: tcp.spec.kubernetes.version };
  const apply: KubeObject[] = [
    ...uploadConfigObjects({ clusterConfiguration }),
    ...kubeletConfigObjects(tcp),
    ...bootstrapTokenObjects({ server: inputs.server, caCertificatePem: inputs.caCertificatePem }),
    ...clusterAdminObjects(),
    ...objectsOf(kubernetesServiceEndpoints(inputs.apiServer)),
  ] as KubeObject[];
  const remove: KubeObject[] = [];
  const addons = tcp.spec.addons ?? {};

  if (blockedOperations(tcp).length > 0 && inputs.guard !== undefined) {
    apply.push(writePermissionsConfiguration(tcp, inputs.guard));
  } else if (blockedOperations(tcp).length === 0) {
    remove.push({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: writePermissionsConfigurationName },
    });
  }

  const coreDns = coreDnsObjects(addons.coreDNS === undefined ? withAddon(tcp, "coreDNS") : tcp);
  (addons.coreDNS === undefined ? remove : apply).push(...objectsOf(coreDns));

  const kubeProxy = kubeProxyObjects(addons.kubeProxy === undefined ? withAddon(tcp, "kubeProxy") : tcp, {
    server: inputs.server,
  });
  (addons.kubeProxy === undefined ? remove : apply).push(...objectsOf(kubeProxy));

  const konnectivityTcp = addons.konnectivity === undefined ? withAddon(tcp, "konnectivity") : tcp;
  const agent = konnectivityAgentObjects(konnectivityTcp, { proxyServerHost: inputs.proxyServerHost });
  if (addons.konnectivity === undefined) {
    remove.push(...objectsOf(agent));
  } else {
    apply.push(...objectsOf(agent));
    const { name, namespace } = agent.workload.metadata ?? {};
    const stale = staleKonnectivityAgentKind(tcp);
    remove.push({ apiVersion: "apps/v1", kind: stale, metadata: { name, namespace } });
  }
  return { apply, remove, removeFirst: [freezeObject], frozen: false };
}
