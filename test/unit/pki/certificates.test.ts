import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import {
  type Certificate,
  type CertificateAuthority,
  CA_VALIDITY_MS,
  createCertificateAuthority,
  exportPrivateKeyPem,
  generateKeyPair,
  issueCertificate,
  type KeyPair,
  LEAF_VALIDITY_MS,
  loadCertificateAndKey,
  loadCertificateAuthority,
  parseCertificatePem,
  PkiError,
} from "../../../src/pki/index.js";
import { randomSerialNumberHex } from "../../../src/pki/serial-number.js";
import { openssl, opensslOk, withFiles } from "./openssl.js";

const BACKDATE_MS = 5 * 60 * 1000;

async function x509Text(certificate: Certificate): Promise<string> {
  return withFiles({ "cert.crt": certificate.pem }, (dir) =>
    opensslOk(["x509", "-in", "cert.crt", "-noout", "-text"], dir),
  );
}

/** The "X509v3 <name>:" extension of `openssl x509 -text`: its header line and first value line. */
function extension(text: string, name: string): { header: string; value: string } {
  const lines = text.split("\n");
  const index = lines.findIndex((line) => line.trim().startsWith(`X509v3 ${name}:`));
  assert.notEqual(index, -1, `openssl output has no X509v3 ${name} extension:\n${text}`);
  return { header: lines[index]?.trim() ?? "", value: lines[index + 1]?.trim() ?? "" };
}

/** openssl's -startdate/-enddate, as Dates. */
async function opensslDates(certificate: Certificate): Promise<{ notBefore: Date; notAfter: Date }> {
  const output = await withFiles({ "cert.crt": certificate.pem }, (dir) =>
    opensslOk(["x509", "-in", "cert.crt", "-noout", "-startdate", "-enddate"], dir),
  );
  const field = (name: string): Date => new Date(new RegExp(`${name}=(.*)`).exec(output)?.[1] ?? "invalid");
  return { notBefore: field("notBefore"), notAfter: field("notAfter") };
}

function verify(
  authority: Certificate,
  leaf: Certificate,
  extraArgs: string[] = [],
): Promise<ReturnType<typeof openssl>> {
  return withFiles({ "ca.crt": authority.pem, "leaf.crt": leaf.pem }, (dir) =>
    openssl(["verify", ...extraArgs, "-CAfile", "ca.crt", "leaf.crt"], dir),
  );
}

