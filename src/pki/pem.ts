import { PkiError } from "./errors.js";

/** PEM text as stored in a Secret: a string or the raw bytes of one. */
export type PemInput = string | Uint8Array;

export interface PemBlock {
  /** The label between "BEGIN " and the dashes, e.g. "CERTIFICATE" or "RSA PRIVATE KEY". */
  readonly label: string;
  readonly der: Buffer;
}

const BASE64_LINE_LENGTH = 64;
const BEGIN_LINE = /^-----BEGIN ([A-Z0-9 ]+)-----$/;
const END_LINE = /^-----END ([A-Z0-9 ]+)-----$/;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

export function encodePem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString("base64");
  const lines: string[] = [];
  for (let offset = 0; offset < base64.length; offset += BASE64_LINE_LENGTH) {
    lines.push(base64.slice(offset, offset + BASE64_LINE_LENGTH));
  }
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * Decodes every PEM block in `input`. Text outside blocks is ignored (as Go's pem.Decode does); a block that is
 * unterminated, has mismatched labels, carries RFC 1421 headers (encrypted keys) or a bad base64 body is an error.
 * Errors start with `context`, e.g. `certificate PEM in secret default/tcp-ca key ca.crt`.
 */
export function decodePemBlocks(input: PemInput, context: string): PemBlock[] {
  const text = typeof input === "string" ? input : Buffer.from(input).toString("utf8");
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const blocks: PemBlock[] = [];
  let open: { label: string; lineNumber: number; body: string[] } | undefined;
  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    if (open === undefined) {
      const begin = BEGIN_LINE.exec(line);
      if (begin?.[1] !== undefined) open = { label: begin[1], lineNumber, body: [] };
      return;
    }
    const end = END_LINE.exec(line);
    if (end?.[1] !== undefined) {
      if (end[1] !== open.label) {
        throw new PkiError(`${context}: block "${open.label}" (line ${open.lineNumber}) ends with "${end[1]}"`);
      }
      blocks.push({ label: open.label, der: decodeBody(open.label, open.lineNumber, open.body, context) });
      open = undefined;
      return;
    }
    if (line.includes(":")) {
      throw new PkiError(
        `${context}: block "${open.label}" (line ${open.lineNumber}) has headers; encrypted PEM is not supported`,
      );
    }
    open.body.push(line);
  });
  if (open !== undefined) {
    throw new PkiError(`${context}: block "${open.label}" (line ${open.lineNumber}) has no END line`);
  }
  return blocks;
}

function decodeBody(label: string, lineNumber: number, body: readonly string[], context: string): Buffer {
  const base64 = body.join("");
  if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64_BODY.test(base64)) {
    throw new PkiError(`${context}: block "${label}" (line ${lineNumber}) is not valid base64`);
  }
  return Buffer.from(base64, "base64");
}

/** The first block with one of `labels`; the error lists what was found instead. */
export function findPemBlock(blocks: readonly PemBlock[], labels: readonly string[], context: string): PemBlock {
  const block = blocks.find((candidate) => labels.includes(candidate.label));
  if (block !== undefined) return block;
  const found = blocks.length === 0 ? "the input holds no PEM block" : `found ${blocks.map((b) => b.label).join(", ")}`;
  throw new PkiError(`${context}: no ${labels.join(" or ")} block found (${found})`);
}
