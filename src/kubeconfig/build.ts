import type { Kubeconfig } from "./kubeconfig.js";

export interface CertificateKubeconfigRequest {
  /** kubeadm uses the cluster name (the TCP name); Kamaji's konnectivity kubeconfig uses "kubernetes". */
  readonly clusterName: string;
  readonly server: string;
  readonly certificateAuthorityPem: string;
  /** The user entry's name, conventionally the certificate's CN (e.g. kubernetes-admin). */
  readonly userName: string;
  readonly clientCertificatePem: string;
  readonly clientKeyPem: string;
  /** Default `<user>@<cluster>`, kubeadm's convention. */
  readonly contextName?: string;
}

/** One cluster, one user and one context joining them, selected as the current context. */
export function buildCertificateKubeconfig(request: CertificateKubeconfigRequest): Kubeconfig {
  const contextName = request.contextName ?? `${request.userName}@${request.clusterName}`;
  return {
    clusters: [
      { name: request.clusterName, server: request.server, certificateAuthorityPem: request.certificateAuthorityPem },
    ],
    users: [
      {
        name: request.userName,
        clientCertificatePem: request.clientCertificatePem,
        clientKeyPem: request.clientKeyPem,
      },
    ],
    contexts: [{ name: contextName, cluster: request.clusterName, user: request.userName }],
    currentContext: contextName,
  };
}
