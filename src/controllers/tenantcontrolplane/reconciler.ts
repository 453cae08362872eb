// Reconciles one TenantControlPlane: resolves its DataStore, walks the pipeline, writes status once (only when it
// changed), and on deletion removes the tenant's data, user and grants from the DataStore before letting go.
import type { DataStore, TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { apiVersion } from "../../api/v1alpha1/kinds.js";
import type { TenantControlPlaneStatus } from "../../api/v1alpha1/tenantcontrolplane.js";
import { DataStoreValidationError, resolveConnectionConfig } from "../../datastore/connection-config.js";
import type { DataStoreConnections } from "../../datastore/connections.js";
import { isPaused } from "../../resources/labels.js";
import { resourceNames } from "../../resources/names.js";
import { findCondition, setCondition, type Condition } from "../../runtime/conditions.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../../runtime/controller.js";
import type { EventRecorder } from "../../runtime/events.js";
import type { Informer } from "../../runtime/informer.js";
import type { KubeClient } from "../../runtime/kube-client.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import { removeFinalizer } from "../../runtime/finalizers.js";
import { dataStoreValidationCondition } from "../datastore/conditions.js";
import { canonicalJson } from "../canonical-json.js";
import { rfc3339 } from "../../runtime/time.js";
import { certificateState, type CertificateInventory } from "./certificate-inventory.js";
import type { ControlPlaneHealth, PipelineContext, PipelineOptions } from "./context.js";
import { asProblem, dataStoreFinalizer, dataStoreSecretFinalizer, tenantStorageNames } from "./datastore-steps.js";
import { pipeline } from "./pipeline.js";
import {
  jobView,
  migrationPlan,
  type Job,
  type MigrationContext,
  type MigrationPlan,
  type MigrationSettings,
} from "./migration.js";
import { migrationJobName } from "../../resources/migration-job.js";
import { ReconcileProblem } from "./problem.js";
import type { Secret } from "./objects.js";

export const reconciledCondition = "Reconciled";
/** True while a certificate is within the renewal deadline (or expired) and reconciles fail: the tenant is at risk. */
export const certificatesExpiringCondition = "CertificatesExpiring";
/** Whether the tenant API server serves (our addition, like Reconciled): reason says why not. */
export const readyCondition = "Ready";
/** True while a CA rotation runs, with its stage as the reason (see authority-rotation.ts). */
export const authorityRotatingCondition = "CertificateAuthorityRotating";
/** Expected on the way up or chosen by the user: no Warning event for these. */
const quietHealthReasons = new Set(["Starting", "Sleeping", "Provisioning", "Upgrading", "Migrating"]);

export interface TenantControlPlaneReconcilerOptions extends PipelineOptions {
  /** --datastore: used when spec.dataStore is empty. */
  readonly defaultDataStore?: string;
  /** Where and how migration Jobs run; absent: a changed spec.dataStore is reported, not migrated. */
  readonly migration?: MigrationSettings;
}

export interface TenantControlPlaneReconcilerDeps {
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly connections: DataStoreConnections;
  readonly dataStores: Informer<DataStore>;
  readonly options: TenantControlPlaneReconcilerOptions;
  /** Observes each pipeline step's duration (kamaji_handler_time_seconds). */
  readonly observeStep?: (step: string, seconds: number) => void;
  /** The certificates each TCP's last successful reconcile left in place. */
  readonly certificates: CertificateInventory;
}

export class TenantControlPlaneReconciler implements Reconciler {
  constructor(private readonly deps: TenantControlPlaneReconcilerDeps) {}

  async reconcile(key: string, { log, signal }: ReconcileContext): Promise<ReconcileResult | undefined> {
    const [namespace = "", name = ""] = key.split("/");
    // Every call of this reconcile is abandoned when it is stopped or deposed: nothing it sent lands later.
    const client = this.deps.client.withSignal(signal);
    const tcp = await client.get<TenantControlPlane>(resourceTypes.tenantControlPlane, name, namespace);
    if (tcp === undefined) {
      this.deps.certificates.forget(key);
      return undefined;
    }
    if (isPaused(tcp.metadata)) {
      log.info("paused reconciliation, no further actions");
      return undefined;
    }
    if (tcp.metadata.deletionTimestamp !== undefined) {
      this.deps.certificates.forget(key);
      await this.#finalize(client, tcp, log, signal);
      return undefined;
    }

    const status: TenantControlPlaneStatus = structuredClone(tcp.status ?? {});
    try {
      const migration = await this.#migration(client, tcp, signal);
      const dataStore = this.#dataStore(this.#servingDataStoreName(tcp, migration?.plan));
      const connectionConfig = await this.#connectionConfig(client, dataStore);
      const context: PipelineContext = {
        client,
        log,
        options: this.deps.options,
        tcp,
        names: resourceNames(name),
        owner: {
          apiVersion,
          kind: "TenantControlPlane",
          name,
          uid: tcp.metadata.uid ?? "",
          controller: true,
          blockOwnerDeletion: true,
        },
        now: new Date(),
        dataStore,
        connectionConfig,
        connection: this.deps.connections.get(connectionConfig, signal),
        status,
        secretChecksums: {},
        unwanted: [],
        rotatedSecrets: [],
        authorityRotations: [],
        certificates: [],
        ...(migration === undefined ? {} : { migration }),
      };
      for (const step of pipeline) {
        if (signal.aborted) throw new Error(`reconcile of ${key} aborted before step ${step.name}`);
        const started = process.hrtime.bigint();
        try {
          await step.run(context);
        } catch (error) {
          throw asProblem(error, `step ${step.name}`);
        } finally {
          this.deps.observeStep?.(step.name, Number(process.hrtime.bigint() - started) / 1e9);
        }
      }
      this.deps.certificates.record(key, context.certificates);
      status.observedGeneration = tcp.metadata.generation;
      status.conditions = withReconciled(status, tcp, "True", "ReconcileSucceeded", "every resource is in place");
      status.conditions = withCertificatesExpiring(status, tcp, undefined);
      status.conditions = withAuthorityRotating(status, tcp, context.authorityRotations);
      const { health } = context;
      if (health !== undefined) await this.#reportHealth(tcp, status, health, signal);
      await this.#writeStatus(client, tcp, status);
      return nextLook(health, context.nextLookAt);
    } catch (error) {
      // Stopped or deposed: the failure is ours, not the tenant's, and the next leader reconciles it anew.
      if (signal.aborted) throw error;
      const problem = error instanceof ReconcileProblem ? error : undefined;
      const reason = problem?.reason ?? "ReconcileFailed";
      const message = error instanceof Error ? error.message : String(error);
      status.conditions = withReconciled(status, tcp, "False", reason, message);
      const expiring = this.#expiringUnrenewed(key, message);
      status.conditions = withCertificatesExpiring(status, tcp, expiring);
      await this.#writeStatus(client, tcp, status).catch((writeError: unknown) => {
        log.warn({ error: writeError }, "could not write the status after a failed reconcile");
      });
      if (expiring !== undefined) {
        const warning = {
          type: "Warning",
          reason: certificatesExpiringCondition,
          action: "Renew",
          note: expiring,
        } as const;
        await this.deps.events.record(tcp, warning, { signal });
      }
      if (problem?.retryAfterMs !== undefined) return { requeueAfterMs: problem.retryAfterMs };
      const warning = { type: "Warning", reason, action: "Reconcile", note: message } as const;
      await this.deps.events.record(tcp, warning, { signal });
      throw error;
    }
  }

  /** Why the tenant is running out of time, when a certificate is within the deadline and this reconcile failed. */
  #expiringUnrenewed(key: string, failure: string): string | undefined {
    const earliest = this.deps.certificates.earliestExpiry(key);
    if (earliest === undefined) return undefined;
    const state = certificateState(earliest.notAfter, new Date(), this.deps.options.certificateExpirationDeadlineMs);
    if (state === "valid") return undefined;
    const when = state === "invalid" ? "expired at" : "expires at";
    return `the certificate in Secret ${earliest.secret} ${when} ${rfc3339(earliest.notAfter)} and could not be renewed: ${failure}`;
  }

  #wantedDataStoreName(tcp: TenantControlPlane): string {
    const wanted = tcp.spec.dataStore || this.deps.options.defaultDataStore;
    if (!wanted) {
      throw new ReconcileProblem(
        "NoDataStore",
        "spec.dataStore is empty and the manager has no default DataStore (--datastore)",
      );
    }
    return wanted;
  }

  /** The DataStore the pipeline runs on: the source until the copy is done, then the target. */
  #servingDataStoreName(tcp: TenantControlPlane, plan: MigrationPlan | undefined): string {
    if (plan?.phase === "copying") return plan.source;
    return this.#wantedDataStoreName(tcp);
  }

  #dataStore(name: string): DataStore {
    const dataStore = this.deps.dataStores.get(name);
    if (dataStore === undefined) throw new ReconcileProblem("DataStoreNotFound", `DataStore ${name} does not exist`);
    if (dataStore.status?.ready !== true) {
      const why = dataStore.status?.conditions?.find((c) => c.type === dataStoreValidationCondition)?.message;
      throw new ReconcileProblem("DataStoreNotReady", `DataStore ${name} is not ready${why ? `: ${why}` : ""}`);
    }
    return dataStore;
  }

  async #connectionConfig(client: KubeClient, dataStore: DataStore) {
    return resolveConnectionConfig(client, dataStore).catch((error: unknown) => {
      throw error instanceof DataStoreValidationError
        ? new ReconcileProblem("DataStoreInvalid", error.message, undefined, { cause: error })
        : error;
    });
  }

  /** The move to another DataStore under way, if any (see migration.ts), with the other DataStore's connection. */
  async #migration(
    client: KubeClient,
    tcp: TenantControlPlane,
    signal: AbortSignal,
  ): Promise<MigrationContext | undefined> {
    const recorded = tcp.status?.storage?.dataStoreName;
    const wanted = this.#wantedDataStoreName(tcp);
    const settings = this.deps.options.migration;
    if (settings === undefined) {
      if (recorded !== undefined && recorded !== "" && recorded !== wanted) {
        throw new ReconcileProblem(
          "MigrationUnavailable",
          `spec.dataStore changed from ${recorded} to ${wanted}, but this manager runs no migrations (it needs --pod-namespace): the tenant stays on ${recorded}`,
        );
      }
      return undefined;
    }
    const job = await client.get<Job>(resourceTypes.job, migrationJobName(tcp.metadata.uid ?? ""), settings.namespace);
    const plan = migrationPlan(recorded, wanted, jobView(job));
    if (plan === undefined) return undefined;
    // The DataStore beside the one the pipeline runs on: the target while copying, the source once finishing.
    const otherName = plan.phase === "finishing" ? plan.source : plan.phase === "switching" ? undefined : plan.target;
    let other: MigrationContext["other"];
    if (otherName !== undefined && otherName !== "") {
      const dataStore = this.deps.dataStores.get(otherName);
      if (dataStore === undefined && plan.phase === "copying") {
        throw new ReconcileProblem(
          "DataStoreNotFound",
          `cannot migrate to DataStore ${otherName}: it does not exist; the tenant stays on ${plan.source}`,
        );
      }
      if (dataStore !== undefined) {
        if (plan.phase === "copying") this.#dataStore(otherName); // ready, or why not
        const config = await this.#connectionConfig(client, dataStore);
        other = { config, connection: this.deps.connections.get(config, signal) };
      }
    }
    return { plan, settings, job, ...(other === undefined ? {} : { other }) };
  }

  async #finalize(
    client: KubeClient,
    tcp: TenantControlPlane,
    log: ReconcileContext["log"],
    signal: AbortSignal,
  ): Promise<void> {
    if (!(tcp.metadata.finalizers ?? []).includes(dataStoreFinalizer)) return;
    const name = tcp.status?.storage?.dataStoreName || tcp.spec.dataStore || this.deps.options.defaultDataStore || "";
    const dataStore = await client.get<DataStore>(resourceTypes.dataStore, name);
    if (dataStore === undefined) {
      throw new ReconcileProblem(
        "DataStoreNotFound",
        `cannot remove the tenant's data: DataStore ${name} does not exist`,
      );
    }
    const connection = this.deps.connections.get(await resolveConnectionConfig(client, dataStore), signal);
    const { schema, user } = tenantStorageNames(tcp, dataStore.spec.driver);
    try {
      await connection.teardown({ schema, user, password: "" });
    } catch (error) {
      const problem = asProblem(error, `removing schema ${schema} and user ${user}`);
      const message = problem instanceof Error ? problem.message : String(problem);
      const warning = { type: "Warning", reason: "DataStoreCleanupFailed", action: "Delete", note: message } as const;
      await this.deps.events.record(tcp, warning, { signal });
      throw problem;
    }
    await this.#releaseConfigSecret(client, tcp);
    await removeFinalizer(client, resourceTypes.tenantControlPlane, tcp, dataStoreFinalizer);
    log.info({ dataStore: name, schema, user }, "removed the tenant's data, user and grants from the DataStore");
    const note = `removed schema ${schema} and user ${user} from DataStore ${name}`;
    await this.deps.events.record(
      tcp,
      { type: "Normal", reason: "DataStoreCleanedUp", action: "Delete", note },
      { signal },
    );
  }

  // The datastore-config Secret holds a finalizer so that the password outlives an accidental Secret deletion.
  async #releaseConfigSecret(client: KubeClient, tcp: TenantControlPlane): Promise<void> {
    const secret = await client.get<Secret>(
      resourceTypes.secret,
      resourceNames(tcp.metadata.name ?? "").dataStoreConfig,
      tcp.metadata.namespace,
    );
    if (secret !== undefined) await removeFinalizer(client, resourceTypes.secret, secret, dataStoreSecretFinalizer);
  }

  /** Condition Ready, and a Warning event whenever a failure's reason or message changes. */
  async #reportHealth(
    tcp: TenantControlPlane,
    status: TenantControlPlaneStatus,
    health: ControlPlaneHealth,
    signal: AbortSignal,
  ) {
    const previous = findCondition(status.conditions as Condition[] | undefined, readyCondition);
    status.conditions = setCondition(status.conditions as Condition[] | undefined, {
      type: readyCondition,
      status: health.ready ? "True" : "False",
      reason: health.reason,
      message: health.message,
      observedGeneration: tcp.metadata.generation,
    });
    const changed = previous?.reason !== health.reason || previous.message !== health.message;
    if (changed && !health.ready && !quietHealthReasons.has(health.reason)) {
      const warning = { type: "Warning", reason: health.reason, action: "Diagnose", note: health.message } as const;
      await this.deps.events.record(tcp, warning, { signal });
    }
  }

  /** Applies the status fields this controller owns (see ownStatus), when they changed. */
  async #writeStatus(client: KubeClient, tcp: TenantControlPlane, built: TenantControlPlaneStatus): Promise<void> {
    const status = ownStatus(built);
    if (canonicalJson(status) === canonicalJson(ownStatus(tcp.status ?? {}))) return;
    await client.apply(
      resourceTypes.tenantControlPlane,
      {
        apiVersion,
        kind: "TenantControlPlane",
        metadata: { name: tcp.metadata.name, namespace: tcp.metadata.namespace },
        status,
      } as never,
      this.deps.options.fieldManager,
      "status",
    );
  }
}

