// Composes the Kamaji manager: the informers its controllers share, then the TenantControlPlane, DataStore and
// per-tenant (soot) controllers, each set up with its own watches.
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { DataStore, TenantControlPlane } from "../api/v1alpha1/kinds.js";
import { referencedSecrets } from "../datastore/connection-config.js";
import { DataStoreConnections } from "../datastore/connections.js";
import { EventRecorder } from "../runtime/events.js";
import { Informer, objectKey } from "../runtime/informer.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import { defaultLeaseTimings } from "../runtime/leader-election.js";
import type { Logger } from "../runtime/logger.js";
import { Manager } from "../runtime/manager.js";
import { RuntimeMetrics } from "../runtime/metrics.js";
import { resourceTypes } from "../runtime/resource-types.js";
import { tcpByDataStoreIndex } from "./datastore/reconciler.js";
import { dataStoreBySecretIndex, setupDataStoreController } from "./datastore/setup.js";
import { setupSootController } from "./soot/setup.js";
import { kubeClusterView, startWebhookServer } from "../webhooks/server.js";
import { ServingCertificateManager } from "../webhooks/serving-certificate.js";
import { KamajiMetrics } from "./metrics.js";
import type { SharedControllerDeps } from "./shared-deps.js";
import type { TenantControlPlaneReconcilerOptions } from "./tenantcontrolplane/reconciler.js";
import { setupTenantControlPlaneController } from "./tenantcontrolplane/setup.js";
import { CertificateInventory } from "./tenantcontrolplane/certificate-inventory.js";

export interface KamajiManagerOptions extends TenantControlPlaneReconcilerOptions {
  readonly client: KubeClient;
  readonly log: Logger;
  readonly maxConcurrentReconciles: number;
  readonly reconcileTimeoutMs: number;
  /** Undefined: no leader election. */
  readonly leaderElectionNamespace?: string;
  readonly healthAddress?: { host: string; port: number };
  readonly metricsAddress?: { host: string; port: number };
  readonly dataStoreRecheckMs?: number;
  /** --cache-resync-period: every TenantControlPlane and DataStore is reconciled again this often. */
  readonly cacheResyncPeriodMs: number;
  readonly version: string;
  /** Undefined: no admission webhook server (e.g. a development run outside the cluster). */
  readonly webhook?: WebhookSettings;
}

export interface WebhookSettings {
  readonly port: number;
  /** The operator's namespace: the serving Secret and the webhook Service are there. */
  readonly namespace: string;
  readonly serviceName: string;
  readonly secretName: string;
  readonly mutatingWebhookConfiguration: string;
  readonly validatingWebhookConfiguration: string;
}

export interface KamajiManager {
  readonly manager: Manager;
  readonly identity: string;
  /** Runs until stopped or leadership is lost; closes datastore connections afterwards. */
  run(signal: AbortSignal): Promise<"stopped" | "leadership-lost">;
}

export const leaderElectionId = "kamaji.clastix.io";

