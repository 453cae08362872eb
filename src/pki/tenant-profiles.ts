import type { ExtendedKeyUsageName } from "./certificate.js";
import { CA_VALIDITY_MS, LEAF_VALIDITY_MS } from "./validity.js";

/** The two CAs of a tenant control plane and their subjects (kubeadm's ca and front-proxy-ca). */
export const TENANT_AUTHORITY_COMMON_NAMES = {
  ca: "kubernetes",
  frontProxyCa: "front-proxy-ca",
} as const;

export type TenantAuthorityName = keyof typeof TENANT_AUTHORITY_COMMON_NAMES;

export interface TenantCertificateProfile {
  readonly issuer: TenantAuthorityName;
  readonly commonName: string;
  readonly organizations: readonly string[];
  readonly extendedKeyUsages: readonly ExtendedKeyUsageName[];
  readonly validityMs: number;
}

/**
 * The leaf certificates of a tenant control plane, with kubeadm v1.34's identities (cmd/kubeadm certlist.go and
 * the kubeconfig phase). apiserver-kubelet-client has no O there: kubeadm binds its user name to
 * system:kubelet-api-admin (ClusterRoleBinding kubeadm:apiserver-kubelet-client). The konnectivity client keeps Kamaji's 10-year validity, but not its template's
 * O=system:masters: the server only needs the RBAC bound to its user name.
 */
export const TENANT_CERTIFICATE_PROFILES = {
  apiServer: leaf("ca", "kube-apiserver", [], ["serverAuth"]),
  apiServerKubeletClient: leaf("ca", "kube-apiserver-kubelet-client", [], ["clientAuth"]),
  frontProxyClient: leaf("frontProxyCa", "front-proxy-client", [], ["clientAuth"]),
  admin: leaf("ca", "kubernetes-admin", ["kubeadm:cluster-admins"], ["clientAuth"]),
  superAdmin: leaf("ca", "kubernetes-super-admin", ["system:masters"], ["clientAuth"]),
  controllerManager: leaf("ca", "system:kube-controller-manager", [], ["clientAuth"]),
  scheduler: leaf("ca", "system:kube-scheduler", [], ["clientAuth"]),
  konnectivity: { ...leaf("ca", "system:konnectivity-server", [], ["clientAuth"]), validityMs: CA_VALIDITY_MS },
} as const satisfies Record<string, TenantCertificateProfile>;

export type TenantCertificateName = keyof typeof TENANT_CERTIFICATE_PROFILES;

function leaf(
  issuer: TenantAuthorityName,
  commonName: string,
  organizations: readonly string[],
  extendedKeyUsages: readonly ExtendedKeyUsageName[],
): TenantCertificateProfile {
  return { issuer, commonName, organizations, extendedKeyUsages, validityMs: LEAF_VALIDITY_MS };
}
