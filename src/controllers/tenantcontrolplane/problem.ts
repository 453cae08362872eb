// A reason the TenantControlPlane reconcile cannot go on, reported as the Reconciled condition and a Warning event.
export type ProblemReason =
  | "NoDataStore"
  | "DataStoreNotFound"
  | "DataStoreNotReady"
  | "DataStoreInvalid"
  | "DataStoreUnreachable"
  | "DataStoreUnauthorized"
  | "DataStoreOperationFailed"
  | "InvalidSecret"
  | "CertificateAuthorityInvalid"
  | "ServiceNotReady"
  | "ServiceAddressInvalid"
  | "UnsupportedConfiguration"
  | "UpgradeNotAvailable"
  | "Migrating"
  | "MigrationFailed"
  | "MigrationUnavailable";

export class ReconcileProblem extends Error {
  constructor(
    readonly reason: ProblemReason,
    message: string,
    /** A wait rather than a failure (e.g. no Service IP yet): requeue after this long, without backoff. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ReconcileProblem";
  }
}
