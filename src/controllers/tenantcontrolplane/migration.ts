// Moving a tenant to another DataStore (reference §2 step 1), any driver to any driver. A changed spec.dataStore
// goes through these phases, decided from the status (the DataStore the tenant runs on), the spec and the Job:
//   copying    the tenant is frozen (status Migrating, the per-tenant controller installs kamaji-freeze), its
//              storage is provisioned on the target, and the Job `migrate-<uid>` copies the keys; the control plane
//              keeps serving from the source meanwhile;
//   switching  the Job is done: this reconcile runs the pipeline on the target (config, certificates, Deployment),
//              which records the target as the tenant's DataStore;
//   finishing  the control plane rolls onto the target (still Migrating, still frozen); once it is Ready the
//              source's tenant data, user and grants are removed, and the Job and its Secret deleted;
//   cancelled  spec.dataStore went back to the DataStore the tenant runs on before the copy was done: the Job goes,
//              and what it made on the target is removed.
// Only one DataStore ever serves the tenant's API: the source until the copy is verified, the target after.
import type { V1Job } from "@kubernetes/client-node";
import type { Json } from "../../api/k8s-types.js";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import {
  clientTlsOf,
  type DataStoreConnection,
  type DataStoreConnectionConfig,
  type TenantStorage,
} from "../../datastore/driver.js";
import {
  buildMigrationJob,
  buildMigrationSecret,
  migrationJobName,
  migrationSourceAnnotation,
  migrationTargetAnnotation,
  type MigrationSideConfig,
} from "../../resources/migration-job.js";
import { nameLabel } from "../../resources/labels.js";
import { isNotFound, type KubeObject } from "../../runtime/kube-client.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import type { PipelineContext, PipelineStep } from "./context.js";
import { asProblem, tenantStorageNames } from "./datastore-steps.js";
import { decodeData, type Secret } from "./objects.js";
import { ReconcileProblem } from "./problem.js";

export type Job = Json<V1Job> & KubeObject;

/** The operator's side of migrations (--pod-namespace, --migrate-image, --serviceaccount-name). */
export interface MigrationSettings {
  /** Where the migration Jobs run: the operator's namespace. */
  readonly namespace: string;
  readonly image: string;
  readonly serviceAccountName: string;
}

export const cleanupPriorMigrationAnnotation = "kamaji.clastix.io/cleanup-prior-migration";
export const migrationTimeoutAnnotation = "kamaji.clastix.io/migration-timeout";
/** The tenant's user on the source, for its removal once the target serves (a MySQL user has no dashes). */
const sourceUserAnnotation = "kamaji.clastix.io/migration-source-user";

export type MigrationPhase = "copying" | "switching" | "finishing" | "cancelled";

export interface MigrationPlan {
  readonly phase: MigrationPhase;
  readonly source: string;
  readonly target: string;
}

/** The Job as the phases need it. */
export interface JobView {
  readonly source: string;
  readonly target: string;
  readonly complete: boolean;
  readonly failed?: string;
}

export function jobView(job: Job | undefined): JobView | undefined {
  if (job === undefined) return undefined;
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find((c) => c.type === "Failed" && c.status === "True");
  return {
    source: job.metadata.annotations?.[migrationSourceAnnotation] ?? "",
    target: job.metadata.annotations?.[migrationTargetAnnotation] ?? "",
    complete: conditions.some((c) => c.type === "Complete" && c.status === "True"),
    ...(failed === undefined ? {} : { failed: failed.message ?? failed.reason ?? "failed" }),
  };
}

/** The phase, or undefined when the tenant is not moving (and no Job of an earlier move is left). */
export function migrationPlan(
  recorded: string | undefined,
  wanted: string,
  job: JobView | undefined,
): MigrationPlan | undefined {
  if (recorded === undefined || recorded === "") return undefined;
  if (recorded !== wanted) {
    const switching = job !== undefined && job.complete && job.source === recorded && job.target === wanted;
    return { phase: switching ? "switching" : "copying", source: recorded, target: wanted };
  }
  if (job === undefined) return undefined;
  if (job.target === recorded && job.complete) return { phase: "finishing", source: job.source, target: recorded };
  return { phase: "cancelled", source: recorded, target: job.target };
}