export function createKamajiManager(options: KamajiManagerOptions): KamajiManager {
  const { client, log } = options;
  const identity = `${hostname()}_${randomUUID()}`;
  const metrics = new RuntimeMetrics();
  const manager = new Manager({
    client,
    log,
    metrics,
    ...(options.leaderElectionNamespace === undefined
      ? {}
      : {
          leaderElection: {
            namespace: options.leaderElectionNamespace,
            name: leaderElectionId,
            identity,
            ...defaultLeaseTimings,
          },
        }),
    ...(options.healthAddress === undefined ? {} : { healthAddress: options.healthAddress }),
    ...(options.metricsAddress === undefined ? {} : { metricsAddress: options.metricsAddress }),
  });
  const informerLog = log.child({ logger: "informer" });
  const tenantControlPlanes = manager.addInformer(
    new Informer<TenantControlPlane>(client, resourceTypes.tenantControlPlane, informerLog, {
      resyncPeriodMs: options.cacheResyncPeriodMs,
    }),
  );
  tenantControlPlanes.addIndex(tcpByDataStoreIndex, (tcp) => {
    const name = tcp.status?.storage?.dataStoreName;
    return name === undefined || name === "" ? [] : [name];
  });
  const dataStores = manager.addInformer(
    new Informer<DataStore>(client, resourceTypes.dataStore, informerLog, {
      resyncPeriodMs: options.cacheResyncPeriodMs,
    }),
  );
  dataStores.addIndex(dataStoreBySecretIndex, referencedSecrets);
  // Secrets are only watched to trigger reconciles; reconciles read them from the API, so the cache drops data.
  const secrets = manager.addInformer(
    new Informer<KubeObject>(client, resourceTypes.secret, informerLog, { metadataOnly: true }),
  );

  const connections = new DataStoreConnections(log.child({ logger: "datastore" }));
  const certificates = new CertificateInventory();
  const kamajiMetrics = new KamajiMetrics(
    metrics.registry,
    { tenantControlPlanes, dataStores, certificates },
    { version: options.version, commit: "" },
    options.certificateExpirationDeadlineMs,
  );
  const shared: SharedControllerDeps = {
    manager,
    client,
    log,
    metrics,
    reconcileTimeoutMs: options.reconcileTimeoutMs,
    events: new EventRecorder(client, "kamaji.clastix.io/kamaji", identity, log.child({ logger: "events" })),
    connections,
    tenantControlPlanes,
    dataStores,
    secrets,
  };

  const tenantControlPlaneController = setupTenantControlPlaneController({
    ...shared,
    workers: options.maxConcurrentReconciles,
    options,
    certificates,
    observeStep: (handler, seconds) => {
      kamajiMetrics.handlerTime.observe({ handler }, seconds);
    },
  });
  setupDataStoreController({
    ...shared,
    fieldManager: options.fieldManager,
    recheckAfterMs: options.dataStoreRecheckMs ?? 30_000,
    // The tenants of that DataStore: those naming it, and those with no spec.dataStore when it is the default.
    onReadinessChange: (name) => {
      for (const tcp of tenantControlPlanes.list()) {
        if ((tcp.spec.dataStore || options.defaultDataStore) === name) {
          tenantControlPlaneController.enqueue(objectKey(tcp.metadata));
        }
      }
    },
  });
  const { webhook } = options;
  const soot = setupSootController({
    ...shared,
    workers: options.maxConcurrentReconciles,
    fieldManager: options.fieldManager,
    ...(webhook === undefined
      ? {}
      : { guard: { serviceName: webhook.serviceName, namespace: webhook.namespace, secretName: webhook.secretName } }),
  });

  return {
    manager,
    identity,
    async run(signal) {
      // Every replica serves admission requests, leader or not.
      const webhooks = options.webhook && (await startWebhooks(options, options.webhook, signal));
      try {
        return await manager.run(signal);
      } finally {
        soot.close();
        await webhooks?.close();
        await connections.closeAll();
      }
    },
  };
}

/** The webhook server with its self-managed certificate, renewed (and swapped in) while it runs. */
async function startWebhooks(
  options: KamajiManagerOptions,
  settings: WebhookSettings,
  signal: AbortSignal,
): Promise<{ close(): Promise<void> }> {
  const { client, log } = options;
  const certificates = new ServingCertificateManager({
    client,
    log: log.child({ logger: "webhook-certificate" }),
    namespace: settings.namespace,
    secretName: settings.secretName,
    serviceName: settings.serviceName,
    mutatingWebhookConfiguration: settings.mutatingWebhookConfiguration,
    validatingWebhookConfiguration: settings.validatingWebhookConfiguration,
    keyAlgorithm: options.keyAlgorithm,
  });
  const server = await startWebhookServer({
    address: { host: "::", port: settings.port },
    certificate: await certificates.ensure(),
    log: log.child({ logger: "webhooks" }),
    cluster: kubeClusterView(client),
    ...(options.defaultDataStore === undefined ? {} : { defaultDataStore: options.defaultDataStore }),
  });
  const stopRotation = new AbortController();
  signal.addEventListener("abort", () => {
    stopRotation.abort();
  });
  const rotation = certificates.run(stopRotation.signal, (certificate) => {
    server.setCertificate(certificate);
  });
  return {
    async close() {
      stopRotation.abort();
      await rotation;
      await server.close();
    },
  };
}
