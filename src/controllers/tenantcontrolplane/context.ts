// What one TenantControlPlane reconcile carries from step to step: the inputs it resolved, the status it is
// building, and the facts earlier steps produced for later ones.
import type { DataStore, TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import type { TenantControlPlaneStatus } from "../../api/v1alpha1/tenantcontrolplane.js";
import type { DataStoreConnection, DataStoreConnectionConfig } from "../../datastore/driver.js";
import {
  CA_VALIDITY_MS,
  TENANT_CERTIFICATE_PROFILES,
  type CertificateAuthority,
  type KeyAlgorithm,
  type TenantCertificateName,
} from "../../pki/index.js";
import type { ImagePullPolicy } from "../../resources/deployment/input.js";
import type { ComponentSecret } from "../../resources/deployment/input.js";
import type { ResourceNames } from "../../resources/names.js";
import type { KubeClient, KubeObject, OwnerReference } from "../../runtime/kube-client.js";
import type { Logger } from "../../runtime/logger.js";
import { resourceTypes, type ResourceType } from "../../runtime/resource-types.js";
import { secretChecksumLabel, type Deployment } from "../../resources/deployment/index.js";
import { rfc3339 } from "../../runtime/time.js";
import type { LifecycleStrategy, TrackedCertificate } from "./certificate-inventory.js";
import type { MigrationContext } from "./migration.js";

export interface PipelineOptions {
  readonly fieldManager: string;
  readonly keyAlgorithm: KeyAlgorithm;
  /** --certificate-expiration-deadline: certificates expiring sooner are renewed. */
  readonly certificateExpirationDeadlineMs: number;
  /** --certificate-validity-period: lifetime of the leaf certificates and kubeconfigs (kubeadm's 1 year). */
  readonly certificateValidityMs: number;
  /** --ca-certificate-validity-period: lifetime of the CAs (kubeadm's 10 years), and of the long-lived clients. */
  readonly caCertificateValidityMs: number;
  /** --service-account-key-grace-period: how long a replaced service-account key still verifies tokens. */
  readonly serviceAccountKeyGraceMs: number;
  /** --certificate-authority-grace-period: how long a replaced CA stays trusted (see authority-rotation.ts). */
  readonly certificateAuthorityGraceMs: number;
  readonly kineImage: string;
  readonly imagePullPolicy: ImagePullPolicy;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly controlPlaneEndpoint: string;
}

export interface PipelineContext {
  readonly client: KubeClient;
  readonly log: Logger;
  readonly options: PipelineOptions;
  readonly tcp: TenantControlPlane;
  readonly names: ResourceNames;
  readonly owner: OwnerReference;
  readonly now: Date;
  readonly dataStore: DataStore;
  readonly connectionConfig: DataStoreConnectionConfig;
  readonly connection: DataStoreConnection;
  /** The status being built; written once at the end. */
  status: TenantControlPlaneStatus;
  endpoint?: Endpoint;
  ca?: TenantAuthority;
  frontProxyCa?: TenantAuthority;
  /** The CA rotations under way, by Secret: the status reports them. */
  readonly authorityRotations: { readonly secret: string; readonly stage: string }[];
  readonly secretChecksums: Partial<Record<ComponentSecret, string>>;
  storage?: { readonly schema: string; readonly user: string; readonly password: string };
  /** md5 of the datastore-certificate Secret: a pod annotation, so new credentials roll the pods. */
  storageCertificateChecksum?: string;
  /** Whether the control plane serves, and if not why (the deployment step's diagnosis of its pods). */
  health?: ControlPlaneHealth;
  /** Objects a step's spec part no longer wants: removed by the pipeline's last step (see optional-objects.ts). */
  readonly unwanted: { readonly type: ResourceType; readonly name: string }[];
  /** Secrets re-issued because their rotate annotation asked for it: the time is written back at the end. */
  readonly rotatedSecrets: string[];
  /**
   * When the reconcile must run again with no event: the earliest time a certificate in place now enters its renewal
   * deadline, or a rotation stage's wait ends (see lookAgainAt).
   */
  nextLookAt?: Date;
  /** Every certificate in place now (see renewBefore). */
  readonly certificates: TrackedCertificate[];
  /** Set while the tenant moves to another DataStore (see migration.ts). */
  readonly migration?: MigrationContext;
}

/** A tenant CA as the later steps use it (see authority-rotation.ts). */
export interface TenantAuthority {
  /** Signs the tenant's certificates. */
  readonly signer: CertificateAuthority;
  /** What clients trust: the signer, and during a rotation the other CA too. */
  readonly trustPem: string;
  /** Presented after each leaf of the signer that a client or kubelet verifies ("" when none). */
  readonly chainPem: string;
}

export interface ControlPlaneHealth {
  readonly ready: boolean;
  readonly reason: string;
  readonly message: string;
  /** Not serving yet, and no pod change may come to wake the reconcile: look again then. */
  readonly recheckAfterMs?: number;
}

/** A step of the pipeline, named after the upstream resource (it labels the handler-time metric). */
export interface PipelineStep {
  readonly name: string;
  run(context: PipelineContext): Promise<void>;
}

/** A status lastUpdate: moves to now only when the object changed (or had none yet). */
export const lastUpdate = (context: PipelineContext, changed: boolean, previous: string | undefined): string =>
  changed || previous === undefined ? rfc3339(context.now) : previous;

/**
 * Records a certificate the tenant now uses, in Secret `secret`, valid until `notAfter`: it must be renewed a deadline
 * before, and the metrics count it.
 */
export function renewBefore(
  context: PipelineContext,
  notAfter: Date,
  secret: string,
  strategy?: LifecycleStrategy,
): void {
  context.certificates.push({ secret, notAfter, ...(strategy === undefined ? {} : { strategy }) });
  lookAgainAt(context, new Date(notAfter.getTime() - context.options.certificateExpirationDeadlineMs));
}

/** The reconcile must run again at `when` (the earliest of all such times wins). */
export function lookAgainAt(context: PipelineContext, when: Date): void {
  if (context.nextLookAt === undefined || when < context.nextLookAt) context.nextLookAt = when;
}

/**
 * Whether every control-plane pod runs with the Secret `component` as it is now (its checksum is the pod-template
 * label and the Deployment has rolled out completely); true when there is no Deployment yet.
 */
export async function rolledOutWith(
  context: PipelineContext,
  component: ComponentSecret,
  checksum: string,
): Promise<boolean> {
  const deployment = await context.client.get<Deployment & KubeObject>(
    resourceTypes.deployment,
    context.names.deployment,
    context.tcp.metadata.namespace,
  );
  if (deployment === undefined) return true;
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  return (
    deployment.spec?.template.metadata?.labels?.[secretChecksumLabel(component)] === checksum &&
    status.observedGeneration === deployment.metadata.generation &&
    (status.updatedReplicas ?? 0) === wanted &&
    (status.replicas ?? 0) === wanted &&
    (status.availableReplicas ?? 0) >= wanted
  );
}

/** The lifetime of a tenant leaf: the CA lifetime for the profiles that upstream makes as long-lived as a CA. */
export function leafValidityMs(context: PipelineContext, profile: TenantCertificateName): number {
  return TENANT_CERTIFICATE_PROFILES[profile].validityMs === CA_VALIDITY_MS
    ? context.options.caCertificateValidityMs
    : context.options.certificateValidityMs;
}