/** The tenant's names on a DataStore of another driver: the same schema, the user that driver takes. */
export function targetStorageNames(tcp: TenantControlPlane, driver: DataStoreConnectionConfig["driver"]) {
  const { schema } = tenantStorageNames(tcp, driver);
  const fresh = { ...tcp, status: { ...tcp.status, storage: { ...tcp.status?.storage, setup: undefined } } };
  return { schema, user: tenantStorageNames(fresh, driver).user };
}

/** A side of the copy as the Job's kine sidecar connects to it. */
function sideConfig(config: DataStoreConnectionConfig, storage: TenantStorage): MigrationSideConfig {
  const nats = config.driver === "NATS" ? config.basicAuth : undefined;
  const { tls } = config;
  return {
    dataStore: config.name,
    driver: config.driver,
    connectionString: config.endpoints[0] ?? "",
    schema: storage.schema,
    user: nats?.username ?? storage.user,
    password: nats?.password ?? storage.password,
    ...(tls === undefined ? {} : { tls: clientTlsOf(tls) }),
  };
}

/** What a migrating reconcile knows beyond the pipeline's own DataStore. */
export interface MigrationContext {
  readonly plan: MigrationPlan;
  readonly settings: MigrationSettings;
  readonly job: Job | undefined;
  /** The other DataStore of the move: the target while copying, the source while finishing, the target when cancelled. */
  readonly other?: { readonly config: DataStoreConnectionConfig; readonly connection: DataStoreConnection };
}

async function deleteJob(context: PipelineContext, migration: MigrationContext): Promise<void> {
  const name = migrationJobName(context.tcp.metadata.uid ?? "");
  await context.client.delete(resourceTypes.job, name, migration.settings.namespace);
  await context.client.delete(resourceTypes.secret, name, migration.settings.namespace);
}

async function copying(context: PipelineContext, migration: MigrationContext): Promise<void> {
  const { tcp } = context;
  const other = migration.other;
  if (other === undefined) throw new Error("migration: the target DataStore's connection was not resolved");
  const versionStatus = (context.status.kubernetesResources ??= {});
  versionStatus.version = { ...versionStatus.version, status: "Migrating" };
  const view = jobView(migration.job);
  if (view !== undefined && (view.target !== migration.plan.target || view.source !== migration.plan.source)) {
    // A Job of another move (the spec changed again): replaced.
    await deleteJob(context, migration);
    throw new ReconcileProblem("Migrating", "replacing the migration Job of an earlier target", 2_000);
  }
  if (view?.failed !== undefined) {
    throw new ReconcileProblem(
      "MigrationFailed",
      `the migration Job ${migration.settings.namespace}/${migrationJobName(tcp.metadata.uid ?? "")} failed: ${view.failed}; ` +
        `the tenant still serves from DataStore ${migration.plan.source}: set spec.dataStore back to it to call the ` +
        "migration off, or delete the Job to try again",
    );
  }
  if (migration.job === undefined) {
    const config = decodeData(
      await context.client.get<Secret>(resourceTypes.secret, context.names.dataStoreConfig, tcp.metadata.namespace),
    );
    const password = config.DB_PASSWORD ?? "";
    const source = tenantStorageNames(tcp, context.connectionConfig.driver);
    const target = { ...targetStorageNames(tcp, other.config.driver), password };
    try {
      await other.connection.provision(target);
    } catch (error) {
      throw asProblem(error, `provisioning schema ${target.schema} for user ${target.user} on the target`);
    }
    const annotations = tcp.metadata.annotations ?? {};
    const input = {
      tcp: { namespace: tcp.metadata.namespace ?? "", name: tcp.metadata.name ?? "", uid: tcp.metadata.uid ?? "" },
      namespace: migration.settings.namespace,
      image: migration.settings.image,
      kineImage: context.options.kineImage,
      imagePullPolicy: context.options.imagePullPolicy,
      serviceAccountName: migration.settings.serviceAccountName,
      source: sideConfig(context.connectionConfig, { ...source, password }),
      target: sideConfig(other.config, target),
      cleanupPriorMigration: annotations[cleanupPriorMigrationAnnotation] === "true",
      ...(annotations[migrationTimeoutAnnotation] ? { timeout: annotations[migrationTimeoutAnnotation] } : {}),
    };
    const secret = buildMigrationSecret(input);
    const job = buildMigrationJob(input);
    job.metadata = {
      ...job.metadata,
      annotations: { ...job.metadata?.annotations, [sourceUserAnnotation]: source.user },
    };
    await context.client.apply(resourceTypes.secret, secret as KubeObject, context.options.fieldManager);
    await context.client.create(resourceTypes.job, job as Job);
    context.log.info({ from: migration.plan.source, to: migration.plan.target }, "migration Job created");
  }
  throw new ReconcileProblem(
    "Migrating",
    `copying the tenant's data from DataStore ${migration.plan.source} to ${migration.plan.target} ` +
      `(Job ${migration.settings.namespace}/${migrationJobName(tcp.metadata.uid ?? "")}); writes are frozen meanwhile`,
    2_000,
  );
}

