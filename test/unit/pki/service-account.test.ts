import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  encodeServiceAccountKeyPair,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateKeyPair,
  generateServiceAccountKeyPair,
  loadServiceAccountKeyPair,
  type ServiceAccountKeyPem,
} from "../../../src/pki/index.js";
import { opensslOk, withFiles } from "./openssl.js";

describe("service-account key pair", () => {
  let pair: ServiceAccountKeyPem;
  before(async () => {
    pair = await generateServiceAccountKeyPair();
  });

  test("sa.pub is a PKIX RSA-2048 public key that openssl derives from sa.key", async () => {
    assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    await withFiles({ "sa.pub": pair.publicKeyPem, "sa.key": pair.privateKeyPem }, (dir) => {
      assert.match(opensslOk(["rsa", "-pubin", "-in", "sa.pub", "-noout", "-text"], dir), /Public-Key: \(2048 bit\)/);
      assert.match(opensslOk(["rsa", "-in", "sa.key", "-check", "-noout"], dir), /RSA key ok/);
      assert.equal(opensslOk(["pkey", "-in", "sa.key", "-pubout"], dir), pair.publicKeyPem);
    });
  });

  test("kubeadm's PKCS#1 sa.key is available and loads back", async () => {
    const key = await loadServiceAccountKeyPair(pair, "secret ns/tcp-sa-certificate");
    const traditional = encodeServiceAccountKeyPair(key, "traditional");
    assert.match(traditional.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.equal(traditional.publicKeyPem, pair.publicKeyPem);
    assert.equal((await loadServiceAccountKeyPair(traditional, "x")).algorithm, "RSA");
  });

  test("a public key from another pair is refused", async () => {
    const other = await generateServiceAccountKeyPair();
    await assert.rejects(
      loadServiceAccountKeyPair({ publicKeyPem: other.publicKeyPem, privateKeyPem: pair.privateKeyPem }, "secret s"),
      { name: "PkiError", message: "service-account keys in secret s: the public key does not match the private key" },
    );
  });

  test("ECDSA keys are refused", async () => {
    const ecdsa = await generateKeyPair("ECDSA");
    assert.throws(() => encodeServiceAccountKeyPair(ecdsa), {
      name: "PkiError",
      message: "service-account key: must be RSA, got ECDSA",
    });
    const pem = { publicKeyPem: exportPublicKeyPem(ecdsa.publicKey), privateKeyPem: exportPrivateKeyPem(ecdsa) };
    await assert.rejects(loadServiceAccountKeyPair(pem, "secret s"), {
      message: "service-account keys in secret s: must be RSA",
    });
  });

  test("a missing public key block is named", async () => {
    await assert.rejects(
      loadServiceAccountKeyPair({ publicKeyPem: "", privateKeyPem: pair.privateKeyPem }, "secret s"),
      {
        message:
          "public key PEM in secret s: no PUBLIC KEY or RSA PUBLIC KEY block found (the input holds no PEM block)",
      },
    );
  });
});
