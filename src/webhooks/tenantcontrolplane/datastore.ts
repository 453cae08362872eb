// DataStore rule: the DataStores a TenantControlPlane names must exist, and each resource is overridden once.
import { isDeepStrictEqual } from "node:util";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { AdmissionDenied } from "../admission-denied.js";

const missingDataStore = (name: string, field: string) =>
  new AdmissionDenied(`${name} DataStore does not exist`, field);

function validateDataStoreName(tcp: TenantControlPlane, dataStores: ReadonlySet<string>): AdmissionDenied | undefined {
  const name = tcp.spec.dataStore;
  return name && !dataStores.has(name) ? missingDataStore(name, "spec.dataStore") : undefined;
}

function validateDataStoreOverrides(
  tcp: TenantControlPlane,
  dataStores: ReadonlySet<string>,
): AdmissionDenied | undefined {
  const overrides = tcp.spec.dataStoreOverrides ?? [];
  const resources = new Set<string | undefined>();
  for (const [index, override] of overrides.entries()) {
    if (resources.has(override.resource)) {
      return new AdmissionDenied(
        "duplicate resource override in Spec.DataStoreOverrides",
        `spec.dataStoreOverrides[${index}].resource`,
      );
    }
    resources.add(override.resource);
  }
  for (const [index, override] of overrides.entries()) {
    const name = override.dataStore ?? "";
    if (!dataStores.has(name)) return missingDataStore(name, `spec.dataStoreOverrides[${index}].dataStore`);
  }
  return undefined;
}

/**
 * Upstream checks the overrides only when no dataStore is set, which is rare since the mutating webhook sets
 * the default one: we always check them.
 */
export function validateDataStoreOnCreate(
  tcp: TenantControlPlane,
  dataStores: ReadonlySet<string>,
): AdmissionDenied | undefined {
  return validateDataStoreName(tcp, dataStores) ?? validateDataStoreOverrides(tcp, dataStores);
}

/** Upstream never checks the overrides on UPDATE: we check them whenever they change. */
export function validateDataStoreOnUpdate(
  old: TenantControlPlane,
  tcp: TenantControlPlane,
  dataStores: ReadonlySet<string>,
): AdmissionDenied | undefined {
  const overridesChanged = !isDeepStrictEqual(old.spec.dataStoreOverrides ?? [], tcp.spec.dataStoreOverrides ?? []);
  return (
    validateDataStoreName(tcp, dataStores) ??
    (overridesChanged ? validateDataStoreOverrides(tcp, dataStores) : undefined)
  );
}
