// What the control-plane Deployment builder needs: the TenantControlPlane plus the facts the reconciler resolved.
import type { V1Deployment } from "@kubernetes/client-node";
import type { Json } from "../../api/k8s-types.js";
import type { Driver } from "../../api/v1alpha1/datastore.js";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";

export type Deployment = Json<V1Deployment>;

export type ImagePullPolicy = "Always" | "IfNotPresent" | "Never";

/** The Secrets whose content rolls the pods: each gets a `component.kamaji.clastix.io/<name>` pod-template label. */
export const componentSecrets = [
  "api-server-certificate",
  "api-server-kubelet-client-certificate",
  "ca",
  "controller-manager-kubeconfig",
  "front-proxy-ca-certificate",
  "front-proxy-client-certificate",
  "service-account",
  "scheduler-kubeconfig",
] as const;
/** Secrets mounted only with some spec parts (the konnectivity addon): labelled the same way when given. */
export const optionalComponentSecrets = ["konnectivity-kubeconfig"] as const;
export type RequiredComponentSecret = (typeof componentSecrets)[number];
export type OptionalComponentSecret = (typeof optionalComponentSecrets)[number];
export type ComponentSecret = RequiredComponentSecret | OptionalComponentSecret;
export type SecretChecksums = Readonly<Record<RequiredComponentSecret, string>> &
  Readonly<Partial<Record<OptionalComponentSecret, string>>>;

export interface DeploymentDataStore {
  readonly name: string;
  readonly driver: Driver;
  /** `host:port`, no scheme. Only etcd uses them (kine reads its connection string from the datastore-config Secret). */
  readonly endpoints: readonly string[];
  /** Kine drivers only: absent when the datastore is reached without TLS. */
  readonly tls?: { readonly clientCertificate: boolean };
}

/** One `dataStoreOverrides[]` entry resolved to its (etcd) DataStore's endpoints. */
export interface DataStoreOverrideEndpoints {
  /** e.g. `/events`. */
  readonly resource: string;
  readonly endpoints: readonly string[];
}

export interface ControlPlaneDeploymentInput {
  /** Defaulted by the CRD schema; metadata.name and metadata.namespace are required. */
  readonly tenantControlPlane: TenantControlPlane;
  /** md5 of each Secret's values (see secretDataChecksum). */
  readonly secretChecksums: SecretChecksums;
  readonly dataStore: DeploymentDataStore;
  readonly dataStoreOverrides?: readonly DataStoreOverrideEndpoints[];
  /** status.storage.setup.schema: the etcd key prefix is `/<schema>`. */
  readonly storageSchema: string;
  /** status.storage.config.checksum and status.storage.certificate.checksum, written as pod annotations. */
  readonly storageChecksums: { readonly config: string; readonly certificate: string };
  /** The address resolved from the Service; `networkProfile.advertiseAddress` wins over it when set. */
  readonly address: string;
  /** The `--kine-image` flag. */
  readonly kineImage: string;
  /** Pull policy of Kamaji's own containers. Upstream forces Always; we default to IfNotPresent. */
  readonly imagePullPolicy?: ImagePullPolicy;
  /** The Deployment as currently stored, if any: its foreign kube-apiserver flags are kept. */
  readonly existing?: Deployment;
}