for (const algorithm of ["RSA", "ECDSA"] as const) {
  describe(`${algorithm} certificate authority and leaf`, () => {
    const signatureName = algorithm === "RSA" ? "sha256WithRSAEncryption" : "ecdsa-with-SHA256";
    let authority: CertificateAuthority;
    let otherAuthority: CertificateAuthority;
    let leafKey: KeyPair;
    let leaf: Certificate;

    before(async () => {
      const [caKey, otherKey, key] = await Promise.all([
        generateKeyPair(algorithm),
        generateKeyPair(algorithm),
        generateKeyPair(algorithm),
      ]);
      leafKey = key;
      authority = await createCertificateAuthority({ commonName: "kubernetes", key: caKey });
      // Same subject as the real CA, different key: what a rotated or foreign CA looks like.
      otherAuthority = await createCertificateAuthority({ commonName: "kubernetes", key: otherKey });
      leaf = await issueCertificate(authority, leafKey.publicKey, {
        commonName: "leaf",
        organizations: ["system:masters", "team-b"],
        dnsNames: ["kubernetes", "tcp.ns.svc", "tcp.ns.svc"],
        ipAddresses: ["10.96.0.1", "2001:db8::1", "2001:DB8:0::1", "fd00::a", "::ffff:10.0.0.5"],
        extendedKeyUsages: ["serverAuth", "clientAuth", "codeSigning"],
      });
    });

    test("the CA is self-signed, CA:TRUE, with certificate and CRL signing usages", async () => {
      const text = await x509Text(authority.certificate);
      assert.match(text, /Subject: CN ?= ?kubernetes\n/);
      assert.match(text, /Issuer: CN ?= ?kubernetes\n/);
      assert.match(text, new RegExp(`Signature Algorithm: ${signatureName}`));
      assert.deepEqual(extension(text, "Basic Constraints"), {
        header: "X509v3 Basic Constraints: critical",
        value: "CA:TRUE",
      });
      assert.deepEqual(extension(text, "Key Usage"), {
        header: "X509v3 Key Usage: critical",
        value: "Digital Signature, Certificate Sign, CRL Sign",
      });
      assert.equal(
        extension(text, "Subject Key Identifier").value.replaceAll(":", "").toLowerCase(),
        authority.certificate.subjectKeyId,
      );
      assert.equal(authority.certificate.isCA, true);
      assert.match((await verify(authority.certificate, authority.certificate)).stdout, /leaf.crt: OK/);
    });

    test("the CA is valid for 10 years, backdated by 5 minutes", async () => {
      const { notBefore, notAfter } = await opensslDates(authority.certificate);
      assert.ok(Math.abs(notAfter.getTime() - notBefore.getTime() - CA_VALIDITY_MS - BACKDATE_MS) <= 2000);
      assert.ok(notBefore.getTime() <= Date.now() - BACKDATE_MS + 1000);
    });

    test("openssl verifies the leaf against its CA", async () => {
      const result = await verify(authority.certificate, leaf);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), "leaf.crt: OK");
      const asServer = await verify(authority.certificate, leaf, ["-purpose", "sslserver"]);
      assert.equal(asServer.stdout.trim(), "leaf.crt: OK");
    });

    test("openssl rejects the leaf against another CA with the same name", async () => {
      const result = await verify(otherAuthority.certificate, leaf);
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /unable to get local issuer certificate/);
      assert.match(result.stderr, /error leaf.crt: verification failed/);
    });

    test("the leaf carries subject, SANs (IPv4, IPv6), usages and the CA's key identifier", async () => {
      const text = await x509Text(leaf);
      assert.match(text, /Subject: O ?= ?system:masters ?\+ ?O ?= ?team-b, CN ?= ?leaf\n/);
      assert.match(text, new RegExp(`Signature Algorithm: ${signatureName}`));
      assert.deepEqual(extension(text, "Basic Constraints"), {
        header: "X509v3 Basic Constraints: critical",
        value: "CA:FALSE",
      });
      assert.deepEqual(extension(text, "Key Usage"), {
        header: "X509v3 Key Usage: critical",
        value: algorithm === "RSA" ? "Digital Signature, Key Encipherment" : "Digital Signature",
      });
      assert.equal(
        extension(text, "Extended Key Usage").value,
        "TLS Web Server Authentication, TLS Web Client Authentication, Code Signing",
      );
      assert.equal(
        extension(text, "Subject Alternative Name").value,
        "DNS:kubernetes, DNS:tcp.ns.svc, IP Address:10.96.0.1, IP Address:2001:DB8:0:0:0:0:0:1, " +
          "IP Address:FD00:0:0:0:0:0:0:A, IP Address:10.0.0.5",
      );
      assert.equal(
        extension(text, "Authority Key Identifier")
          .value.replace(/^keyid:/, "")
          .replaceAll(":", "")
          .toLowerCase(),
        authority.certificate.subjectKeyId,
      );
    });

    test("the parsed leaf exposes the same fields", () => {
      assert.equal(leaf.commonName, "leaf");
      assert.deepEqual(leaf.organizations, ["system:masters", "team-b"]);
      assert.deepEqual(leaf.dnsNames, ["kubernetes", "tcp.ns.svc"]);
      assert.deepEqual(leaf.ipAddresses, ["10.96.0.1", "2001:db8::1", "fd00::a", "10.0.0.5"]);
      assert.deepEqual(leaf.extendedKeyUsages, ["serverAuth", "clientAuth", "codeSigning"]);
      assert.deepEqual(
        leaf.keyUsages,
        algorithm === "RSA" ? ["digitalSignature", "keyEncipherment"] : ["digitalSignature"],
      );
      assert.equal(leaf.isCA, false);
      assert.equal(leaf.issuer, "CN=kubernetes");
      assert.equal(leaf.authorityKeyId, authority.certificate.subjectKeyId);
      assert.notEqual(leaf.serialNumber, authority.certificate.serialNumber);
    });

    test("the leaf is valid for one year and openssl reads the same serial", async () => {
      const { notBefore, notAfter } = await opensslDates(leaf);
      assert.ok(Math.abs(notAfter.getTime() - notBefore.getTime() - LEAF_VALIDITY_MS - BACKDATE_MS) <= 2000);
      const serial = await withFiles({ "cert.crt": leaf.pem }, (dir) =>
        opensslOk(["x509", "-in", "cert.crt", "-noout", "-serial"], dir),
      );
      assert.equal(BigInt(`0x${serial.trim().replace("serial=", "")}`), BigInt(`0x${leaf.serialNumber}`));
    });

    test("a client-only certificate fails openssl's server purpose check", async () => {
      const client = await issueCertificate(authority, leafKey.publicKey, {
        commonName: "client",
        extendedKeyUsages: ["clientAuth"],
      });
      assert.equal((await verify(authority.certificate, client, ["-purpose", "sslclient"])).status, 0);
      assert.notEqual((await verify(authority.certificate, client, ["-purpose", "sslserver"])).status, 0);
    });

    test("loadCertificateAuthority accepts the PEM pair in both key formats", async () => {
      for (const format of ["pkcs8", "traditional"] as const) {
        const loaded = await loadCertificateAuthority(
          { certificatePem: authority.certificate.pem, privateKeyPem: exportPrivateKeyPem(authority.key, format) },
          "secret ns/tcp-ca",
        );
        const issued = await issueCertificate(loaded, leafKey.publicKey, { commonName: "from-loaded-ca" });
        assert.equal((await verify(authority.certificate, issued)).status, 0);
      }
    });
  });
}

