import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  type Certificate,
  type CertificateAuthority,
  certificateProblems,
  createCertificateAuthority,
  expiresWithin,
  generateKeyPair,
  hasExtendedKeyUsage,
  isNotYetValid,
  isSignedBy,
  issueCertificate,
  type KeyPair,
  keyMatchesCertificate,
  missingSubjectAltNames,
} from "../../../src/pki/index.js";
import { openssl, withFiles } from "./openssl.js";

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const BACKDATE_MS = 5 * 60 * 1000;

for (const algorithm of ["RSA", "ECDSA"] as const) {
  describe(`${algorithm} certificate checks`, () => {
    const issuedAt = new Date("2026-03-01T12:00:00Z");
    let authority: CertificateAuthority;
    let rotatedAuthority: CertificateAuthority;
    let key: KeyPair;
    let otherKey: KeyPair;
    let server: Certificate;

    before(async () => {
      const keys = await Promise.all([1, 2, 3, 4].map(() => generateKeyPair(algorithm)));
      const [caKey, rotatedKey, leafKey, unrelatedKey] = keys as [KeyPair, KeyPair, KeyPair, KeyPair];
      key = leafKey;
      otherKey = unrelatedKey;
      const caCreatedAt = new Date(issuedAt.getTime() - DAY_MS);
      authority = await createCertificateAuthority({ commonName: "kubernetes", key: caKey, now: caCreatedAt });
      rotatedAuthority = await createCertificateAuthority({
        commonName: "kubernetes",
        key: rotatedKey,
        now: caCreatedAt,
      });
      server = await issueCertificate(authority, key.publicKey, {
        commonName: "kube-apiserver",
        dnsNames: ["kubernetes", "Tcp.Ns.Svc"],
        ipAddresses: ["10.96.0.1", "2001:db8::1"],
        extendedKeyUsages: ["serverAuth"],
        validityMs: 30 * DAY_MS,
        now: issuedAt,
      });
    });

    test("key pair match", () => {
      assert.equal(keyMatchesCertificate(server, key), true);
      assert.equal(keyMatchesCertificate(server, otherKey), false);
      assert.equal(keyMatchesCertificate(authority.certificate, authority.key), true);
    });

    test("not yet valid before notBefore (issue time minus the 5 minute backdate)", () => {
      assert.equal(isNotYetValid(server, issuedAt), false);
      assert.equal(isNotYetValid(server, new Date(issuedAt.getTime() - BACKDATE_MS + 1000)), false);
      assert.equal(isNotYetValid(server, new Date(issuedAt.getTime() - BACKDATE_MS - 1000)), true);
      assert.equal(isNotYetValid(server, new Date(issuedAt.getTime() - DAY_MS)), true);
    });

    test("expiry, with and without a renewal threshold", () => {
      const notAfter = issuedAt.getTime() + 30 * DAY_MS;
      assert.equal(server.notAfter.getTime(), notAfter);
      assert.equal(expiresWithin(server, 0, new Date(notAfter - 1000)), false, "valid one second before notAfter");
      assert.equal(expiresWithin(server, 0, new Date(notAfter)), true, "expired at notAfter");
      assert.equal(expiresWithin(server, 24 * HOUR_MS, new Date(notAfter - 25 * HOUR_MS)), false);
      assert.equal(expiresWithin(server, 24 * HOUR_MS, new Date(notAfter - 23 * HOUR_MS)), true);
    });

    test("signed by: the issuing CA only, not a CA with the same name and another key", () => {
      assert.equal(isSignedBy(server, authority.certificate), true);
      assert.equal(isSignedBy(server, rotatedAuthority.certificate), false);
      assert.equal(isSignedBy(authority.certificate, authority.certificate), true);
      assert.equal(isSignedBy(rotatedAuthority.certificate, authority.certificate), false);
    });

    test("extended key usage", () => {
      assert.equal(hasExtendedKeyUsage(server, "serverAuth"), true);
      assert.equal(hasExtendedKeyUsage(server, "clientAuth"), false);
      assert.equal(hasExtendedKeyUsage(authority.certificate, "serverAuth"), false);
    });

    test("SANs: DNS names case-insensitively, IPs in any textual form", () => {
      assert.deepEqual(
        missingSubjectAltNames(server, {
          dnsNames: ["KUBERNETES", "tcp.ns.svc"],
          ipAddresses: ["10.96.0.1", "2001:DB8:0:0:0:0:0:1", "::ffff:10.96.0.1"],
        }),
        { dnsNames: [], ipAddresses: [] },
      );
      assert.deepEqual(
        missingSubjectAltNames(server, {
          dnsNames: ["kubernetes", "tcp.ns.svc.cluster.local"],
          ipAddresses: ["10.96.0.2", "2001:db8::2", "not-an-ip"],
        }),
        { dnsNames: ["tcp.ns.svc.cluster.local"], ipAddresses: ["10.96.0.2", "2001:db8::2", "not-an-ip"] },
      );
    });

    test("certificateProblems is empty for a good certificate", () => {
      const problems = certificateProblems(server, {
        now: new Date(issuedAt.getTime() + DAY_MS),
        expiryThresholdMs: DAY_MS,
        key,
        signedBy: authority.certificate,
        extendedKeyUsages: ["serverAuth"],
        subjectAltNames: { dnsNames: ["kubernetes"], ipAddresses: ["10.96.0.1"] },
      });
      assert.deepEqual(problems, []);
    });

    test("certificateProblems lists every problem", () => {
      const expected = {
        key: otherKey,
        signedBy: rotatedAuthority.certificate,
        extendedKeyUsages: ["serverAuth", "clientAuth"],
        subjectAltNames: { dnsNames: ["missing.example"], ipAddresses: ["fd00::1"] },
      } as const;
      assert.deepEqual(certificateProblems(server, { ...expected, now: new Date(issuedAt.getTime() - DAY_MS) }), [
        `not valid before ${server.notBefore.toISOString()}`,
        "the private key does not match the certificate",
        'not signed by the CA "CN=kubernetes"',
        "lacks the extended key usage clientAuth",
        "lacks the subject alternative names DNS:missing.example, IP:fd00::1",
      ]);
      assert.deepEqual(
        certificateProblems(server, { now: new Date(server.notAfter.getTime() - HOUR_MS), expiryThresholdMs: DAY_MS }),
        [`expires at ${server.notAfter.toISOString()}, within the ${DAY_MS} ms renewal threshold`],
      );
      assert.deepEqual(certificateProblems(server, { now: server.notAfter, expiryThresholdMs: DAY_MS }), [
        `expired at ${server.notAfter.toISOString()}`,
      ]);
    });

    test("openssl agrees: the leaf verifies at a time inside its window, not before or after it", async () => {
      const epoch = (date: Date): string => String(Math.floor(date.getTime() / 1000));
      await withFiles({ "ca.crt": authority.certificate.pem, "leaf.crt": server.pem }, (dir) => {
        const at = (date: Date) => openssl(["verify", "-attime", epoch(date), "-CAfile", "ca.crt", "leaf.crt"], dir);
        assert.equal(at(new Date(issuedAt.getTime() + DAY_MS)).status, 0);
        assert.match(at(new Date(issuedAt.getTime() - DAY_MS)).stderr, /certificate is not yet valid/);
        assert.match(at(new Date(issuedAt.getTime() + 31 * DAY_MS)).stderr, /certificate has expired/);
      });
    });
  });
}
