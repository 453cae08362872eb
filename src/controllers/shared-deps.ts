// What the manager's wiring builds once and every controller's setup registers with or reads from.
import type { DataStore, TenantControlPlane } from "../api/v1alpha1/kinds.js";
import type { DataStoreConnections } from "../datastore/connections.js";
import type { EventRecorder } from "../runtime/events.js";
import type { Informer } from "../runtime/informer.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import type { Logger } from "../runtime/logger.js";
import type { Manager } from "../runtime/manager.js";
import type { RuntimeMetrics } from "../runtime/metrics.js";

export interface SharedControllerDeps {
  readonly manager: Manager;
  readonly client: KubeClient;
  readonly log: Logger;
  readonly metrics: RuntimeMetrics;
  readonly reconcileTimeoutMs: number;
  readonly events: EventRecorder;
  readonly connections: DataStoreConnections;
  readonly tenantControlPlanes: Informer<TenantControlPlane>;
  readonly dataStores: Informer<DataStore>;
  /** Metadata only (InformerOptions.metadataOnly): reconciles read Secrets from the API. */
  readonly secrets: Informer<KubeObject>;
}
