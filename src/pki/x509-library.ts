// @peculiar/x509 relies on decorator metadata at load time, so reflect-metadata must be evaluated first.
// Every module in src/pki imports the library through this file to keep that order.
import "reflect-metadata";
export {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Name,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate as PeculiarCertificate,
  X509CertificateGenerator,
} from "@peculiar/x509";
export type { Extension, JsonGeneralName } from "@peculiar/x509";
