// Condition types on DataStores, as upstream names them.
export const dataStoreValidationCondition = "kamaji.clastix.io/DataStoreValidation";
export const allowedDeletionCondition = "kamaji.clastix.io/DataStoreAllowedDeletion";
