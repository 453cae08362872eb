export { PkiError } from "./errors.js";
export { decodePemBlocks, encodePem, type PemBlock, type PemInput } from "./pem.js";
export { generateKeyPair, type CryptoKey, type KeyAlgorithm, type KeyPair } from "./key-pair.js";
export {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  parsePrivateKeyPem,
  parsePublicKeyPem,
  type PrivateKeyPemFormat,
} from "./key-pem.js";
export {
  type Certificate,
  type ExtendedKeyUsageName,
  type KeyUsageName,
  EXTENDED_KEY_USAGE_OIDS,
  parseCertificatePem,
} from "./certificate.js";
export {
  type CertificateAndKey,
  type CertificateAuthority,
  type CertificateKeyPem,
  encodeCertificateAndKey,
  keyMatchesCertificate,
  loadCertificateAndKey,
  loadCertificateAuthority,
} from "./certificate-and-key.js";
export {
  type CertificateAuthorityRequest,
  createCertificateAuthority,
  crossSignAuthority,
} from "./certificate-authority.js";
export { type CertificateRequest, issueCertificate } from "./issue-certificate.js";
export {
  type CertificateExpectations,
  type SubjectAltNames,
  certificateProblems,
  expiresWithin,
  hasExtendedKeyUsage,
  isNotYetValid,
  isSignedBy,
  missingSubjectAltNames,
} from "./checks.js";
export {
  type ServiceAccountKeyPem,
  encodeServiceAccountKeyPair,
  generateServiceAccountKeyPair,
  loadServiceAccountKeyPair,
} from "./service-account.js";
export { CA_VALIDITY_MS, LEAF_VALIDITY_MS } from "./validity.js";
export {
  TENANT_AUTHORITY_COMMON_NAMES,
  TENANT_CERTIFICATE_PROFILES,
  type TenantAuthorityName,
  type TenantCertificateName,
  type TenantCertificateProfile,
} from "./tenant-profiles.js";
export {
  type TenantCertificateOptions,
  type TenantCertificateSet,
  type TenantCertificateSetOptions,
  generateTenantCertificateSet,
  issueTenantCertificate,
} from "./tenant-certificates.js";
