// Certificates for the test servers (etcd, PostgreSQL, MariaDB, nats-server) and their clients: a CA of each
// server's own, ECDSA keys (quick to generate), and the server's TLS files.
import {
  type CertificateAuthority,
  type CertificateKeyPem,
  type CertificateRequest,
  createCertificateAuthority,
  encodeCertificateAndKey,
  generateKeyPair,
  issueCertificate,
} from "../../src/pki/index.js";
import type { WriteFile } from "./server-directory.js";

/** A self-signed CA with a new ECDSA key. */
export async function createTestAuthority(commonName: string): Promise<CertificateAuthority> {
  return createCertificateAuthority({ commonName, key: await generateKeyPair("ECDSA") });
}

/** A certificate from `authority` for a new ECDSA key, with that key. */
export async function issueTestCertificate(
  authority: CertificateAuthority,
  request: CertificateRequest,
): Promise<CertificateKeyPem> {
  const key = await generateKeyPair("ECDSA");
  return encodeCertificateAndKey({ certificate: await issueCertificate(authority, key.publicKey, request), key });
}

/** A client certificate (clientAuth) whose CN is the user a server authenticates it as. */
export function issueTestClientCertificate(
  authority: CertificateAuthority,
  commonName: string,
): Promise<CertificateKeyPem> {
  return issueTestCertificate(authority, { commonName, extendedKeyUsages: ["clientAuth"] });
}

/** A test server's CA and the certificate the server presents. */
export interface TestServerPki {
  readonly authority: CertificateAuthority;
  readonly ca: CertificateKeyPem;
  readonly server: CertificateKeyPem;
}

/** A CA `<name>-ca` and, from it, the server certificate `<name>-server` for the names and usages in `request`. */
export async function createTestServerPki(
  name: string,
  request: Omit<CertificateRequest, "commonName">,
): Promise<TestServerPki> {
  const authority = await createTestAuthority(`${name}-ca`);
  return {
    authority,
    ca: encodeCertificateAndKey(authority),
    server: await issueTestCertificate(authority, { commonName: `${name}-server`, ...request }),
  };
}

/** Writes the CA certificate and the server's certificate and key with `writeFile`; returns their paths. */
export function writeServerTlsFiles(
  writeFile: WriteFile,
  pki: TestServerPki,
): { caFile: string; certFile: string; keyFile: string } {
  return {
    caFile: writeFile("ca.crt", pki.ca.certificatePem),
    certFile: writeFile("server.crt", pki.server.certificatePem),
    keyFile: writeFile("server.key", pki.server.privateKeyPem),
  };
}
