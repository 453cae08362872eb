// Checks every driver makes on a connection configuration before it connects, so that a DataStore that cannot work
// fails with InvalidConfiguration and the field at fault rather than with a connection error.
import { createSecureContext } from "node:tls";
import type { Driver } from "../api/v1alpha1/datastore.js";
import { parseCertificatePem } from "../pki/index.js";
import { type DataStoreConnectionConfig, DataStoreError } from "./driver.js";
import { messageOf } from "./failures.js";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function invalidConfiguration(
  config: DataStoreConnectionConfig,
  message: string,
  cause?: unknown,
): DataStoreError {
  return new DataStoreError(config.name, "InvalidConfiguration", message, { cause });
}

/** `host:port` or `[v6]:port`, or undefined when it is neither. */
export function parseHostPort(endpoint: string): HostPort | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]/\s]+)):(\d{1,5})$/.exec(endpoint);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || port < 1 || port > 65_535) return undefined;
  return { host, port };
}

export interface Endpoint extends HostPort {
  /** As the DataStore lists it. */
  readonly endpoint: string;
}

/** The configuration's endpoints, at least one; throws when the DataStore is another driver's or one is not host:port. */
export function checkedEndpoints(config: DataStoreConnectionConfig, driver: Driver): [Endpoint, ...Endpoint[]] {
  if (config.driver !== driver) {
    throw invalidConfiguration(config, `the ${driver} driver cannot open a ${config.driver} DataStore`);
  }
  const endpoints = config.endpoints.map((endpoint) => {
    const address = parseHostPort(endpoint);
    if (address === undefined) throw invalidConfiguration(config, `endpoint "${endpoint}" is not host:port`);
    return { endpoint, ...address };
  });
  const [first, ...rest] = endpoints;
  if (first === undefined) throw invalidConfiguration(config, "no endpoints");
  return [first, ...rest];
}

export interface TlsMaterial {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

/**
 * The configuration's CA and client certificate, once they are known to load: a CA that parses, a certificate and a
 * key given together and matching. Undefined without TLS. `client` names the certificate's holder in errors.
 */
export function checkedTls(config: DataStoreConnectionConfig, client: string): TlsMaterial | undefined {
  const tls = config.tls;
  if (tls === undefined) return undefined;
  try {
    parseCertificatePem(tls.certificateAuthorityPem, "the DataStore CA");
  } catch (error) {
    throw invalidConfiguration(config, messageOf(error), error);
  }
  const { clientCertificatePem: cert, clientKeyPem: key } = tls;
  if ((cert === undefined) !== (key === undefined)) {
    throw invalidConfiguration(config, `the ${client} certificate and key must be given together`);
  }
  try {
    // Fails on unparseable PEM and on a key that does not match the certificate.
    createSecureContext({ cert, key });
  } catch (error) {
    throw invalidConfiguration(config, `the ${client} certificate or key: ${messageOf(error)}`, error);
  }
  return { ca: tls.certificateAuthorityPem, ...(cert !== undefined && key !== undefined ? { cert, key } : {}) };
}
