import { createPrivateKey, createPublicKey, type KeyExportOptions, KeyObject, webcrypto } from "node:crypto";
import { causeMessage, PkiError } from "./errors.js";
import { type CryptoKey, type KeyAlgorithm, type KeyPair, webCryptoKeyAlgorithm } from "./key-pair.js";
import { decodePemBlocks, findPemBlock, type PemInput } from "./pem.js";

/**
 * "pkcs8" writes a "PRIVATE KEY" block. "traditional" writes the algorithm-specific form kubeadm writes:
 * PKCS#1 "RSA PRIVATE KEY" for RSA, SEC1 "EC PRIVATE KEY" for ECDSA.
 */
export type PrivateKeyPemFormat = "pkcs8" | "traditional";

const DER_TYPE_BY_PRIVATE_KEY_LABEL = {
  "PRIVATE KEY": "pkcs8",
  "RSA PRIVATE KEY": "pkcs1",
  "EC PRIVATE KEY": "sec1",
} as const;

const DER_TYPE_BY_PUBLIC_KEY_LABEL = {
  "PUBLIC KEY": "spki",
  "RSA PUBLIC KEY": "pkcs1",
} as const;

export function exportPrivateKeyPem(key: KeyPair, format: PrivateKeyPemFormat = "pkcs8"): string {
  const type = format === "pkcs8" ? "pkcs8" : key.algorithm === "RSA" ? "pkcs1" : "sec1";
  return exportPem(KeyObject.from(key.privateKey), { type, format: "pem" });
}

/** PKIX ("PUBLIC KEY") PEM, the form of kubeadm's sa.pub. */
export function exportPublicKeyPem(publicKey: CryptoKey): string {
  return exportPem(KeyObject.from(publicKey), { type: "spki", format: "pem" });
}

function exportPem(key: KeyObject, options: KeyExportOptions<"pem">): string {
  const pem = key.export(options);
  return typeof pem === "string" ? pem : pem.toString("utf8");
}

/** Parses the first PKCS#8, PKCS#1 or SEC1 private key block and imports it for signing. */
export async function parsePrivateKeyPem(input: PemInput, what: string): Promise<KeyPair> {
  const context = `private key PEM in ${what}`;
  const block = findPemBlock(decodePemBlocks(input, context), Object.keys(DER_TYPE_BY_PRIVATE_KEY_LABEL), context);
  const type = DER_TYPE_BY_PRIVATE_KEY_LABEL[block.label as keyof typeof DER_TYPE_BY_PRIVATE_KEY_LABEL];
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: block.der, format: "der", type });
  } catch (error) {
    throw new PkiError(`${context}: ${block.label} block is not a valid ${type} key: ${causeMessage(error)}`);
  }
  const algorithm = keyAlgorithmOf(privateKey, context);
  const parameters = webCryptoKeyAlgorithm[algorithm];
  const [importedPrivate, importedPublic] = await Promise.all([
    webcrypto.subtle.importKey("pkcs8", privateKey.export({ type: "pkcs8", format: "der" }), parameters, true, [
      "sign",
    ]),
    webcrypto.subtle.importKey(
      "spki",
      createPublicKey(privateKey).export({ type: "spki", format: "der" }),
      parameters,
      true,
      ["verify"],
    ),
  ]);
  return { algorithm, privateKey: importedPrivate, publicKey: importedPublic };
}

/** Parses the first PKIX ("PUBLIC KEY") or PKCS#1 ("RSA PUBLIC KEY") public key block. */
export function parsePublicKeyPem(input: PemInput, what: string): KeyObject {
  const context = `public key PEM in ${what}`;
  const block = findPemBlock(decodePemBlocks(input, context), Object.keys(DER_TYPE_BY_PUBLIC_KEY_LABEL), context);
  const type = DER_TYPE_BY_PUBLIC_KEY_LABEL[block.label as keyof typeof DER_TYPE_BY_PUBLIC_KEY_LABEL];
  try {
    return createPublicKey({ key: block.der, format: "der", type });
  } catch (error) {
    throw new PkiError(`${context}: ${block.label} block is not a valid ${type} key: ${causeMessage(error)}`);
  }
}

/** RSA (any size) or ECDSA P-256; anything else cannot sign what this library issues. */
export function keyAlgorithmOf(key: KeyObject, context: string): KeyAlgorithm {
  if (key.asymmetricKeyType === "rsa") return "RSA";
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === "ec" && curve === "prime256v1") return "ECDSA";
  const found =
    key.asymmetricKeyType === "ec" ? `EC curve ${curve ?? "unknown"}` : (key.asymmetricKeyType ?? "unknown");
  throw new PkiError(`${context}: unsupported key type ${found}; expected RSA or ECDSA P-256`);
}

/** True when both keys are the same public key (compared as PKIX DER). */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  const spki = { type: "spki", format: "der" } as const;
  return a.export(spki).equals(b.export(spki));
}