/**
 * The status without the fields other writers own: kubeadmPhase is the per-tenant controller's. Applying the whole
 * status read at the start of a slow reconcile would write back an older value it wrote meanwhile.
 */
function ownStatus(status: TenantControlPlaneStatus): TenantControlPlaneStatus {
  const { kubeadmPhase: _ownedByTheTenantController, ...owned } = status;
  return owned;
}

/** A look that is somehow due already is taken after this, never in a tight loop. */
const MIN_LOOK_DELAY_MS = 1_000;

/** When to reconcile again with no event: a starting control plane's recheck, a renewal or a rotation stage. */
function nextLook(health: ControlPlaneHealth | undefined, nextLookAt: Date | undefined): ReconcileResult | undefined {
  const delays = [
    ...(health?.recheckAfterMs === undefined ? [] : [health.recheckAfterMs]),
    ...(nextLookAt === undefined ? [] : [Math.max(nextLookAt.getTime() - Date.now(), MIN_LOOK_DELAY_MS)]),
  ];
  return delays.length === 0 ? undefined : { requeueAfterMs: Math.min(...delays) };
}

/** Sets CertificatesExpiring True with `why`; with none, False, and only if the condition was there before. */
function withCertificatesExpiring(
  status: TenantControlPlaneStatus,
  tcp: TenantControlPlane,
  why: string | undefined,
): Condition[] | undefined {
  const conditions = status.conditions as Condition[] | undefined;
  if (why === undefined && findCondition(conditions, certificatesExpiringCondition) === undefined) return conditions;
  return setCondition(conditions, {
    type: certificatesExpiringCondition,
    status: why === undefined ? "False" : "True",
    reason: why === undefined ? "CertificatesRenewed" : "RenewalFailing",
    message: why ?? "every certificate is valid beyond the renewal deadline",
    observedGeneration: tcp.metadata.generation,
  });
}

