import {
  type Certificate,
  certificateFromDer,
  EXTENDED_KEY_USAGE_OIDS,
  type ExtendedKeyUsageName,
} from "./certificate.js";
import type { CertificateAuthority } from "./certificate-and-key.js";
import { PkiError } from "./errors.js";
import { canonicalIpAddress, expandedIpAddress } from "./ip-address.js";
import { type CryptoKey, signatureAlgorithm, webCryptoKeyAlgorithm } from "./key-pair.js";
import { randomSerialNumberHex } from "./serial-number.js";
import { LEAF_VALIDITY_MS, validityWindow } from "./validity.js";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  type Extension,
  ExtendedKeyUsageExtension,
  type JsonGeneralName,
  KeyUsageFlags,
  KeyUsagesExtension,
  Name,
  PeculiarCertificate,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from "./x509-library.js";

export interface CertificateRequest {
  readonly commonName: string;
  /** Subject O values; Kubernetes reads them as the user's groups. */
  readonly organizations?: readonly string[];
  readonly dnsNames?: readonly string[];
  /** IPv4 or IPv6 text; duplicates (after canonicalisation) are dropped. */
  readonly ipAddresses?: readonly string[];
  readonly extendedKeyUsages?: readonly ExtendedKeyUsageName[];
  /** Default one year (kubeadm's leaf validity). */
  readonly validityMs?: number;
  readonly now?: Date;
}

/**
 * Issues a leaf certificate (CA:FALSE) for `subjectPublicKey`, signed by `authority`. Key usage is
 * digitalSignature, plus keyEncipherment for RSA keys; the AKI is the CA's SKI.
 */
export async function issueCertificate(
  authority: CertificateAuthority,
  subjectPublicKey: CryptoKey,
  request: CertificateRequest,
): Promise<Certificate> {
  const context = `certificate request for "${request.commonName}"`;
  if (request.commonName === "") throw new PkiError("certificate request: commonName is empty");
  const { notBefore, notAfter } = validityWindow(request.now ?? new Date(), request.validityMs ?? LEAF_VALIDITY_MS);
  const extensions: Extension[] = [
    new BasicConstraintsExtension(false, undefined, true),
    keyUsageExtension(subjectPublicKey),
    await SubjectKeyIdentifierExtension.create(subjectPublicKey),
  ];
  if (authority.certificate.subjectKeyId !== undefined) {
    extensions.push(new AuthorityKeyIdentifierExtension(authority.certificate.subjectKeyId));
  }
  const extendedKeyUsages = request.extendedKeyUsages ?? [];
  if (extendedKeyUsages.length > 0) {
    extensions.push(new ExtendedKeyUsageExtension(extendedKeyUsages.map((usage) => EXTENDED_KEY_USAGE_OIDS[usage])));
  }
  const subjectAltNames = subjectAltNamesFor(request, context);
  if (subjectAltNames.length > 0) extensions.push(new SubjectAlternativeNameExtension(subjectAltNames));

  const generated = await X509CertificateGenerator.create({
    serialNumber: randomSerialNumberHex(),
    subject: subjectName(request),
    issuer: new PeculiarCertificate(authority.certificate.der).subjectName,
    notBefore,
    notAfter,
    publicKey: subjectPublicKey,
    signingKey: authority.key.privateKey,
    signingAlgorithm: signatureAlgorithm[authority.key.algorithm],
    extensions,
  });
  return certificateFromDer(new Uint8Array(generated.rawData), `new ${context}`);
}

function keyUsageExtension(subjectPublicKey: CryptoKey): KeyUsagesExtension {
  return subjectPublicKey.algorithm.name === webCryptoKeyAlgorithm.RSA.name
    ? new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment, true)
    : new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true);
}

/**
 * O before CN, the order Go's pkix.Name produces. Values are passed as typed ASN.1 strings, never as text: the
 * library parses plain strings as RFC 4514 (dropping backslashes and quotes, decoding `#` hex), which would let a
 * tenant-chosen name such as `"root"` come out as CN=root. PrintableString when it can hold the value, as Go does.
 */
function subjectName(request: CertificateRequest): Name {
  const value = (text: string) =>
    /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text) ? { printableString: text } : { utf8String: text };
  const organizations = request.organizations ?? [];
  return new Name([
    ...(organizations.length > 0 ? [{ O: organizations.map(value) }] : []),
    { CN: [value(request.commonName)] },
  ]);
}

function subjectAltNamesFor(request: CertificateRequest, context: string): JsonGeneralName[] {
  const dnsNames = new Set<string>();
  for (const dnsName of request.dnsNames ?? []) {
    if (dnsName.trim() === "") throw new PkiError(`${context}: empty DNS name`);
    dnsNames.add(dnsName);
  }
  const ipAddresses = new Set<string>();
  for (const text of request.ipAddresses ?? []) {
    const canonical = canonicalIpAddress(text);
    if (canonical === undefined) throw new PkiError(`${context}: "${text}" is not an IP address`);
    ipAddresses.add(canonical);
  }
  return [
    ...[...dnsNames].map((value): JsonGeneralName => ({ type: "dns", value })),
    ...[...ipAddresses].map((value): JsonGeneralName => ({ type: "ip", value: expandedIpAddress(value) })),
  ];
}
