import { type Certificate, certificateFromDer } from "./certificate.js";
import type { CertificateAuthority } from "./certificate-and-key.js";
import { PkiError } from "./errors.js";
import { type KeyPair, signatureAlgorithm } from "./key-pair.js";
import { randomSerialNumberHex } from "./serial-number.js";
import { CA_VALIDITY_MS, validityWindow } from "./validity.js";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  PeculiarCertificate,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from "./x509-library.js";

export interface CertificateAuthorityRequest {
  /** e.g. "kubernetes" or "front-proxy-ca". */
  readonly commonName: string;
  readonly key: KeyPair;
  readonly validityMs?: number;
  readonly now?: Date;
}

/** A self-signed root CA: CA:TRUE (critical), keyCertSign + cRLSign + digitalSignature, 10 years by default. */
export async function createCertificateAuthority(request: CertificateAuthorityRequest): Promise<CertificateAuthority> {
  if (request.commonName === "") throw new PkiError("certificate authority request: commonName is empty");
  const { notBefore, notAfter } = validityWindow(request.now ?? new Date(), request.validityMs ?? CA_VALIDITY_MS);
  const generated = await X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumberHex(),
    name: [{ CN: [request.commonName] }],
    notBefore,
    notAfter,
    keys: { privateKey: request.key.privateKey, publicKey: request.key.publicKey },
    signingAlgorithm: signatureAlgorithm[request.key.algorithm],
    extensions: [
      new BasicConstraintsExtension(true, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature, true),
      await SubjectKeyIdentifierExtension.create(request.key.publicKey),
    ],
  });
  const certificate = certificateFromDer(new Uint8Array(generated.rawData), `new CA "${request.commonName}"`);
  return { certificate, key: request.key };
}

/**
 * The CA `successor` signed by `issuer` (the CA it replaces): same subject, key and key identifier as the successor's
 * own self-signed certificate, valid as long as the issuer. Served as an intermediate after a leaf the successor
 * signed, it lets a client that trusts only the issuer verify that leaf (a CA rotation's cross-signed certificate).
 */
export async function crossSignAuthority(
  successor: CertificateAuthority,
  issuer: CertificateAuthority,
  now: Date = new Date(),
): Promise<Certificate> {
  const extensions = [
    new BasicConstraintsExtension(true, undefined, true),
    new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature, true),
    await SubjectKeyIdentifierExtension.create(successor.key.publicKey),
    ...(issuer.certificate.subjectKeyId === undefined
      ? []
      : [new AuthorityKeyIdentifierExtension(issuer.certificate.subjectKeyId)]),
  ];
  const generated = await X509CertificateGenerator.create({
    serialNumber: randomSerialNumberHex(),
    subject: new PeculiarCertificate(successor.certificate.der).subjectName,
    issuer: new PeculiarCertificate(issuer.certificate.der).subjectName,
    notBefore: validityWindow(now, 0).notBefore,
    notAfter: issuer.certificate.notAfter,
    publicKey: successor.key.publicKey,
    signingKey: issuer.key.privateKey,
    signingAlgorithm: signatureAlgorithm[issuer.key.algorithm],
    extensions,
  });
  return certificateFromDer(new Uint8Array(generated.rawData), `CA "${successor.certificate.subject}" cross-signed`);
}