const stageMeanings: Record<string, string> = {
  TrustingNewCA: "the new CA is added to every trust bundle; the old CA still signs",
  SigningWithNewCA: "the new CA signs; the old one stays trusted until the grace period ends",
};

/** CertificateAuthorityRotating True with the stage of each rotation under way; False once none is (if it was set). */
function withAuthorityRotating(
  status: TenantControlPlaneStatus,
  tcp: TenantControlPlane,
  rotations: readonly { readonly secret: string; readonly stage: string }[],
): Condition[] | undefined {
  const conditions = status.conditions as Condition[] | undefined;
  if (rotations.length === 0 && findCondition(conditions, authorityRotatingCondition) === undefined) return conditions;
  const [first] = rotations;
  return setCondition(conditions, {
    type: authorityRotatingCondition,
    status: first === undefined ? "False" : "True",
    reason: first?.stage ?? "RotationFinished",
    message:
      first === undefined
        ? "no CA rotation is under way"
        : rotations.map(({ secret, stage }) => `${secret}: ${stage} (${stageMeanings[stage] ?? stage})`).join("; "),
    observedGeneration: tcp.metadata.generation,
  });
}

function withReconciled(
  status: TenantControlPlaneStatus,
  tcp: TenantControlPlane,
  value: "True" | "False",
  reason: string,
  message: string,
): Condition[] {
  return setCondition(status.conditions as Condition[] | undefined, {
    type: reconciledCondition,
    status: value,
    reason,
    message,
    observedGeneration: tcp.metadata.generation,
  });
}
