/**
 * A kubeconfig whose users authenticate with embedded client certificates, the only kind Kamaji writes.
 * Certificate and key fields hold the decoded PEM text; the YAML form carries them base64-encoded.
 */
export interface Kubeconfig {
  readonly clusters: readonly KubeconfigCluster[];
  readonly users: readonly KubeconfigUser[];
  readonly contexts: readonly KubeconfigContext[];
  readonly currentContext: string;
}

export interface KubeconfigCluster {
  readonly name: string;
  /** API server URL, e.g. https://10.0.0.1:6443. */
  readonly server: string;
  /** certificate-authority-data. */
  readonly certificateAuthorityPem: string;
}

export interface KubeconfigUser {
  readonly name: string;
  /** client-certificate-data. */
  readonly clientCertificatePem: string;
  /** client-key-data. */
  readonly clientKeyPem: string;
}

export interface KubeconfigContext {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string;
}
