// The per-tenant etcd client certificate (the `<tcp>-datastore-certificate` Secret): with auth enabled, etcd takes
// the user name from the certificate's CN, so this certificate is the tenant's etcd identity.
import {
  type CertificateKeyPem,
  CA_VALIDITY_MS,
  encodeCertificateAndKey,
  generateKeyPair,
  issueCertificate,
  type KeyAlgorithm,
  loadCertificateAuthority,
} from "../pki/index.js";

export interface EtcdClientCertificateRequest {
  /** The DataStore's CA, which etcd trusts for client certificates. */
  readonly authority: CertificateKeyPem;
  /** The tenant's etcd user name, written as the CN. */
  readonly user: string;
  /** Default RSA (RSA-2048), as upstream. */
  readonly algorithm?: KeyAlgorithm;
  readonly now?: Date;
  /** Default 10 years, as upstream. */
  readonly validityMs?: number;
}

/**
 * Issues a client certificate for `user`, signed by the DataStore CA: O=system:masters, clientAuth + serverAuth +
 * codeSigning (upstream's template), valid 10 years. The key is PKCS#1 (RSA) or SEC1 (ECDSA) PEM, as upstream
 * writes it.
 */
export async function issueEtcdClientCertificate(request: EtcdClientCertificateRequest): Promise<CertificateKeyPem> {
  const authority = await loadCertificateAuthority(request.authority, "the DataStore certificate authority");
  const key = await generateKeyPair(request.algorithm ?? "RSA");
  const certificate = await issueCertificate(authority, key.publicKey, {
    commonName: request.user,
    organizations: ["system:masters"],
    extendedKeyUsages: ["clientAuth", "serverAuth", "codeSigning"],
    validityMs: request.validityMs ?? CA_VALIDITY_MS,
    now: request.now,
  });
  return encodeCertificateAndKey({ certificate, key }, "traditional");
}
