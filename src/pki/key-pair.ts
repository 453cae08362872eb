import { webcrypto } from "node:crypto";

/** RSA means RSA-2048 (kubeadm's default); ECDSA means ECDSA P-256. */
export type KeyAlgorithm = "RSA" | "ECDSA";

export type CryptoKey = webcrypto.CryptoKey;

/** WebCrypto keys, extractable, usable for SHA-256 signatures. */
export interface KeyPair {
  readonly algorithm: KeyAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

export const RSA_MODULUS_BITS = 2048;

const RSA_PUBLIC_EXPONENT = new Uint8Array([0x01, 0x00, 0x01]);

/** The WebCrypto import/generate parameters for each algorithm; the hash is bound to RSA keys at creation. */
export const webCryptoKeyAlgorithm = {
  RSA: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  ECDSA: { name: "ECDSA", namedCurve: "P-256" },
} as const;

/** The signature algorithm a key of this type signs certificates with (what Go's x509 picks by default). */
export const signatureAlgorithm = {
  RSA: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  ECDSA: { name: "ECDSA", hash: "SHA-256" },
} as const;

/**
 * Generates a key pair with WebCrypto. Node runs the generation on its thread pool, so even RSA keys (tens to
 * hundreds of milliseconds each) never block the event loop.
 */
export async function generateKeyPair(algorithm: KeyAlgorithm = "RSA"): Promise<KeyPair> {
  const parameters =
    algorithm === "RSA"
      ? { ...webCryptoKeyAlgorithm.RSA, modulusLength: RSA_MODULUS_BITS, publicExponent: RSA_PUBLIC_EXPONENT }
      : webCryptoKeyAlgorithm.ECDSA;
  const { privateKey, publicKey } = await webcrypto.subtle.generateKey(parameters, true, ["sign", "verify"]);
  return { algorithm, privateKey, publicKey };
}
