import { KeyObject } from "node:crypto";
import type { Certificate } from "./certificate.js";
import { parseCertificatePem } from "./certificate.js";
import { PkiError } from "./errors.js";
import { exportPrivateKeyPem, parsePrivateKeyPem, type PrivateKeyPemFormat } from "./key-pem.js";
import type { KeyPair } from "./key-pair.js";
import type { PemInput } from "./pem.js";

export interface CertificateAndKey {
  readonly certificate: Certificate;
  readonly key: KeyPair;
}

/** A certificate authority: a CA certificate with its private key. */
export type CertificateAuthority = CertificateAndKey;

/** The PEM pair as stored in a Secret (e.g. ca.crt / ca.key). */
export interface CertificateKeyPem {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export function keyMatchesCertificate(certificate: Certificate, key: KeyPair): boolean {
  try {
    return certificate.x509.checkPrivateKey(KeyObject.from(key.privateKey));
  } catch {
    return false;
  }
}

/** Parses a certificate and its private key; a key that does not belong to the certificate is an error. */
export async function loadCertificateAndKey(
  pem: { readonly certificatePem: PemInput; readonly privateKeyPem: PemInput },
  what: string,
): Promise<CertificateAndKey> {
  const certificate = parseCertificatePem(pem.certificatePem, what);
  const key = await parsePrivateKeyPem(pem.privateKeyPem, what);
  if (!keyMatchesCertificate(certificate, key)) {
    throw new PkiError(`${what}: the private key does not match the certificate "${certificate.subject}"`);
  }
  return { certificate, key };
}

/** As loadCertificateAndKey, and the certificate must be a CA (basicConstraints CA:TRUE). */
export async function loadCertificateAuthority(
  pem: { readonly certificatePem: PemInput; readonly privateKeyPem: PemInput },
  what: string,
): Promise<CertificateAuthority> {
  const authority = await loadCertificateAndKey(pem, what);
  if (!authority.certificate.isCA) {
    throw new PkiError(
      `${what}: certificate "${authority.certificate.subject}" is not a CA (basicConstraints CA:FALSE)`,
    );
  }
  return authority;
}

export function encodeCertificateAndKey(
  pair: CertificateAndKey,
  privateKeyFormat: PrivateKeyPemFormat = "pkcs8",
): CertificateKeyPem {
  return { certificatePem: pair.certificate.pem, privateKeyPem: exportPrivateKeyPem(pair.key, privateKeyFormat) };
}
