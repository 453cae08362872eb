// The interface every datastore driver implements (etcd here; PostgreSQL, MySQL and NATS through kine later).
import type { Driver } from "../api/v1alpha1/datastore.js";

/** Everything needed to reach a DataStore as its administrator, resolved from the DataStore and its Secrets. */
export interface DataStoreConnectionConfig {
  /** The DataStore's name, for error messages. */
  readonly name: string;
  readonly driver: Driver;
  /** `host:port`, no scheme. */
  readonly endpoints: readonly string[];
  readonly tls?: {
    readonly certificateAuthorityPem: string;
    /** etcd only: signs the per-tenant client certificates. */
    readonly certificateAuthorityKeyPem?: string;
    readonly clientCertificatePem?: string;
    readonly clientKeyPem?: string;
  };
  readonly basicAuth?: { readonly username: string; readonly password: string };
}

/** A client's TLS material from a DataStore's: its CA, and its client certificate when it has one. */
export function clientTlsOf(tls: NonNullable<DataStoreConnectionConfig["tls"]>): {
  caPem: string;
  certificatePem?: string;
  privateKeyPem?: string;
} {
  return {
    caPem: tls.certificateAuthorityPem,
    ...(tls.clientCertificatePem === undefined ? {} : { certificatePem: tls.clientCertificatePem }),
    ...(tls.clientKeyPem === undefined ? {} : { privateKeyPem: tls.clientKeyPem }),
  };
}

/** What one tenant owns on a DataStore: a database / key prefix / bucket (`schema`) and a user. */
export interface TenantStorage {
  readonly schema: string;
  readonly user: string;
  /** Unused by etcd, which authenticates tenants by client certificate (CN = user). */
  readonly password: string;
}

/** An open administrative connection. Every operation is idempotent. */
export interface DataStoreConnection {
  /** Fails with a DataStoreError when the server is unreachable or refuses the credentials. */
  check(): Promise<void>;
  /** Creates (or updates) the tenant's database, user and grants; safe to repeat. */
  provision(tenant: TenantStorage): Promise<void>;
  /** True when the database, user and grants all exist as `provision` makes them. */
  isProvisioned(tenant: TenantStorage): Promise<boolean>;
  /** Removes the tenant's grants, data and user, and nothing else; safe to repeat. */
  teardown(tenant: TenantStorage): Promise<void>;
  close(): Promise<void>;
}

export type DataStoreErrorReason = "Unreachable" | "Unauthorized" | "InvalidConfiguration" | "OperationFailed";

/** A datastore failure with a reason suitable for a condition and the DataStore it concerns. */
export class DataStoreError extends Error {
  constructor(
    readonly dataStore: string,
    readonly reason: DataStoreErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`DataStore ${dataStore}: ${message}`, options);
    this.name = "DataStoreError";
  }
}
