import { KeyObject } from "node:crypto";
import { PkiError } from "./errors.js";
import { generateKeyPair, type KeyPair } from "./key-pair.js";
import {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  parsePrivateKeyPem,
  parsePublicKeyPem,
  type PrivateKeyPemFormat,
  samePublicKey,
} from "./key-pem.js";
import type { PemInput } from "./pem.js";

/** The service-account token signing keys: `sa.pub` (PKIX PEM) and `sa.key`. */
export interface ServiceAccountKeyPem {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
}

/** Always RSA, as kubeadm does: the API server's service-account issuer needs an RSA public key here. */
export async function generateServiceAccountKeyPair(
  privateKeyFormat: PrivateKeyPemFormat = "pkcs8",
): Promise<ServiceAccountKeyPem> {
  return encodeServiceAccountKeyPair(await generateKeyPair("RSA"), privateKeyFormat);
}

export function encodeServiceAccountKeyPair(
  key: KeyPair,
  privateKeyFormat: PrivateKeyPemFormat = "pkcs8",
): ServiceAccountKeyPem {
  if (key.algorithm !== "RSA") throw new PkiError(`service-account key: must be RSA, got ${key.algorithm}`);
  return { publicKeyPem: exportPublicKeyPem(key.publicKey), privateKeyPem: exportPrivateKeyPem(key, privateKeyFormat) };
}

/** Parses sa.pub and sa.key; both must be RSA and belong together. */
export async function loadServiceAccountKeyPair(
  pem: { readonly publicKeyPem: PemInput; readonly privateKeyPem: PemInput },
  what: string,
): Promise<KeyPair> {
  const publicKey = parsePublicKeyPem(pem.publicKeyPem, what);
  const key = await parsePrivateKeyPem(pem.privateKeyPem, what);
  if (publicKey.asymmetricKeyType !== "rsa" || key.algorithm !== "RSA") {
    throw new PkiError(`service-account keys in ${what}: must be RSA`);
  }
  if (!samePublicKey(publicKey, KeyObject.from(key.publicKey))) {
    throw new PkiError(`service-account keys in ${what}: the public key does not match the private key`);
  }
  return key;
}
