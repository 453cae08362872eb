// The objects kubeadm's init phases leave in a cluster, as Kamaji keeps them in each tenant cluster (reference §6,
// the soot controllers PhaseUploadConfigKubeadm, PhaseUploadConfigKubelet, PhaseBootstrapToken and
// PhaseClusterAdminRBAC). Names and subjects follow kubeadm v1.34. No bootstrap token is created.
import type {
  RbacV1Subject,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1Role,
  V1RoleBinding,
} from "@kubernetes/client-node";
import { stringify } from "yaml";
import type { Json } from "../../api/k8s-types.js";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { mapChecksum } from "../checksum.js";
import { clusterDomainOf } from "../kubeadm-config.js";
import { projectLabel } from "../labels.js";
import { dnsServiceIPsOf } from "./coredns.js";
import { applyJsonPatch } from "./json-patch.js";

export type ConfigMap = Json<V1ConfigMap>;
type Role = Json<V1Role>;
type RoleBinding = Json<V1RoleBinding>;
type ClusterRole = Json<V1ClusterRole>;
type ClusterRoleBinding = Json<V1ClusterRoleBinding>;
export type TenantObject = ConfigMap | Role | RoleBinding | ClusterRole | ClusterRoleBinding;
type Subject = Json<RbacV1Subject>;

const kubeSystem = "kube-system";
const kubePublic = "kube-public";
const rbacGroup = "rbac.authorization.k8s.io";
const rbacApiVersion = `${rbacGroup}/v1`;

/** The group of every node's kubelet credentials. */
const nodesGroup = "system:nodes";
/** The group kubeadm's default bootstrap tokens authenticate as. */
const bootstrapTokenGroup = "system:bootstrappers:kubeadm:default-node-token";

// ---------------------------------------------------------------- object helpers

/** Marks the object as Kamaji's, so the operator can tell what it owns in the tenant cluster. */
const ownedLabels = (): Record<string, string> => ({ [projectLabel]: "kamaji" });

// Subjects carry the apiGroup the API server would default, so desired and stored objects compare equal.
const group = (name: string): Subject => ({ apiGroup: rbacGroup, kind: "Group", name });
const user = (name: string): Subject => ({ apiGroup: rbacGroup, kind: "User", name });

function configMap(namespace: string, name: string, data: Record<string, string>): ConfigMap {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, labels: ownedLabels() }, data };
}

/** A Role allowing `get` on one ConfigMap, and its RoleBinding of the same name for `subjects`. */
function configMapReader(
  namespace: string,
  name: string,
  configMapName: string,
  subjects: Subject[],
): [Role, RoleBinding] {
  const metadata = () => ({ name, namespace, labels: ownedLabels() });
  return [
    {
      apiVersion: rbacApiVersion,
      kind: "Role",
      metadata: metadata(),
      rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: [configMapName], verbs: ["get"] }],
    },
    {
      apiVersion: rbacApiVersion,
      kind: "RoleBinding",
      metadata: metadata(),
      roleRef: { apiGroup: rbacGroup, kind: "Role", name },
      subjects,
    },
  ];
}

function clusterRoleBinding(name: string, clusterRole: string, subjects: Subject[]): ClusterRoleBinding {
  return {
    apiVersion: rbacApiVersion,
    kind: "ClusterRoleBinding",
    metadata: { name, labels: ownedLabels() },
    roleRef: { apiGroup: rbacGroup, kind: "ClusterRole", name: clusterRole },
    subjects,
  };
}

/** YAML as kubeadm's marshaller writes it: keys sorted, sequences not indented, long scalars never folded. */
function toKubeadmYaml(value: unknown): string {
  return stringify(value, { sortMapEntries: true, indentSeq: false, lineWidth: 0 });
}

// ---------------------------------------------------------------- upload-config (kubeadm)

const kubeadmApiVersion = "kubeadm.k8s.io/v1beta4";

export interface UploadConfigInput {
  /** The ClusterConfiguration stored as JSON in the `<tcp>-kubeadmconfig` ConfigMap, parsed. */
  readonly clusterConfiguration: Readonly<Record<string, unknown>>;
}

/** kubeadm's upload-config/kubeadm phase: ConfigMap `kube-system/kubeadm-config`, readable by nodes and tokens. */
export function uploadConfigObjects(input: UploadConfigInput): TenantObject[] {
  const { apiVersion, kind } = input.clusterConfiguration;
  if (apiVersion !== kubeadmApiVersion || kind !== "ClusterConfiguration") {
    throw new Error(
      `upload-config: expected a ${kubeadmApiVersion} ClusterConfiguration, got apiVersion ${JSON.stringify(apiVersion)} kind ${JSON.stringify(kind)}`,
    );
  }
  const name = "kubeadm-config";
  return [
    configMap(kubeSystem, name, { ClusterConfiguration: toKubeadmYaml(input.clusterConfiguration) }),
    ...configMapReader(kubeSystem, "kubeadm:nodes-kubeadm-config", name, [
      group(bootstrapTokenGroup),
      group(nodesGroup),
    ]),
  ];
}

// ---------------------------------------------------------------- upload-config (kubelet)

