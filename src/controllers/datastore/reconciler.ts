// Reconciles one DataStore: checks that its credentials resolve and that the server accepts them, records which
// TenantControlPlanes use it, and holds a finalizer so that a DataStore in use cannot disappear under its tenants.
import type { DataStore, TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { apiVersion } from "../../api/v1alpha1/kinds.js";
import type { DataStoreStatus } from "../../api/v1alpha1/datastore.js";
import { DataStoreValidationError, resolveConnectionConfig } from "../../datastore/connection-config.js";
import type { DataStoreConnections } from "../../datastore/connections.js";
import { DataStoreError } from "../../datastore/driver.js";
import { isPaused } from "../../resources/labels.js";
import { findCondition, setCondition, type Condition, type ConditionUpdate } from "../../runtime/conditions.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../../runtime/controller.js";
import type { EventRecorder } from "../../runtime/events.js";
import { objectKey, type Informer } from "../../runtime/informer.js";
import type { KubeClient } from "../../runtime/kube-client.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import { canonicalJson } from "../canonical-json.js";
import { removeFinalizer } from "../../runtime/finalizers.js";
import { allowedDeletionCondition, dataStoreErrorReasons, dataStoreValidationCondition } from "./conditions.js";

export const dataStoreInUseFinalizer = "kamaji.clastix.io/TenantControlPlane";
/** Index of the TenantControlPlane informer: the DataStore a tenant's data lives on. */
export const tcpByDataStoreIndex = "status.storage.dataStoreName";

export interface DataStoreReconcilerDeps {
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly connections: DataStoreConnections;
  readonly tenantControlPlanes: Informer<TenantControlPlane>;
  readonly fieldManager: string;
  /** How often a healthy DataStore's connection is checked again. */
  readonly recheckAfterMs: number;
  /**
   * Called when the DataStore became ready or stopped being ready: its tenants are reconciled at once (to start, or
   * to say why they cannot).
   */
  readonly onReadinessChange: (dataStore: string) => void;
}

export class DataStoreReconciler implements Reconciler {
  constructor(private readonly deps: DataStoreReconcilerDeps) {}

  async reconcile(name: string, { log, signal }: ReconcileContext): Promise<ReconcileResult | undefined> {
    // Every call is abandoned when the reconcile is stopped or deposed: nothing it sent lands later.
    const client = this.deps.client.withSignal(signal);
    const dataStore = await client.get<DataStore>(resourceTypes.dataStore, name);
    if (dataStore === undefined) {
      this.deps.connections.forget(name);
      return undefined;
    }
    if (isPaused(dataStore.metadata)) {
      log.info("paused reconciliation, no further actions");
      return undefined;
    }
    const usedBy = this.#usedBy(name);
    const previous = dataStore.status;
    let conditions = (previous?.conditions ?? []) as Condition[];

    if (dataStore.metadata.deletionTimestamp !== undefined) {
      const inUse = usedBy.length > 0;
      conditions = setCondition(conditions, {
        type: allowedDeletionCondition,
        status: inUse ? "False" : "True",
        reason: inUse ? "DataStoreStillUsed" : "DataStoreUnused",
        message: inUse ? `still used by ${usedBy.join(", ")}` : "no TenantControlPlane uses it",
        observedGeneration: dataStore.metadata.generation,
      });
      await this.#writeStatus(client, dataStore, { ...previous, ready: previous?.ready ?? false, usedBy, conditions });
      if (!inUse) {
        await removeFinalizer(client, resourceTypes.dataStore, dataStore, dataStoreInUseFinalizer);
        this.deps.connections.forget(name);
      }
      return undefined;
    }

    if (!(dataStore.metadata.finalizers ?? []).includes(dataStoreInUseFinalizer)) {
      await client.patch(resourceTypes.dataStore, name, undefined, {
        metadata: {
          finalizers: [...(dataStore.metadata.finalizers ?? []), dataStoreInUseFinalizer],
          resourceVersion: dataStore.metadata.resourceVersion,
        },
      });
    }

    const check = await this.#check(client, dataStore, signal);
    // A check cut short by a stop says nothing about the server: write no condition from it.
    signal.throwIfAborted();
    const wasReady = previous?.ready === true;
    conditions = setCondition(conditions, { ...check, observedGeneration: dataStore.metadata.generation });
    const ready = check.status === "True";
    await this.#writeStatus(client, dataStore, {
      observedGeneration: dataStore.metadata.generation,
      usedBy,
      conditions,
      ready,
    });
    if (!ready) {
      const transition = findCondition(previous?.conditions as Condition[] | undefined, dataStoreValidationCondition);
      if (transition?.reason !== check.reason || transition.message !== check.message || wasReady) {
        const warning = { type: "Warning", reason: check.reason, action: "Validate", note: check.message } as const;
        await this.deps.events.record(dataStore, warning, { signal });
      }
      if (wasReady) this.deps.onReadinessChange(name);
      throw new Error(check.message);
    }
    if (!wasReady) {
      const valid = { type: "Normal", reason: check.reason, action: "Validate", note: check.message } as const;
      await this.deps.events.record(dataStore, valid, { signal });
      this.deps.onReadinessChange(name);
    }
    return { requeueAfterMs: this.deps.recheckAfterMs };
  }

  async #check(client: KubeClient, dataStore: DataStore, signal: AbortSignal): Promise<ConditionUpdate> {
    const name = dataStore.metadata.name ?? "";
    const base = { type: dataStoreValidationCondition };
    try {
      const config = await resolveConnectionConfig(client, dataStore);
      await this.deps.connections.get(config, signal).check();
      return {
        ...base,
        status: "True",
        reason: "DataStoreIsValid",
        message: `the ${config.driver} server accepts the credentials`,
      };
    } catch (error) {
      if (error instanceof DataStoreValidationError) {
        return { ...base, status: "False", reason: error.reason, message: error.message };
      }
      if (error instanceof DataStoreError) {
        const reason =
          error.reason === "Unreachable" || error.reason === "Unauthorized"
            ? dataStoreErrorReasons[error.reason]
            : "DataStoreCheckFailed";
        return { ...base, status: "False", reason, message: error.message };
      }
      return {
        ...base,
        status: "False",
        reason: "DataStoreCheckFailed",
        message: `DataStore ${name}: ${String(error)}`,
      };
    }
  }

  #usedBy(name: string): string[] {
    return this.deps.tenantControlPlanes
      .byIndex(tcpByDataStoreIndex, name)
      .map((tcp) => objectKey(tcp.metadata))
      .sort();
  }

  async #writeStatus(client: KubeClient, dataStore: DataStore, status: DataStoreStatus): Promise<void> {
    if (canonicalJson(status) === canonicalJson(dataStore.status ?? {})) return;
    await client.apply(
      resourceTypes.dataStore,
      { apiVersion, kind: "DataStore", metadata: { name: dataStore.metadata.name }, status } as never,
      this.deps.fieldManager,
      "status",
    );
  }
}
