import {
  type CertificateAndKey,
  type CertificateAuthority,
  type CertificateKeyPem,
  encodeCertificateAndKey,
} from "./certificate-and-key.js";
import { createCertificateAuthority } from "./certificate-authority.js";
import type { SubjectAltNames } from "./checks.js";
import { issueCertificate } from "./issue-certificate.js";
import { generateKeyPair, type KeyAlgorithm, type KeyPair } from "./key-pair.js";
import type { PrivateKeyPemFormat } from "./key-pem.js";
import { encodeServiceAccountKeyPair, type ServiceAccountKeyPem } from "./service-account.js";
import {
  TENANT_AUTHORITY_COMMON_NAMES,
  TENANT_CERTIFICATE_PROFILES,
  type TenantAuthorityName,
  type TenantCertificateName,
} from "./tenant-profiles.js";

export interface TenantCertificateOptions {
  /** Only the apiServer profile uses them; the caller computes them (kubeadm defaults + Kamaji certSANs). */
  readonly subjectAltNames?: SubjectAltNames;
  readonly now?: Date;
  /** Default the profile's (kubeadm's 1 year; 10 years for the konnectivity client). */
  readonly validityMs?: number;
}

/** Issues one of the tenant leaf certificates for `key`; `authority` must be the profile's issuer. */
export async function issueTenantCertificate(
  name: TenantCertificateName,
  authority: CertificateAuthority,
  key: KeyPair,
  options: TenantCertificateOptions = {},
): Promise<CertificateAndKey> {
  const profile = TENANT_CERTIFICATE_PROFILES[name];
  const certificate = await issueCertificate(authority, key.publicKey, {
    commonName: profile.commonName,
    organizations: profile.organizations,
    extendedKeyUsages: profile.extendedKeyUsages,
    validityMs: options.validityMs ?? profile.validityMs,
    ...options.subjectAltNames,
    now: options.now,
  });
  return { certificate, key };
}

export interface TenantCertificateSetOptions {
  readonly apiServerSubjectAltNames: SubjectAltNames;
  /** Key type of every key except the service-account one, which is always RSA. Default RSA. */
  readonly algorithm?: KeyAlgorithm;
  readonly privateKeyFormat?: PrivateKeyPemFormat;
  readonly now?: Date;
}

export type TenantCertificateSet = Record<TenantAuthorityName | TenantCertificateName, CertificateKeyPem> & {
  readonly serviceAccount: ServiceAccountKeyPem;
};

/** Generates every CA, key and certificate of one tenant control plane; all keys are generated concurrently. */
export async function generateTenantCertificateSet(
  options: TenantCertificateSetOptions,
): Promise<TenantCertificateSet> {
  const algorithm = options.algorithm ?? "RSA";
  const now = options.now ?? new Date();
  const createAuthority = async (name: TenantAuthorityName): Promise<CertificateAuthority> =>
    createCertificateAuthority({
      commonName: TENANT_AUTHORITY_COMMON_NAMES[name],
      key: await generateKeyPair(algorithm),
      now,
    });
  const authorities: Record<TenantAuthorityName, Promise<CertificateAuthority>> = {
    ca: createAuthority("ca"),
    frontProxyCa: createAuthority("frontProxyCa"),
  };
  const serviceAccount = generateKeyPair("RSA");
  const leaves = (Object.keys(TENANT_CERTIFICATE_PROFILES) as TenantCertificateName[]).map(async (name) => {
    const [key, authority] = await Promise.all([
      generateKeyPair(algorithm),
      authorities[TENANT_CERTIFICATE_PROFILES[name].issuer],
    ]);
    const subjectAltNames = name === "apiServer" ? options.apiServerSubjectAltNames : {};
    return [name, await issueTenantCertificate(name, authority, key, { subjectAltNames, now })] as const;
  });

  const encode = (pair: CertificateAndKey): CertificateKeyPem =>
    encodeCertificateAndKey(pair, options.privateKeyFormat);
  const [ca, frontProxyCa, serviceAccountKey, issued] = await Promise.all([
    authorities.ca,
    authorities.frontProxyCa,
    serviceAccount,
    Promise.all(leaves),
  ]);
  const leafPems = Object.fromEntries(issued.map(([name, pair]) => [name, encode(pair)])) as Record<
    TenantCertificateName,
    CertificateKeyPem
  >;
  return {
    ca: encode(ca),
    frontProxyCa: encode(frontProxyCa),
    serviceAccount: encodeServiceAccountKeyPair(serviceAccountKey, options.privateKeyFormat),
    ...leafPems,
  };
}
