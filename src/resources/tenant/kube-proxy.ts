// The kube-proxy addon inside the tenant cluster (reference §6): the objects kubeadm v1.34's EnsureProxyAddon
// creates, labelled as Kamaji's so that disabling the addon deletes only what Kamaji made.
import type {
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1DaemonSet,
  V1Role,
  V1RoleBinding,
  V1ServiceAccount,
} from "@kubernetes/client-node";
import { stringify } from "yaml";
import type { Json } from "../../api/k8s-types.js";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { parseIP } from "../../net/ip.js";
import { mapChecksum } from "../checksum.js";
import { podCidrsOf } from "../kubeadm-config.js";
import { projectLabel } from "../labels.js";

export interface KubeProxyInput {
  /** URL of the tenant API server the proxies talk to, e.g. `https://192.0.2.10:6443`. */
  readonly server: string;
}

export interface KubeProxyObjects {
  readonly serviceAccount: Json<V1ServiceAccount>;
  readonly clusterRoleBinding: Json<V1ClusterRoleBinding>;
  readonly role: Json<V1Role>;
  readonly roleBinding: Json<V1RoleBinding>;
  readonly configMap: Json<V1ConfigMap>;
  readonly daemonSet: Json<V1DaemonSet>;
}

const namespace = "kube-system";
const name = "kube-proxy";
const rbacGroup = "rbac.authorization.k8s.io";
const configDir = "/var/lib/kube-proxy";
const configKey = "config.conf";
const kubeconfigKey = "kubeconfig.conf";
const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Nodes joining with a kubeadm bootstrap token read the kube-proxy ConfigMap. */
const bootstrapTokenGroup = "system:bootstrappers:kubeadm:default-node-token";
const defaultRegistry = "registry.k8s.io";

const managedLabels = () => ({ [projectLabel]: "kamaji" });
const selector = () => ({ "k8s-app": name });

/** `<imageRepository or registry.k8s.io>/kube-proxy:<imageTag or the tenant's Kubernetes version>`. */
export function kubeProxyImage(tcp: TenantControlPlane): string {
  const override = tcp.spec.addons?.kubeProxy;
  return `${override?.imageRepository || defaultRegistry}/kube-proxy:${override?.imageTag || tcp.spec.kubernetes.version}`;
}

/** kubeadm binds on every IPv6 address when the API server is reached over IPv6, else on every IPv4 one. */
function bindAddress(server: string): string {
  const host = new URL(server).hostname.replace(/^\[(.*)\]$/, "$1");
  return parseIP(host)?.kind() === "ipv6" ? "::" : "0.0.0.0";
}

/** The KubeProxyConfiguration kubeadm defaults; kube-proxy fills in every field left out. */
function proxyConfiguration(tcp: TenantControlPlane, server: string): string {
  return stringify({
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    bindAddress: bindAddress(server),
    clientConnection: { kubeconfig: `${configDir}/${kubeconfigKey}` },
    clusterCIDR: podCidrsOf(tcp).join(","),
    // Empty: the platform's default proxier (iptables on Linux).
    mode: "",
  });
}

/** Authenticates with the pod's own ServiceAccount token and trusts the cluster CA it is mounted with. */
function inClusterKubeconfig(server: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "default", cluster: { "certificate-authority": `${serviceAccountDir}/ca.crt`, server } }],
    contexts: [{ name: "default", context: { cluster: "default", namespace: "default", user: "default" } }],
    "current-context": "default",
    users: [{ name: "default", user: { tokenFile: `${serviceAccountDir}/token` } }],
  });
}

/**
 * kube-proxy reads its configuration and kubeconfig only at start: the pods carry a checksum of the ConfigMap so
 * that a change (the tenant's endpoint after a port change, say) rolls them. kubeadm leaves the proxies on the old
 * settings until someone restarts them.
 */
export const kubeProxyConfigChecksumAnnotation = "kamaji.clastix.io/kube-proxy-config-checksum";

function daemonSet(tcp: TenantControlPlane, configData: Record<string, string>): Json<V1DaemonSet> {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name, namespace, labels: { ...selector(), ...managedLabels() } },
    spec: {
      selector: { matchLabels: selector() },
      updateStrategy: { type: "RollingUpdate" },
      template: {
        metadata: {
          labels: selector(),
          annotations: { [kubeProxyConfigChecksumAnnotation]: mapChecksum(configData) },
        },
        spec: {
          priorityClassName: "system-node-critical",
          containers: [
            {
              name,
              image: kubeProxyImage(tcp),
              imagePullPolicy: "IfNotPresent",
              command: [
                "/usr/local/bin/kube-proxy",
                `--config=${configDir}/${configKey}`,
                "--hostname-override=$(NODE_NAME)",
              ],
              securityContext: { privileged: true },
              volumeMounts: [
                { mountPath: configDir, name },
                { mountPath: "/run/xtables.lock", name: "xtables-lock", readOnly: false },
                { mountPath: "/lib/modules", name: "lib-modules", readOnly: true },
              ],
              env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
            },
          ],
          hostNetwork: true,
          serviceAccountName: name,
          volumes: [
            { name, configMap: { name } },
            { name: "xtables-lock", hostPath: { path: "/run/xtables.lock", type: "FileOrCreate" } },
            { name: "lib-modules", hostPath: { path: "/lib/modules" } },
          ],
          // Every node needs its proxy, whatever its taints.
          tolerations: [{ operator: "Exists" }],
          nodeSelector: { "kubernetes.io/os": "linux" },
        },
      },
    },
  };
}

export function kubeProxyObjects(tcp: TenantControlPlane, input: KubeProxyInput): KubeProxyObjects {
  const configData = {
    [kubeconfigKey]: inClusterKubeconfig(input.server),
    [configKey]: proxyConfiguration(tcp, input.server),
  };
  return {
    serviceAccount: {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name, namespace, labels: managedLabels() },
    },
    clusterRoleBinding: {
      apiVersion: `${rbacGroup}/v1`,
      kind: "ClusterRoleBinding",
      metadata: { name: "kubeadm:node-proxier", labels: managedLabels() },
      roleRef: { apiGroup: rbacGroup, kind: "ClusterRole", name: "system:node-proxier" },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
    role: {
      apiVersion: `${rbacGroup}/v1`,
      kind: "Role",
      metadata: { name, namespace, labels: managedLabels() },
      rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: [name], verbs: ["get"] }],
    },
    roleBinding: {
      apiVersion: `${rbacGroup}/v1`,
      kind: "RoleBinding",
      metadata: { name, namespace, labels: managedLabels() },
      roleRef: { apiGroup: rbacGroup, kind: "Role", name },
      subjects: [{ apiGroup: rbacGroup, kind: "Group", name: bootstrapTokenGroup }],
    },
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace, labels: { app: name, ...managedLabels() } },
      data: configData,
    },
    daemonSet: daemonSet(tcp, configData),
  };
}
