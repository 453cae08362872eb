import { randomBytes } from "node:crypto";

/** A uniformly random serial in [1, 2^63 - 1] (kubeadm's range), as the hex of a positive minimal DER INTEGER. */
export function randomSerialNumberHex(): string {
  const bytes = randomBytes(8);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  const value = bytes.readBigUInt64BE() || 1n;
  const hex = value.toString(16);
  const evenHex = hex.length % 2 === 0 ? hex : `0${hex}`;
  // A leading byte >= 0x80 would read as negative, so it gets a zero byte in front.
  return /^[89a-f]/.test(evenHex) ? `00${evenHex}` : evenHex;
}
