// The three kinds of kamaji.clastix.io/v1alpha1: their names, scope, printer columns, subresources and schemas.
// src/api/crd.ts turns each definition into a CustomResourceDefinition; src/api/validation.ts validates against it.
import type { V1ObjectMeta } from "@kubernetes/client-node";
import type { TSchema } from "@sinclair/typebox";
import type { Json } from "../k8s-types.js";
import { DataStoreSpec, DataStoreStatus } from "./datastore.js";
import { KubeconfigGeneratorSpec, KubeconfigGeneratorStatus } from "./kubeconfiggenerator.js";
import { TenantControlPlaneSpec, TenantControlPlaneStatus } from "./tenantcontrolplane.js";

export const group = "kamaji.clastix.io";
export const version = "v1alpha1";
export const apiVersion = `${group}/${version}`;

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description: string;
}

export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  scope: "Namespaced" | "Cluster";
  shortNames?: string[];
  categories?: string[];
  description: string;
  printerColumns: PrinterColumn[];
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
  spec: TSchema;
  status: TSchema;
}

const age: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: "Age" };

export const tenantControlPlaneKind: KindDefinition = {
  kind: "TenantControlPlane",
  plural: "tenantcontrolplanes",
  singular: "tenantcontrolplane",
  scope: "Namespaced",
  shortNames: ["tcp"],
  categories: ["kamaji"],
  description: "TenantControlPlane is the control plane of a tenant Kubernetes cluster, run as pods.",
  printerColumns: [
    { name: "Version", type: "string", jsonPath: ".spec.kubernetes.version", description: "Kubernetes version" },
    {
      name: "Installed Version",
      type: "string",
      jsonPath: ".status.kubernetesResources.version.version",
      description: "Kubernetes version running",
    },
    { name: "Status", type: "string", jsonPath: ".status.kubernetesResources.version.status", description: "Status" },
    {
      name: "Control-Plane endpoint",
      type: "string",
      jsonPath: ".status.controlPlaneEndpoint",
      description: "Address of the tenant API server",
    },
    {
      name: "Kubeconfig",
      type: "string",
      jsonPath: ".status.kubeconfig.admin.secretName",
      description: "Secret holding the admin kubeconfig",
    },
    {
      name: "Datastore",
      type: "string",
      jsonPath: ".status.storage.dataStoreName",
      description: "DataStore in use",
    },
    age,
  ],
  scale: {
    specReplicasPath: ".spec.controlPlane.deployment.replicas",
    statusReplicasPath: ".status.kubernetesResources.deployment.replicas",
    labelSelectorPath: ".status.kubernetesResources.deployment.selector",
  },
  spec: TenantControlPlaneSpec,
  status: TenantControlPlaneStatus,
};

export const dataStoreKind: KindDefinition = {
  kind: "DataStore",
  plural: "datastores",
  singular: "datastore",
  scope: "Cluster",
  description: "DataStore is a shared datastore server (etcd, PostgreSQL, MySQL or NATS) holding tenants' state.",
  printerColumns: [
    { name: "Driver", type: "string", jsonPath: ".spec.driver", description: "Datastore driver" },
    { name: "Ready", type: "boolean", jsonPath: ".status.ready", description: "Validated and ready for use" },
    age,
  ],
  spec: DataStoreSpec,
  status: DataStoreStatus,
};

export const kubeconfigGeneratorKind: KindDefinition = {
  kind: "KubeconfigGenerator",
  plural: "kubeconfiggenerators",
  singular: "kubeconfiggenerator",
  scope: "Cluster",
  shortNames: ["kc"],
  categories: ["kamaji"],
  description: "KubeconfigGenerator issues a kubeconfig with a chosen identity for every matching TenantControlPlane.",
  printerColumns: [age],
  spec: KubeconfigGeneratorSpec,
  status: KubeconfigGeneratorStatus,
};

export const kinds = [tenantControlPlaneKind, dataStoreKind, kubeconfigGeneratorKind] as const;

export type ObjectMeta = Json<V1ObjectMeta>;

interface Resource<K extends string, Spec, Status> {
  apiVersion: typeof apiVersion;
  kind: K;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

export type TenantControlPlane = Resource<"TenantControlPlane", TenantControlPlaneSpec, TenantControlPlaneStatus>;
export type DataStore = Resource<"DataStore", DataStoreSpec, DataStoreStatus>;
export type KubeconfigGenerator = Resource<"KubeconfigGenerator", KubeconfigGeneratorSpec, KubeconfigGeneratorStatus>;
