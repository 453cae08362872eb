import { X509Certificate as NodeX509Certificate } from "node:crypto";
import { causeMessage, PkiError } from "./errors.js";
import { canonicalIpAddress } from "./ip-address.js";
import { decodePemBlocks, encodePem, findPemBlock, type PemInput } from "./pem.js";
import {
  AuthorityKeyIdentifierExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  PeculiarCertificate,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
} from "./x509-library.js";

export const EXTENDED_KEY_USAGE_OIDS = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
} as const;

export type ExtendedKeyUsageName = keyof typeof EXTENDED_KEY_USAGE_OIDS;

export type KeyUsageName = keyof typeof KeyUsageFlags;

/** A parsed X.509 certificate: the fields the operator reads, plus Node's object for signature checks. */
export interface Certificate {
  readonly pem: string;
  readonly der: Buffer;
  /** Distinguished names in RFC 4514 style, e.g. "O=kubeadm:cluster-admins, CN=kubernetes-admin". */
  readonly subject: string;
  readonly issuer: string;
  readonly commonName: string;
  readonly organizations: readonly string[];
  /** Lowercase hex, without leading zero bytes. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCA: boolean;
  readonly keyUsages: readonly KeyUsageName[];
  /** Known usages by name (see EXTENDED_KEY_USAGE_OIDS), any other as its dotted OID. */
  readonly extendedKeyUsages: readonly string[];
  readonly dnsNames: readonly string[];
  /** Canonical text (see canonicalIpAddress). */
  readonly ipAddresses: readonly string[];
  /** Hex key identifiers, when the extensions are present. */
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  readonly x509: NodeX509Certificate;
}

/** Parses the first CERTIFICATE block of `input`; `what` names the input in errors. */
export function parseCertificatePem(input: PemInput, what: string): Certificate {
  const context = `certificate PEM in ${what}`;
  const block = findPemBlock(decodePemBlocks(input, context), ["CERTIFICATE"], context);
  return certificateFromDer(block.der, context);
}

/** Errors start with `context`. */
export function certificateFromDer(der: Uint8Array, context: string): Certificate {
  const bytes = Buffer.from(der);
  let x509: NodeX509Certificate;
  let parsed: PeculiarCertificate;
  try {
    x509 = new NodeX509Certificate(bytes);
    parsed = new PeculiarCertificate(bytes);
  } catch (error) {
    throw new PkiError(`${context}: not a valid X.509 certificate: ${causeMessage(error)}`);
  }
  try {
    return describe(bytes, x509, parsed);
  } catch (error) {
    throw new PkiError(`${context}: cannot read the certificate's extensions: ${causeMessage(error)}`);
  }
}

function describe(der: Buffer, x509: NodeX509Certificate, parsed: PeculiarCertificate): Certificate {
  const subjectAltNames = parsed.getExtension(SubjectAlternativeNameExtension)?.names.items ?? [];
  const keyUsageFlags = parsed.getExtension(KeyUsagesExtension)?.usages ?? 0;
  return {
    pem: encodePem("CERTIFICATE", der),
    der,
    subject: parsed.subject,
    issuer: parsed.issuer,
    commonName: parsed.subjectName.getField("CN")[0] ?? "",
    organizations: parsed.subjectName.getField("O"),
    serialNumber: parsed.serialNumber.toLowerCase(),
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
    isCA: x509.ca,
    keyUsages: (Object.keys(KeyUsageFlags) as KeyUsageName[]).filter(
      (name) => Number.isNaN(Number(name)) && (keyUsageFlags & KeyUsageFlags[name]) !== 0,
    ),
    // Node returns undefined when the extension is absent, although its type says string[].
    extendedKeyUsages: ((x509.keyUsage as string[] | undefined) ?? []).map(extendedKeyUsageName),
    dnsNames: subjectAltNames.filter((name) => name.type === "dns").map((name) => name.value),
    ipAddresses: subjectAltNames
      .filter((name) => name.type === "ip")
      .map((name) => canonicalIpAddress(name.value) ?? name.value),
    subjectKeyId: parsed.getExtension(SubjectKeyIdentifierExtension)?.keyId,
    authorityKeyId: parsed.getExtension(AuthorityKeyIdentifierExtension)?.keyId,
    x509,
  };
}

function extendedKeyUsageName(oid: string): string {
  const entry = Object.entries(EXTENDED_KEY_USAGE_OIDS).find(([, knownOid]) => knownOid === oid);
  return entry?.[0] ?? oid;
}