describe("mixed algorithms and foreign certificates", () => {
  test("an RSA CA signs an ECDSA leaf without keyEncipherment", async () => {
    const [caKey, leafKey] = await Promise.all([generateKeyPair("RSA"), generateKeyPair("ECDSA")]);
    const authority = await createCertificateAuthority({ commonName: "front-proxy-ca", key: caKey });
    const leaf = await issueCertificate(authority, leafKey.publicKey, { commonName: "front-proxy-client" });
    assert.deepEqual(leaf.keyUsages, ["digitalSignature"]);
    assert.equal((await verify(authority.certificate, leaf)).stdout.trim(), "leaf.crt: OK");
  });

  test("a CA made by openssl is read, loaded and signs leaves openssl accepts", async () => {
    const { certificatePem, privateKeyPem } = await withFiles({}, async (dir) => {
      opensslOk(
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          "ca.key",
          "-out",
          "ca.crt",
          "-days",
          "2",
          "-subj",
          "/O=acme/O=ops/CN=openssl-ca",
          "-addext",
          "subjectAltName=DNS:ca.example,IP:::1",
        ],
        dir,
      );
      return {
        certificatePem: await readFile(join(dir, "ca.crt"), "utf8"),
        privateKeyPem: await readFile(join(dir, "ca.key"), "utf8"),
      };
    });
    const authority = await loadCertificateAuthority({ certificatePem, privateKeyPem }, "openssl CA");
    assert.equal(authority.certificate.commonName, "openssl-ca");
    assert.deepEqual(authority.certificate.organizations, ["acme", "ops"]);
    assert.deepEqual(authority.certificate.dnsNames, ["ca.example"]);
    assert.deepEqual(authority.certificate.ipAddresses, ["::1"]);
    const leafKey = await generateKeyPair("ECDSA");
    const leaf = await issueCertificate(authority, leafKey.publicKey, { commonName: "x", dnsNames: ["x.example"] });
    assert.equal((await verify(authority.certificate, leaf)).stdout.trim(), "leaf.crt: OK");
  });
});

