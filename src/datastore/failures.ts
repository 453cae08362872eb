// What the drivers share to say why a datastore call failed: the reason a condition carries and a detail for people,
// read from Node's socket and TLS errors the same way whichever client library passed them on.
import type { DataStoreErrorReason } from "./driver.js";

export interface Diagnosis {
  readonly reason: DataStoreErrorReason;
  readonly detail: string;
}

/** Node's codes for a server that cannot be reached or went away. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * Node's messages for a server certificate that does not verify. Matched on the message: some clients (mysql2,
 * gRPC) replace Node's error codes with their own.
 */
export const SERVER_CERTIFICATE_REJECTED =
  /unable to verify|unable to get (local )?issuer|self[- ]signed certificate|certificate has expired|certificate is not yet valid|certificate signature failure|does not match certificate's altnames|IP: .* is not in the cert's list/i;

/** OpenSSL's alerts from a server that refused our client certificate. */
export const CLIENT_CERTIFICATE_REJECTED =
  /alert (unknown ca|bad certificate|certificate required|certificate unknown|certificate expired|certificate revoked|unsupported certificate|access denied)/i;

/** The call took longer than the driver's deadline. */
export class DeadlineExceeded extends Error {}

/** `work`, or a DeadlineExceeded rejection when it has not settled after `timeoutMs`. */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new DeadlineExceeded(`deadline of ${timeoutMs / 1000} s exceeded`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The string `code` Node and most clients put on their errors, if any. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whether `error` carries one of Node's codes for a server that cannot be reached or went away. */
export function isNetworkError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && NETWORK_ERROR_CODES.has(code);
}
