// Wires the TenantControlPlane and DataStore controllers into a manager: informers, indexes, event handlers.
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { DataStore, TenantControlPlane } from "../api/v1alpha1/kinds.js";
import { referencedSecrets } from "../datastore/connection-config.js";
import { DataStoreConnections } from "../datastore/connections.js";
import { nameLabel, projectLabel } from "../resources/labels.js";
import { Controller } from "../runtime/controller.js";
import { EventRecorder } from "../runtime/events.js";
import { Informer, objectKey } from "../runtime/informer.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import { defaultLeaseTimings } from "../runtime/leader-election.js";
import type { Logger } from "../runtime/logger.js";
import { Manager } from "../runtime/manager.js";
import { RuntimeMetrics } from "../runtime/metrics.js";
import { resourceTypes, type ResourceType } from "../runtime/resource-types.js";
import { DataStoreReconciler, tcpByDataStoreIndex } from "./datastore/reconciler.js";
import { SootReconciler } from "./soot/reconciler.js";
import { kubeClusterView, startWebhookServer } from "../webhooks/server.js";
import { ServingCertificateManager } from "../webhooks/serving-certificate.js";
import { KamajiMetrics } from "./metrics.js";
import type { TenantControlPlaneReconcilerOptions } from "./tenantcontrolplane/reconciler.js";
import { TenantControlPlaneReconciler } from "./tenantcontrolplane/reconciler.js";

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
const dataStoreSecretIndex = "secretRef";

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
  const tcps = manager.addInformer(
    new Informer<TenantControlPlane>(client, resourceTypes.tenantControlPlane, informerLog),
  );
  tcps.addIndex(tcpByDataStoreIndex, (tcp) => {
    const name = tcp.status?.storage?.dataStoreName;
    return name === undefined || name === "" ? [] : [name];
  });
  const dataStores = manager.addInformer(new Informer<DataStore>(client, resourceTypes.dataStore, informerLog));
  dataStores.addIndex(dataStoreSecretIndex, referencedSecrets);
  // Secrets are only watched to trigger reconciles; reconciles read them from the API, so the cache drops data.
  const secrets = manager.addInformer(
    new Informer<KubeObject>(client, resourceTypes.secret, informerLog, {
      transform: (secret) => ({ apiVersion: secret.apiVersion, kind: secret.kind, metadata: secret.metadata }),
    }),
  );
  const owned = (type: ResourceType) =>
    manager.addInformer(
      new Informer<KubeObject>(client, type, informerLog, {
        labelSelector: `${projectLabel}=kamaji`,
        transform: (object) => ({ apiVersion: object.apiVersion, kind: object.kind, metadata: object.metadata }),
      }),
    );

  const events = new EventRecorder(client, "kamaji.clastix.io/kamaji", identity, log.child({ logger: "events" }));
  const connections = new DataStoreConnections(log.child({ logger: "datastore" }));
  const kamajiMetrics = new KamajiMetrics(metrics.registry, tcps, dataStores, { version: options.version, commit: "" });

  const tcpController = new Controller({
    name: "tenantcontrolplane",
    workers: options.maxConcurrentReconciles,
    reconcileTimeoutMs: options.reconcileTimeoutMs,
    log,
    metrics,
    reconciler: new TenantControlPlaneReconciler({
      client,
      events,
      connections,
      dataStores,
      options,
      observeStep: (handler, seconds) => {
        kamajiMetrics.handlerTime.observe({ handler }, seconds);
      },
    }),
  });
  const dataStoreController = new Controller({
    name: "datastore",
    workers: 1,
    reconcileTimeoutMs: options.reconcileTimeoutMs,
    log,
    metrics,
    // A broken DataStore is retried from 1 s up to 10 s apart: its tenants wait on it, and one connection attempt
    // is cheap (a DataStore created just before its server starts, as the chart's, was otherwise ready ~30 s late).
    backoff: { baseMs: 1_000, maxMs: 10_000 },
    reconciler: new DataStoreReconciler({
      client,
      events,
      connections,
      tenantControlPlanes: tcps,
      fieldManager: options.fieldManager,
      recheckAfterMs: options.dataStoreRecheckMs ?? 30_000,
      onReady: (name) => {
        for (const tcp of tcps.list()) {
          if ((tcp.spec.dataStore || options.defaultDataStore) === name) tcpController.enqueue(objectKey(tcp.metadata));
        }
      },
    }),
  });
  const soot = new SootReconciler({
    client,
    tenantControlPlanes: tcps,
    fieldManager: options.fieldManager,
    log: log.child({ logger: "soot" }),
    enqueue: (key) => {
      sootController.enqueue(key);
    },
  });
  const sootController = new Controller({
    name: "soot",
    workers: options.maxConcurrentReconciles,
    reconcileTimeoutMs: options.reconcileTimeoutMs,
    log: log.child({ logger: "soot" }),
    metrics,
    // An unreachable tenant is retried from 1 s up to 1 min apart, on its own key: the others go on.
    backoff: { baseMs: 1_000, maxMs: 60_000 },
    reconciler: soot,
  });
  manager.addController(tcpController);
  manager.addController(dataStoreController);
  manager.addController(sootController);

  const enqueueTcp = (tcp: TenantControlPlane) => {
    tcpController.enqueue(objectKey(tcp.metadata));
  };
  const enqueueDataStoreOf = (tcp: TenantControlPlane) => {
    const name = tcp.status?.storage?.dataStoreName;
    if (name !== undefined && name !== "") dataStoreController.enqueue(name);
  };
  tcps.on({
    add: (tcp) => {
      enqueueTcp(tcp);
      enqueueDataStoreOf(tcp);
      sootController.enqueue(objectKey(tcp.metadata));
    },
    update: (old, tcp) => {
      if (specOrMetadataChanged(old, tcp) || tenantAccessChanged(old, tcp)) {
        sootController.enqueue(objectKey(tcp.metadata));
      }
      // The per-tenant controller's bootstrap is what turns a new tenant Ready.
      if (old.status?.kubeadmPhase?.bootstrapToken.checksum !== tcp.status?.kubeadmPhase?.bootstrapToken.checksum) {
        enqueueTcp(tcp);
      }
      // Status-only changes are this controller's own writes; reacting to them would only loop.
      if (specOrMetadataChanged(old, tcp)) enqueueTcp(tcp);
      if (old.status?.storage?.dataStoreName !== tcp.status?.storage?.dataStoreName) {
        enqueueDataStoreOf(old);
        enqueueDataStoreOf(tcp);
      }
    },
    delete: (tcp) => {
      enqueueDataStoreOf(tcp);
      sootController.enqueue(objectKey(tcp.metadata));
    },
  });
  const enqueueOwner = (object: KubeObject) => {
    const owner = object.metadata.ownerReferences?.find(
      (ref) => ref.controller === true && ref.kind === "TenantControlPlane",
    );
    if (owner !== undefined && object.metadata.namespace !== undefined) {
      tcpController.enqueue(`${object.metadata.namespace}/${owner.name}`);
    }
  };
  const ownerHandlers = {
    add: enqueueOwner,
    update: (_old: KubeObject, now: KubeObject) => {
      enqueueOwner(now);
    },
    delete: enqueueOwner,
  };
  for (const type of [resourceTypes.deployment, resourceTypes.service, resourceTypes.configMap])
    owned(type).on(ownerHandlers);
  // Control-plane pods (labelled with their TCP's name): their states feed the Ready condition's diagnosis.
  const enqueuePodOwner = (pod: KubeObject) => {
    const tcp = pod.metadata.labels?.[nameLabel];
    if (tcp !== undefined && pod.metadata.namespace !== undefined)
      tcpController.enqueue(`${pod.metadata.namespace}/${tcp}`);
  };
  manager
    .addInformer(
      new Informer<KubeObject>(client, resourceTypes.pod, informerLog, {
        labelSelector: nameLabel,
        transform: (pod) => ({ apiVersion: pod.apiVersion, kind: pod.kind, metadata: pod.metadata }),
      }),
    )
    .on({
      add: enqueuePodOwner,
      update: (_old, pod) => {
        enqueuePodOwner(pod);
      },
      delete: enqueuePodOwner,
    });
  const onSecret = (secret: KubeObject) => {
    enqueueOwner(secret);
    enqueueDataStoresReferencing(secret);
  };
  secrets.on({
    add: onSecret,
    update: (_old, secret) => {
      onSecret(secret);
    },
    delete: onSecret,
  });
  function enqueueDataStoresReferencing(secret: KubeObject) {
    for (const dataStore of dataStores.byIndex(dataStoreSecretIndex, objectKey(secret.metadata))) {
      dataStoreController.enqueue(dataStore.metadata.name ?? "");
    }
  }
  dataStores.on({
    add: (ds) => {
      dataStoreController.enqueue(ds.metadata.name ?? "");
    },
    update: (_old, ds) => {
      dataStoreController.enqueue(ds.metadata.name ?? "");
    },
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

/** What the per-tenant controller depends on besides the spec: whether the API serves, where, with what keys. */
function tenantAccessChanged(old: TenantControlPlane, now: TenantControlPlane): boolean {
  const a = old.status;
  const b = now.status;
  return (
    a?.kubernetesResources?.version?.status !== b?.kubernetesResources?.version?.status ||
    a?.kubernetesResources?.deployment?.readyReplicas !== b?.kubernetesResources?.deployment?.readyReplicas ||
    a?.controlPlaneEndpoint !== b?.controlPlaneEndpoint ||
    a?.kubeconfig?.admin?.checksum !== b?.kubeconfig?.admin?.checksum
  );
}

function specOrMetadataChanged(old: TenantControlPlane, now: TenantControlPlane): boolean {
  const a = old.metadata;
  const b = now.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.annotations) !== JSON.stringify(b.annotations) ||
    JSON.stringify(a.labels) !== JSON.stringify(b.labels) ||
    JSON.stringify(a.finalizers) !== JSON.stringify(b.finalizers)
  );
}
