// Kubernetes types embedded in our CRDs. Schemas come from the upstream OpenAPI document (generated file);
// TypeScript types come from @kubernetes/client-node's models, converted to their JSON form (dates as strings).
import type {
  V1Affinity,
  V1Condition,
  V1Container,
  V1DeploymentStatus,
  V1DeploymentStrategy,
  V1IngressStatus,
  V1LabelSelector,
  V1LocalObjectReference,
  V1PodSecurityContext,
  V1ResourceRequirements,
  V1SecurityContext,
  V1ServiceStatus,
  V1Toleration,
  V1TopologySpreadConstraint,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import schemas from "./k8s-schemas.generated.json" with { type: "json" };
import { Embedded, type CrdOptions } from "./schema.js";

/** The JSON shape of a client-node model: Date fields travel as RFC 3339 strings. */
export type Json<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

export type Container = Json<V1Container>;
export type Volume = Json<V1Volume>;
export type VolumeMount = Json<V1VolumeMount>;
export type Toleration = Json<V1Toleration>;
export type Affinity = Json<V1Affinity>;
export type TopologySpreadConstraint = Json<V1TopologySpreadConstraint>;
export type ResourceRequirements = Json<V1ResourceRequirements>;
export type SecurityContext = Json<V1SecurityContext>;
export type PodSecurityContext = Json<V1PodSecurityContext>;
export type ServiceStatus = Json<V1ServiceStatus>;
export type LocalObjectReference = Json<V1LocalObjectReference>;
export type DeploymentStrategy = Json<V1DeploymentStrategy>;
export type DeploymentStatus = Json<V1DeploymentStatus>;
export type IngressStatus = Json<V1IngressStatus>;
export type LabelSelector = Json<V1LabelSelector>;
export type Condition = Json<V1Condition>;

export const K8s = {
  Container: (o?: CrdOptions) => Embedded<Container>(schemas.Container, o),
  Volume: (o?: CrdOptions) => Embedded<Volume>(schemas.Volume, o),
  VolumeMount: (o?: CrdOptions) => Embedded<VolumeMount>(schemas.VolumeMount, o),
  Toleration: (o?: CrdOptions) => Embedded<Toleration>(schemas.Toleration, o),
  Affinity: (o?: CrdOptions) => Embedded<Affinity>(schemas.Affinity, o),
  TopologySpreadConstraint: (o?: CrdOptions) => Embedded<TopologySpreadConstraint>(schemas.TopologySpreadConstraint, o),
  ResourceRequirements: (o?: CrdOptions) => Embedded<ResourceRequirements>(schemas.ResourceRequirements, o),
  SecurityContext: (o?: CrdOptions) => Embedded<SecurityContext>(schemas.SecurityContext, o),
  PodSecurityContext: (o?: CrdOptions) => Embedded<PodSecurityContext>(schemas.PodSecurityContext, o),
  ServiceStatus: (o?: CrdOptions) => Embedded<ServiceStatus>(schemas.ServiceStatus, o),
  LocalObjectReference: (o?: CrdOptions) => Embedded<LocalObjectReference>(schemas.LocalObjectReference, o),
  DeploymentStrategy: (o?: CrdOptions) => Embedded<DeploymentStrategy>(schemas.DeploymentStrategy, o),
  DeploymentStatus: (o?: CrdOptions) => Embedded<DeploymentStatus>(schemas.DeploymentStatus, o),
  IngressStatus: (o?: CrdOptions) => Embedded<IngressStatus>(schemas.IngressStatus, o),
  LabelSelector: (o?: CrdOptions) => Embedded<LabelSelector>(schemas.LabelSelector, o),
  Condition: (o?: CrdOptions) => Embedded<Condition>(schemas.Condition, o),
};
