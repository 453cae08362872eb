import type { Certificate, ExtendedKeyUsageName } from "./certificate.js";
import { keyMatchesCertificate } from "./certificate-and-key.js";
import { canonicalIpAddress } from "./ip-address.js";
import type { KeyPair } from "./key-pair.js";

export interface SubjectAltNames {
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
}

export function isNotYetValid(certificate: Certificate, now: Date = new Date()): boolean {
  return now.getTime() < certificate.notBefore.getTime();
}

/** True when the certificate is expired at `now + thresholdMs` (a threshold of 0 means "already expired"). */
export function expiresWithin(certificate: Certificate, thresholdMs: number, now: Date = new Date()): boolean {
  return certificate.notAfter.getTime() <= now.getTime() + thresholdMs;
}

/** The issuer name matches the CA's subject (and AKI its SKI, when both are set) and the CA's key verifies the signature. */
export function isSignedBy(certificate: Certificate, authority: Certificate): boolean {
  try {
    return certificate.x509.checkIssued(authority.x509) && certificate.x509.verify(authority.x509.publicKey);
  } catch {
    return false;
  }
}

export function hasExtendedKeyUsage(certificate: Certificate, usage: ExtendedKeyUsageName): boolean {
  return certificate.extendedKeyUsages.includes(usage);
}

/** The wanted SANs the certificate lacks. DNS names compare case-insensitively, IPs in canonical form. */
export function missingSubjectAltNames(
  certificate: Certificate,
  wanted: SubjectAltNames,
): { dnsNames: string[]; ipAddresses: string[] } {
  const presentDnsNames = new Set(certificate.dnsNames.map((name) => name.toLowerCase()));
  const presentIpAddresses = new Set(certificate.ipAddresses);
  return {
    dnsNames: (wanted.dnsNames ?? []).filter((name) => !presentDnsNames.has(name.toLowerCase())),
    ipAddresses: (wanted.ipAddresses ?? []).filter((ip) => !presentIpAddresses.has(canonicalIpAddress(ip) ?? ip)),
  };
}

export interface CertificateExpectations {
  readonly now?: Date;
  /** Renewal threshold: a certificate expiring within it is a problem (Kamaji's --certificate-expiration-deadline). */
  readonly expiryThresholdMs?: number;
  readonly key?: KeyPair;
  readonly signedBy?: Certificate;
  readonly extendedKeyUsages?: readonly ExtendedKeyUsageName[];
  readonly subjectAltNames?: SubjectAltNames;
}

/** Every way `certificate` falls short of `expected`, as sentences for logs and events; empty means valid. */
export function certificateProblems(certificate: Certificate, expected: CertificateExpectations): string[] {
  const now = expected.now ?? new Date();
  const thresholdMs = expected.expiryThresholdMs ?? 0;
  const problems: string[] = [];
  if (isNotYetValid(certificate, now)) problems.push(`not valid before ${certificate.notBefore.toISOString()}`);
  if (expiresWithin(certificate, 0, now)) {
    problems.push(`expired at ${certificate.notAfter.toISOString()}`);
  } else if (expiresWithin(certificate, thresholdMs, now)) {
    problems.push(`expires at ${certificate.notAfter.toISOString()}, within the ${thresholdMs} ms renewal threshold`);
  }
  if (expected.key !== undefined && !keyMatchesCertificate(certificate, expected.key)) {
    problems.push("the private key does not match the certificate");
  }
  if (expected.signedBy !== undefined && !isSignedBy(certificate, expected.signedBy)) {
    problems.push(`not signed by the CA "${expected.signedBy.subject}"`);
  }
  for (const usage of expected.extendedKeyUsages ?? []) {
    if (!hasExtendedKeyUsage(certificate, usage)) problems.push(`lacks the extended key usage ${usage}`);
  }
  if (expected.subjectAltNames !== undefined) {
    const missing = missingSubjectAltNames(certificate, expected.subjectAltNames);
    const names = [...missing.dnsNames.map((name) => `DNS:${name}`), ...missing.ipAddresses.map((ip) => `IP:${ip}`)];
    if (names.length > 0) problems.push(`lacks the subject alternative names ${names.join(", ")}`);
  }
  return problems;
}
