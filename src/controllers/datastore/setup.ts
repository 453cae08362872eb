// The DataStore controller and its watches: the DataStores, the Secrets they reference, and the tenants placed on
// them (a DataStore records which TenantControlPlanes use it).
import type { DataStore, TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { Controller } from "../../runtime/controller.js";
import { objectKey } from "../../runtime/informer.js";
import type { SharedControllerDeps } from "../shared-deps.js";
import { onEveryChange } from "../watches.js";
import { DataStoreReconciler, type DataStoreReconcilerDeps } from "./reconciler.js";

/** Index of the DataStore informer: the Secrets (namespace/name) a DataStore's connection settings reference. */
export const dataStoreBySecretIndex = "secretRef";

export interface DataStoreControllerDeps
  extends
    SharedControllerDeps,
    Pick<DataStoreReconcilerDeps, "fieldManager" | "recheckAfterMs" | "onReadinessChange"> {}

export function setupDataStoreController(deps: DataStoreControllerDeps): void {
  const { manager, dataStores, tenantControlPlanes } = deps;
  const controller = new Controller({
    name: "datastore",
    workers: 1,
    reconcileTimeoutMs: deps.reconcileTimeoutMs,
    log: deps.log,
    metrics: deps.metrics,
    // A broken DataStore is retried from 1 s up to 10 s apart: its tenants wait on it, and one connection attempt
    // is cheap (a DataStore created just before its server starts, as the chart's, was otherwise ready ~30 s late).
    backoff: { baseMs: 1_000, maxMs: 10_000 },
    reconciler: new DataStoreReconciler({
      client: deps.client,
      events: deps.events,
      connections: deps.connections,
      tenantControlPlanes,
      fieldManager: deps.fieldManager,
      recheckAfterMs: deps.recheckAfterMs,
      onReadinessChange: deps.onReadinessChange,
    }),
  });
  manager.addController(controller);

  const enqueue = (dataStore: DataStore) => {
    controller.enqueue(dataStore.metadata.name ?? "");
  };
  dataStores.on({
    add: enqueue,
    update: (_old, dataStore) => {
      enqueue(dataStore);
    },
    resync: enqueue,
  });
  deps.secrets.on(
    onEveryChange((secret) => {
      for (const dataStore of dataStores.byIndex(dataStoreBySecretIndex, objectKey(secret.metadata)))
        enqueue(dataStore);
    }),
  );

  const enqueueDataStoreOf = (tcp: TenantControlPlane) => {
    const name = tcp.status?.storage?.dataStoreName;
    if (name !== undefined && name !== "") controller.enqueue(name);
  };
  tenantControlPlanes.on({
    add: enqueueDataStoreOf,
    update: (old, tcp) => {
      if (old.status?.storage?.dataStoreName !== tcp.status?.storage?.dataStoreName) {
        enqueueDataStoreOf(old);
        enqueueDataStoreOf(tcp);
      }
    },
    delete: enqueueDataStoreOf,
  });
}
