/** A PKI input (PEM, key, certificate) is malformed or inconsistent. The message names what was being read. */
export class PkiError extends Error {
  override readonly name = "PkiError";
}

/** The message of a caught library error, to append to a PkiError that says what was being done. */
export function causeMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