/**
 * Once the control plane serves from the target and no pod of the source is left: the source's tenant data goes,
 * then the Job. A replaced API server serves out its shutdown delay after the rollout is complete; removing the
 * source under it would show its clients (kubelets, controllers) every object deleted.
 */
async function finishing(context: PipelineContext, migration: MigrationContext): Promise<void> {
  const served = context.status.kubernetesResources?.version?.status === "Ready";
  if (!served) return;
  const pods = await context.client.list<KubeObject>(resourceTypes.pod, {
    namespace: context.tcp.metadata.namespace,
    labelSelector: `${nameLabel}=${context.names.deployment}`,
  });
  const replicas = context.status.kubernetesResources?.deployment?.replicas ?? 0;
  const leaving = pods.items.filter((pod) => pod.metadata.deletionTimestamp !== undefined);
  if (leaving.length > 0 || pods.items.length > replicas) {
    // Still frozen: a write through a replaced API server would land on the source and be lost.
    const kubernetesResources = (context.status.kubernetesResources ??= {});
    kubernetesResources.version = { ...kubernetesResources.version, status: "Migrating" };
    throw new ReconcileProblem(
      "Migrating",
      `waiting for ${leaving.length || pods.items.length - replicas} control-plane pod(s) of the source DataStore ${migration.plan.source} to stop before removing its data`,
      2_000,
    );
  }
  const other = migration.other;
  if (other !== undefined) {
    const { schema } = tenantStorageNames(context.tcp, context.connectionConfig.driver);
    const user =
      migration.job?.metadata.annotations?.[sourceUserAnnotation] ??
      targetStorageNames(context.tcp, other.config.driver).user;
    try {
      await other.connection.teardown({ schema, user, password: "" });
    } catch (error) {
      throw asProblem(
        error,
        `removing schema ${schema} and user ${user} from the source DataStore ${migration.plan.source}`,
      );
    }
    context.log.info(
      { dataStore: migration.plan.source, schema, user },
      "removed the tenant's data from the source DataStore",
    );
  }
  await deleteJob(context, migration);
}

/** The move was called off: the Job goes, and what it made on the target (never the DataStore the tenant runs on). */
async function cancelled(context: PipelineContext, migration: MigrationContext): Promise<void> {
  await deleteJob(context, migration);
  const other = migration.other;
  if (other === undefined || other.config.name === context.connectionConfig.name) return;
  const names = targetStorageNames(context.tcp, other.config.driver);
  try {
    await other.connection.teardown({ ...names, password: "" });
  } catch (error) {
    if (!isNotFound(error)) throw asProblem(error, `removing the partial copy on DataStore ${other.config.name}`);
  }
  context.log.info({ dataStore: other.config.name }, "migration called off; removed the partial copy");
}

export const migrationStep: PipelineStep = {
  name: "migrate",
  async run(context) {
    const migration = context.migration;
    if (migration === undefined) return;
    switch (migration.plan.phase) {
      case "copying":
        return copying(context, migration);
      case "switching": {
        // The target's user from here on (MySQL takes no dashes in user names).
        const names = targetStorageNames(context.tcp, context.connectionConfig.driver);
        const storage = (context.status.storage ??= {});
        storage.setup = { ...storage.setup, ...names };
        return;
      }
      case "cancelled":
        return cancelled(context, migration);
      case "finishing":
        // Runs after the pipeline's Deployment step has said whether the target serves (see the reconciler).
        return;
    }
  },
};

export const migrationCleanupStep: PipelineStep = {
  name: "migrate-cleanup",
  async run(context) {
    if (context.migration?.plan.phase === "finishing") await finishing(context, context.migration);
  },
};
