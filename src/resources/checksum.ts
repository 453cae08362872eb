import { createHash } from "node:crypto";

/**
 * Upstream's map checksum: md5 hex of the values concatenated in sorted-key order, with no separator.
 * Values are raw bytes (Secret data decoded from base64) or strings (ConfigMap data).
 */
export function mapChecksum(data: Readonly<Record<string, string | Uint8Array>>): string {
  const hash = createHash("md5");
  for (const key of Object.keys(data).sort()) {
    const value = data[key];
    if (value !== undefined) hash.update(value);
  }
  return hash.digest("hex");
}

/** The checksum of a Secret's `data` (base64 values, as the API returns them). */
export function secretDataChecksum(data: Readonly<Record<string, string>> | undefined): string {
  return mapChecksum(Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")])));
}
