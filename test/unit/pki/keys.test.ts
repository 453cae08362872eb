import assert from "node:assert/strict";
import { KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import {
  createCertificateAuthority,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateKeyPair,
  issueCertificate,
  type KeyAlgorithm,
  type KeyPair,
  parsePrivateKeyPem,
  parsePublicKeyPem,
  PkiError,
} from "../../../src/pki/index.js";
import { opensslOk, withFiles } from "./openssl.js";

const publicKeyDer = (key: KeyPair): Buffer => KeyObject.from(key.publicKey).export({ type: "spki", format: "der" });

const expectedLabels: Record<KeyAlgorithm, { pkcs8: string; traditional: string }> = {
  RSA: { pkcs8: "PRIVATE KEY", traditional: "RSA PRIVATE KEY" },
  ECDSA: { pkcs8: "PRIVATE KEY", traditional: "EC PRIVATE KEY" },
};

for (const algorithm of ["RSA", "ECDSA"] as const) {
  describe(`${algorithm} keys`, () => {
    let key: KeyPair;
    before(async () => {
      key = await generateKeyPair(algorithm);
    });

    test("have the expected type and size", () => {
      const details = KeyObject.from(key.privateKey).asymmetricKeyDetails;
      assert.equal(key.algorithm, algorithm);
      if (algorithm === "RSA") assert.equal(details?.modulusLength, 2048);
      else assert.equal(details?.namedCurve, "prime256v1");
    });

    for (const format of ["pkcs8", "traditional"] as const) {
      test(`${format} PEM passes openssl's key check and parses back to the same key`, async () => {
        const pem = exportPrivateKeyPem(key, format);
        assert.match(pem, new RegExp(`^-----BEGIN ${expectedLabels[algorithm][format]}-----\n`));
        await withFiles({ "key.pem": pem }, (dir) => {
          const checked = opensslOk(["pkey", "-in", "key.pem", "-check", "-noout"], dir);
          assert.match(checked, /Key is valid/);
          const text = opensslOk(["pkey", "-in", "key.pem", "-noout", "-text"], dir);
          assert.match(text, algorithm === "RSA" ? /Private-Key: \(2048 bit/ : /ASN1 OID: prime256v1/);
          if (algorithm === "RSA")
            assert.match(opensslOk(["rsa", "-in", "key.pem", "-check", "-noout"], dir), /RSA key ok/);
        });
        const parsed = await parsePrivateKeyPem(pem, "test key");
        assert.equal(parsed.algorithm, algorithm);
        assert.deepEqual(publicKeyDer(parsed), publicKeyDer(key));
      });
    }

    test("public key PEM is PKIX and matches what openssl derives from the private key", async () => {
      const publicPem = exportPublicKeyPem(key.publicKey);
      assert.match(publicPem, /^-----BEGIN PUBLIC KEY-----\n/);
      await withFiles({ "key.pem": exportPrivateKeyPem(key), "pub.pem": publicPem }, (dir) => {
        assert.equal(opensslOk(["pkey", "-in", "key.pem", "-pubout"], dir), publicPem);
        opensslOk(["pkey", "-pubin", "-in", "pub.pem", "-noout"], dir);
      });
      assert.equal(parsePublicKeyPem(publicPem, "test").asymmetricKeyType, algorithm === "RSA" ? "rsa" : "ec");
    });
  });
}

describe("keys made by openssl", () => {
  const generate = async (args: string[], convert?: string[]): Promise<string> =>
    withFiles({}, async (dir) => {
      opensslOk([...args, "-out", "key.pem"], dir);
      return convert === undefined ? readFile(join(dir, "key.pem"), "utf8") : opensslOk(convert, dir);
    });

  test("PKCS#1, PKCS#8 and SEC1 (with an EC PARAMETERS block first) parse and can sign certificates", async () => {
    const pems = {
      pkcs8Rsa: await generate(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
      pkcs1Rsa: await generate(["genpkey", "-algorithm", "RSA"], ["rsa", "-in", "key.pem", "-traditional"]),
      // `ecparam -genkey` writes an "EC PARAMETERS" block before the "EC PRIVATE KEY" one.
      sec1Ec: await generate(["ecparam", "-name", "prime256v1", "-genkey"]),
    };
    assert.match(pems.pkcs1Rsa, /BEGIN RSA PRIVATE KEY/);
    assert.match(pems.sec1Ec, /BEGIN EC PARAMETERS[\s\S]*BEGIN EC PRIVATE KEY/);
    for (const [name, pem] of Object.entries(pems)) {
      const key = await parsePrivateKeyPem(pem, name);
      const authority = await createCertificateAuthority({ commonName: `ca-${name}`, key });
      const leaf = await issueCertificate(authority, key.publicKey, { commonName: "leaf" });
      await withFiles({ "ca.crt": authority.certificate.pem, "leaf.crt": leaf.pem }, (dir) => {
        assert.match(opensslOk(["verify", "-CAfile", "ca.crt", "leaf.crt"], dir), /leaf.crt: OK/);
      });
    }
  });

  test("unsupported key types are clear errors", async () => {
    const ed25519 = await generate(["genpkey", "-algorithm", "ed25519"]);
    await assert.rejects(parsePrivateKeyPem(ed25519, "secret a key tls.key"), {
      name: "PkiError",
      message: "private key PEM in secret a key tls.key: unsupported key type ed25519; expected RSA or ECDSA P-256",
    });
    const p384 = await generate(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]);
    await assert.rejects(parsePrivateKeyPem(p384, "x"), { message: /unsupported key type EC curve secp384r1/ });
  });

  test("encrypted keys are refused", async () => {
    const encrypted = await withFiles({}, (dir) => {
      opensslOk(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem"], dir);
      return opensslOk(["pkey", "-in", "key.pem", "-aes256", "-passout", "pass:secret"], dir);
    });
    await assert.rejects(parsePrivateKeyPem(encrypted, "x"), {
      name: "PkiError",
      message:
        "private key PEM in x: no PRIVATE KEY or RSA PRIVATE KEY or EC PRIVATE KEY block found (found ENCRYPTED PRIVATE KEY)",
    });
  });
});

describe("private and public key parse errors", () => {
  test("a certificate where a key is expected", async () => {
    const key = await generateKeyPair("ECDSA");
    const authority = await createCertificateAuthority({ commonName: "ca", key });
    await assert.rejects(parsePrivateKeyPem(authority.certificate.pem, "secret ns/tcp-ca key ca.key"), {
      message:
        "private key PEM in secret ns/tcp-ca key ca.key: no PRIVATE KEY or RSA PRIVATE KEY or EC PRIVATE KEY block found (found CERTIFICATE)",
    });
    assert.throws(() => parsePublicKeyPem(exportPrivateKeyPem(key), "sa.pub"), {
      message: "public key PEM in sa.pub: no PUBLIC KEY or RSA PUBLIC KEY block found (found PRIVATE KEY)",
    });
  });

  test("a well-formed block holding garbage", async () => {
    const garbage = "-----BEGIN RSA PRIVATE KEY-----\nAAECAwQFBgcICQ==\n-----END RSA PRIVATE KEY-----\n";
    await assert.rejects(parsePrivateKeyPem(garbage, "x"), (error: unknown) => {
      assert.ok(error instanceof PkiError);
      assert.match(error.message, /^private key PEM in x: RSA PRIVATE KEY block is not a valid pkcs1 key: /);
      return true;
    });
    const publicGarbage = "-----BEGIN PUBLIC KEY-----\nAAECAwQFBgcICQ==\n-----END PUBLIC KEY-----\n";
    assert.throws(() => parsePublicKeyPem(publicGarbage, "y"), {
      message: /^public key PEM in y: PUBLIC KEY block is not a valid spki key: /,
    });
  });

  test("malformed PEM and empty input", async () => {
    await assert.rejects(parsePrivateKeyPem("-----BEGIN PRIVATE KEY-----\nAAAA\n", "x"), {
      message: 'private key PEM in x: block "PRIVATE KEY" (line 1) has no END line',
    });
    await assert.rejects(parsePrivateKeyPem("", "x"), {
      message:
        "private key PEM in x: no PRIVATE KEY or RSA PRIVATE KEY or EC PRIVATE KEY block found (the input holds no PEM block)",
    });
  });
});

describe("key generation runs off the event loop", () => {
  test("a timer keeps firing while RSA keys are generated", async () => {
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 1);
    try {
      const keys = await Promise.all([generateKeyPair("RSA"), generateKeyPair("RSA"), generateKeyPair("RSA")]);
      assert.equal(keys.length, 3);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 0, "the interval never fired while keys were being generated");
  });
});
