import type { DataStoreErrorReason } from "../../datastore/driver.js";

// Condition types on DataStores, as upstream names them.
export const dataStoreValidationCondition = "kamaji.clastix.io/DataStoreValidation";
export const allowedDeletionCondition = "kamaji.clastix.io/DataStoreAllowedDeletion";

/** The condition reason for each kind of driver failure (on DataStores and on the tenants using them). */
export const dataStoreErrorReasons = {
  Unreachable: "DataStoreUnreachable",
  Unauthorized: "DataStoreUnauthorized",
  InvalidConfiguration: "DataStoreInvalid",
  OperationFailed: "DataStoreOperationFailed",
} as const satisfies Record<DataStoreErrorReason, string>;
