// The webhook's serving certificate as its Secret holds it (ca.crt, tls.crt, tls.key): reading and checking a
// stored one, and issuing a new one from a fresh CA.
import {
  certificateProblems,
  createCertificateAuthority,
  decodePemBlocks,
  encodePem,
  expiresWithin,
  exportPrivateKeyPem,
  generateKeyPair,
  isSignedBy,
  issueCertificate,
  loadCertificateAndKey,
  parseCertificatePem,
  PkiError,
  type Certificate,
  type CertificateKeyPem,
  type KeyAlgorithm,
  type SubjectAltNames,
} from "../../pki/index.js";

const secretKeys = { caBundle: "ca.crt", certificate: "tls.crt", privateKey: "tls.key" } as const;

export interface ServingCertificate extends CertificateKeyPem {
  /** The CAs clients trust the webhook through: the one that issued the certificate, maybe its predecessor. */
  readonly caBundlePem: string;
  readonly notAfter: Date;
}

export interface ServingRequirements {
  /** The SANs the certificate must carry (the Service's names and any extra ones). */
  readonly subjectAltNames: Required<SubjectAltNames>;
  /** A certificate or CA expiring within this is renewed. */
  readonly renewBeforeMs: number;
}

/** A stored certificate: usable, or why not (with the CA that issued it, when it is still worth trusting). */
export type StoredServingCertificate =
  | { readonly usable: true; readonly certificate: ServingCertificate }
  | { readonly usable: false; readonly problems: readonly string[]; readonly issuer?: Certificate };

const decodeData = (data: Readonly<Record<string, string>>, key: string): string | undefined => {
  const value = data[key];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
};

function parseBundle(pem: string, what: string): Certificate[] {
  return decodePemBlocks(pem, what)
    .filter((block) => block.label === "CERTIFICATE")
    .map((block) => parseCertificatePem(encodePem(block.label, block.der), what));
}

/** Checks the Secret's data against the requirements; never throws on bad content, it reports it. */
export async function readServingCertificate(
  data: Readonly<Record<string, string>>,
  what: string,
  requirements: ServingRequirements,
  now: Date = new Date(),
): Promise<StoredServingCertificate> {
  const caBundlePem = decodeData(data, secretKeys.caBundle);
  const certificatePem = decodeData(data, secretKeys.certificate);
  const privateKeyPem = decodeData(data, secretKeys.privateKey);
  if (caBundlePem === undefined || certificatePem === undefined || privateKeyPem === undefined) {
    const missing = Object.values(secretKeys).filter((key) => data[key] === undefined);
    return { usable: false, problems: [`lacks ${missing.join(", ")}`] };
  }
  try {
    const { certificate } = await loadCertificateAndKey(
      { certificatePem, privateKeyPem },
      `${what} ${secretKeys.certificate}`,
    );
    const issuer = parseBundle(caBundlePem, `${what} ${secretKeys.caBundle}`).find((ca) => isSignedBy(certificate, ca));
    const problems = certificateProblems(certificate, {
      now,
      expiryThresholdMs: requirements.renewBeforeMs,
      extendedKeyUsages: ["serverAuth"],
      subjectAltNames: requirements.subjectAltNames,
    });
    if (issuer === undefined) problems.push(`not signed by a CA of ${secretKeys.caBundle}`);
    else if (expiresWithin(issuer, requirements.renewBeforeMs, now)) {
      problems.push(`its CA expires at ${issuer.notAfter.toISOString()}`);
    }
    if (problems.length > 0) {
      return { usable: false, problems, ...(issuer === undefined || expiresWithin(issuer, 0, now) ? {} : { issuer }) };
    }
    return {
      usable: true,
      certificate: { certificatePem, privateKeyPem, caBundlePem, notAfter: certificate.notAfter },
    };
  } catch (error) {
    if (error instanceof PkiError) return { usable: false, problems: [error.message] };
    throw error;
  }
}

export interface IssueOptions {
  readonly commonName: string;
  readonly subjectAltNames: Required<SubjectAltNames>;
  readonly validityMs: number;
  readonly keyAlgorithm: KeyAlgorithm;
  /**
   * The CA of the certificate being replaced, kept in the bundle so that clients that still get the old
   * certificate (from a replica that has not reloaded yet) keep trusting it.
   */
  readonly previousCa?: Certificate;
}

/**
 * A new CA and a certificate it issues. The CA key is dropped once the certificate is signed: the CA is never
 * used again, and the next renewal makes a new one.
 */
export async function issueServingCertificate(options: IssueOptions): Promise<ServingCertificate> {
  const [caKey, key] = await Promise.all([
    generateKeyPair(options.keyAlgorithm),
    generateKeyPair(options.keyAlgorithm),
  ]);
  const ca = await createCertificateAuthority({
    commonName: `${options.commonName}-ca`,
    key: caKey,
    validityMs: options.validityMs,
  });
  const certificate = await issueCertificate(ca, key.publicKey, {
    commonName: options.commonName,
    dnsNames: options.subjectAltNames.dnsNames,
    ipAddresses: options.subjectAltNames.ipAddresses,
    extendedKeyUsages: ["serverAuth"],
    validityMs: options.validityMs,
  });
  return {
    certificatePem: certificate.pem,
    privateKeyPem: exportPrivateKeyPem(key),
    caBundlePem: ca.certificate.pem + (options.previousCa?.pem ?? ""),
    notAfter: certificate.notAfter,
  };
}

export function servingCertificateData(certificate: ServingCertificate): Record<string, string> {
  const encode = (text: string) => Buffer.from(text, "utf8").toString("base64");
  return {
    [secretKeys.caBundle]: encode(certificate.caBundlePem),
    [secretKeys.certificate]: encode(certificate.certificatePem),
    [secretKeys.privateKey]: encode(certificate.privateKeyPem),
  };
}