/**
 * The KubeletConfiguration kubeadm v1.34 generates (componentconfigs kubelet defaults), with the tenant's DNS,
 * domain and cgroup driver. resolvConf is left to the kubelet: kubeadm's systemd-resolved probe looks at the
 * machine kubeadm runs on, which here is not a node.
 */
function kubeletConfiguration(tcp: TenantControlPlane): Record<string, unknown> {
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: "/etc/kubernetes/pki/ca.crt" },
    },
    authorization: { mode: "Webhook" },
    cgroupDriver: tcp.spec.kubernetes.kubelet.cgroupfs ?? "systemd",
    clusterDNS: dnsServiceIPsOf(tcp),
    clusterDomain: clusterDomainOf(tcp),
    healthzBindAddress: "127.0.0.1",
    healthzPort: 10248,
    rotateCertificates: true,
    staticPodPath: "/etc/kubernetes/manifests",
  };
}

/**
 * kubeadm's upload-config/kubelet phase: ConfigMap `kube-system/kubelet-config` (key `kubelet`) holding the
 * KubeletConfiguration with spec.kubernetes.kubelet.configurationJSONPatches applied, readable by nodes and tokens.
 * Throws when a patch operation fails, naming it.
 */
export function kubeletConfigObjects(tcp: TenantControlPlane): TenantObject[] {
  const patched = applyJsonPatch(
    kubeletConfiguration(tcp),
    tcp.spec.kubernetes.kubelet.configurationJSONPatches ?? [],
    "spec.kubernetes.kubelet.configurationJSONPatches",
  );
  const name = "kubelet-config";
  return [
    configMap(kubeSystem, name, { kubelet: toKubeadmYaml(patched) }),
    ...configMapReader(kubeSystem, "kubeadm:kubelet-config", name, [group(nodesGroup), group(bootstrapTokenGroup)]),
  ];
}

// ---------------------------------------------------------------- bootstrap-token

export interface BootstrapTokenInput {
  /** The API server URL joining nodes use: the admin kubeconfig's server (the control-plane endpoint). */
  readonly server: string;
  readonly caCertificatePem: string;
}

/**
 * The `kubeconfig` key of cluster-info as kubeadm writes it (clientcmd.Write of a Config whose only entry is a
 * cluster named ""): nodes discover the API server and its CA from it before they have any credentials.
 */
function clusterInfoKubeconfig(input: BootstrapTokenInput): string {
  return toKubeadmYaml({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "",
        cluster: {
          "certificate-authority-data": Buffer.from(input.caCertificatePem, "utf8").toString("base64"),
          server: input.server,
        },
      },
    ],
    contexts: null,
    "current-context": "",
    preferences: {},
    users: null,
  });
}

/**
 * kubeadm's bootstrap-token phase minus the token: bootstrap tokens may get nodes and post CSRs, the CSR approver
 * signs node bootstrap and rotation requests, and anonymous users may read `kube-public/cluster-info`.
 */
export function bootstrapTokenObjects(input: BootstrapTokenInput): TenantObject[] {
  if (!URL.canParse(input.server)) {
    throw new Error(`bootstrap-token: the cluster-info server ${JSON.stringify(input.server)} is not a URL`);
  }
  const getNodes = "kubeadm:get-nodes";
  return [
    {
      apiVersion: rbacApiVersion,
      kind: "ClusterRole",
      metadata: { name: getNodes, labels: ownedLabels() },
      rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }],
    },
    clusterRoleBinding(getNodes, getNodes, [group(bootstrapTokenGroup)]),
    clusterRoleBinding("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", [group(bootstrapTokenGroup)]),
    clusterRoleBinding(
      "kubeadm:node-autoapprove-bootstrap",
      "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
      [group(bootstrapTokenGroup)],
    ),
    clusterRoleBinding(
      "kubeadm:node-autoapprove-certificate-rotation",
      "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
      [group(nodesGroup)],
    ),
    configMap(kubePublic, "cluster-info", { kubeconfig: clusterInfoKubeconfig(input) }),
    ...configMapReader(kubePublic, "kubeadm:bootstrap-signer-clusterinfo", "cluster-info", [user("system:anonymous")]),
  ];
}

/**
 * status.kubeadmPhase.bootstrapToken.checksum: the checksum of the cluster-info ConfigMap's whole data as read from
 * the tenant cluster (the controller-manager's bootstrap signer adds `jws-kubeconfig-*` keys to it). Pass `{}` when
 * the ConfigMap does not exist.
 */
export function clusterInfoChecksum(configMap: Pick<ConfigMap, "data">): string {
  return mapChecksum(configMap.data ?? {});
}

// ---------------------------------------------------------------- cluster-admin RBAC

/**
 * kubeadm's admin ClusterRoleBinding (`kubeadm:cluster-admins` group → cluster-admin), and the binding that lets
 * the API server use the kubelet API (logs, exec, port-forward) with its `kube-apiserver-kubelet-client`
 * certificate, which carries no organisation.
 */
export function clusterAdminObjects(): TenantObject[] {
  return [
    clusterRoleBinding("kubeadm:cluster-admins", "cluster-admin", [group("kubeadm:cluster-admins")]),
    clusterRoleBinding("kubeadm:apiserver-kubelet-client", "system:kubelet-api-admin", [
      user("kube-apiserver-kubelet-client"),
    ]),
  ];
}