describe("certificate errors", () => {
  let authority: CertificateAuthority;
  let leafKey: KeyPair;
  before(async () => {
    const [caKey, key] = await Promise.all([generateKeyPair("ECDSA"), generateKeyPair("ECDSA")]);
    authority = await createCertificateAuthority({ commonName: "kubernetes", key: caKey });
    leafKey = key;
  });

  test("a key where a certificate is expected", () => {
    assert.throws(() => parseCertificatePem(exportPrivateKeyPem(leafKey), "secret ns/tcp-ca key ca.crt"), {
      name: "PkiError",
      message: "certificate PEM in secret ns/tcp-ca key ca.crt: no CERTIFICATE block found (found PRIVATE KEY)",
    });
  });

  test("a CERTIFICATE block that is not a certificate, or is truncated", () => {
    const garbage = "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n";
    assert.throws(() => parseCertificatePem(garbage, "x"), {
      name: "PkiError",
      message: /^certificate PEM in x: not a valid X\.509 certificate: /,
    });
    const truncated = authority.certificate.der.subarray(0, 100);
    const truncatedPem = `-----BEGIN CERTIFICATE-----\n${truncated.toString("base64")}\n-----END CERTIFICATE-----\n`;
    assert.throws(() => parseCertificatePem(truncatedPem, "y"), {
      message: /^certificate PEM in y: not a valid X\.509/,
    });
  });

  test("malformed PEM", () => {
    const broken = authority.certificate.pem.replace("-----END CERTIFICATE-----", "");
    assert.throws(() => parseCertificatePem(broken, "z"), {
      message: 'certificate PEM in z: block "CERTIFICATE" (line 1) has no END line',
    });
  });

  test("a private key that does not belong to the certificate", async () => {
    const pem = { certificatePem: authority.certificate.pem, privateKeyPem: exportPrivateKeyPem(leafKey) };
    await assert.rejects(loadCertificateAuthority(pem, "secret ns/tcp-ca"), {
      name: "PkiError",
      message: 'secret ns/tcp-ca: the private key does not match the certificate "CN=kubernetes"',
    });
    await assert.rejects(loadCertificateAndKey(pem, "secret ns/tcp-ca"), { message: /does not match/ });
  });

  test("a leaf certificate loaded as a CA", async () => {
    const leaf = await issueCertificate(authority, leafKey.publicKey, { commonName: "leaf" });
    const pem = { certificatePem: leaf.pem, privateKeyPem: exportPrivateKeyPem(leafKey) };
    assert.equal((await loadCertificateAndKey(pem, "x")).certificate.commonName, "leaf");
    await assert.rejects(loadCertificateAuthority(pem, "secret ns/tcp-ca"), {
      message: 'secret ns/tcp-ca: certificate "CN=leaf" is not a CA (basicConstraints CA:FALSE)',
    });
  });

  test("invalid certificate requests", async () => {
    await assert.rejects(issueCertificate(authority, leafKey.publicKey, { commonName: "" }), {
      message: "certificate request: commonName is empty",
    });
    await assert.rejects(createCertificateAuthority({ commonName: "", key: leafKey }), {
      message: "certificate authority request: commonName is empty",
    });
    for (const ip of ["10.0.0.256", "fe80::1%eth0", "10.0.0.0/8", "127.1", "kubernetes"]) {
      await assert.rejects(issueCertificate(authority, leafKey.publicKey, { commonName: "x", ipAddresses: [ip] }), {
        name: "PkiError",
        message: `certificate request for "x": "${ip}" is not an IP address`,
      });
    }
    await assert.rejects(issueCertificate(authority, leafKey.publicKey, { commonName: "x", dnsNames: [" "] }), {
      message: 'certificate request for "x": empty DNS name',
    });
  });

  test("errors are PkiError instances", () => {
    assert.throws(
      () => parseCertificatePem("", "x"),
      (error: unknown) => error instanceof PkiError,
    );
  });
});

test("serial numbers are positive, minimal DER integers below 2^63", () => {
  for (let index = 0; index < 2000; index += 1) {
    const hex = randomSerialNumberHex();
    assert.match(hex, /^([0-9a-f]{2})+$/);
    assert.ok(hex.startsWith("00") ? /^00[89a-f]/.test(hex) : /^[0-7]/.test(hex), hex);
    const value = BigInt(`0x${hex}`);
    assert.ok(value >= 1n && value < 2n ** 63n, hex);
  }
});

describe("subject names taken from users are written verbatim", () => {
  // A tenant picks its datastore user name, which becomes a certificate CN: it must never be re-parsed as a
  // distinguished-name string (quotes stripped, `#` hex-decoded, escapes resolved), or `"root"` would become root.
  const hostile = ['"root"', "#726f6f74", "ro\\,ot", "a\\0ab", "x, CN=root", "ü-user", " lead", "O=system:masters"];
  for (const name of hostile) {
    test(`CN ${JSON.stringify(name)}`, async () => {
      const authority = await createCertificateAuthority({ commonName: "ca", key: await generateKeyPair("ECDSA") });
      const key = await generateKeyPair("ECDSA");
      const certificate = await issueCertificate(authority, key.publicKey, {
        commonName: name,
        organizations: [name],
        extendedKeyUsages: ["clientAuth"],
      });
      assert.equal(certificate.commonName, name);
      assert.deepEqual(certificate.organizations, [name]);
      // openssl (not the library that wrote it) sees one O and one CN attribute.
      const subject = await withFiles({ "c.crt": certificate.pem }, (dir) =>
        opensslOk(["x509", "-in", "c.crt", "-noout", "-subject", "-nameopt", "multiline,utf8,-esc_msb"], dir),
      );
      const attributes = subject.split("\n").map((line) => /^\s*(\w+)\s+=/.exec(line)?.[1]);
      assert.deepEqual(
        attributes.filter((a) => a === "commonName" || a === "organizationName"),
        ["organizationName", "commonName"],
        subject,
      );
    });
  }
});
