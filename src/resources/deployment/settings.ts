// The TenantControlPlane fields the Deployment is made of, with the CRD defaults filled in where a field is absent
// (the builder is meant for defaulted objects, but must not emit `undefined` for a hand-made one).
import { coerce } from "semver";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { defaultAdmissionControllers } from "../../api/v1alpha1/tenantcontrolplane.js";
import { resourceNames, type ResourceNames } from "../names.js";
import type { ControlPlaneDeploymentInput, ImagePullPolicy } from "./input.js";

export type DeploymentSpec = NonNullable<TenantControlPlane["spec"]["controlPlane"]["deployment"]>;
export type KonnectivityServerSpec = NonNullable<
  NonNullable<NonNullable<TenantControlPlane["spec"]["addons"]>["konnectivity"]>["server"]
>;

export interface Settings {
  readonly input: ControlPlaneDeploymentInput;
  readonly name: string;
  readonly namespace: string;
  readonly names: ResourceNames;
  readonly deployment: DeploymentSpec;
  readonly replicas: number;
  readonly port: number;
  readonly serviceCidrs: readonly string[];
  readonly podCidrs: readonly string[];
  readonly admissionControllers: readonly string[];
  readonly preferredAddressTypes: readonly string[];
  readonly advertiseAddress: string;
  readonly images: { readonly apiServer: string; readonly controllerManager: string; readonly scheduler: string };
  readonly imagePullPolicy: ImagePullPolicy;
  /** Present when the konnectivity addon is enabled. */
  readonly konnectivity?: { readonly server: KonnectivityServerSpec; readonly image: string };
  readonly usesKine: boolean;
  /** spec.kubernetes.version's minor (34 for v1.34.10). */
  readonly kubernetesMinor: number;
}

const defaultRegistry = "registry.k8s.io";
const defaultKonnectivityImage = "registry.k8s.io/kas-network-proxy/proxy-server";

/** The list field when non-empty, else the deprecated single field, as upstream's backward compatibility. */
const effectiveCidrs = (single: string | undefined, list: readonly string[] | undefined): readonly string[] =>
  list !== undefined && list.length > 0 ? list : single ? [single] : [];

/** `v0.<tenant minor>.0`, the konnectivity release matching the tenant's Kubernetes minor. */
export function konnectivityVersion(kubernetesVersion: string): string {
  const parsed = coerce(kubernetesVersion);
  if (parsed === null) throw new Error(`cannot derive the konnectivity version from ${kubernetesVersion}`);
  return `v0.${parsed.minor}.0`;
}

export function resolveSettings(input: ControlPlaneDeploymentInput): Settings {
  const { metadata, spec } = input.tenantControlPlane;
  if (!metadata.name || !metadata.namespace) throw new Error("the TenantControlPlane needs a name and a namespace");
  const deployment = spec.controlPlane.deployment ?? {};
  const network = spec.networkProfile ?? {};
  const version = spec.kubernetes.version;
  const registry = deployment.registrySettings ?? {};
  const image = (name: string) =>
    `${registry.registry ?? defaultRegistry}/${name}:${version}${registry.tagSuffix ?? ""}`;
  const konnectivity = spec.addons?.konnectivity;
  const server = konnectivity && (konnectivity.server ?? { port: 8132 });
  return {
    input,
    name: metadata.name,
    namespace: metadata.namespace,
    names: resourceNames(metadata.name),
    deployment,
    replicas: deployment.replicas ?? 2,
    port: network.port ?? 6443,
    serviceCidrs: effectiveCidrs(network.serviceCidr, network.serviceCidrs),
    podCidrs: effectiveCidrs(network.podCidr, network.podCidrs),
    admissionControllers: spec.kubernetes.admissionControllers ?? defaultAdmissionControllers,
    preferredAddressTypes: spec.kubernetes.kubelet.preferredAddressTypes ?? ["InternalIP", "ExternalIP", "Hostname"],
    advertiseAddress: network.advertiseAddress || input.address,
    images: {
      apiServer: image(registry.apiServerImage ?? "kube-apiserver"),
      controllerManager: image(registry.controllerManagerImage ?? "kube-controller-manager"),
      scheduler: image(registry.schedulerImage ?? "kube-scheduler"),
    },
    imagePullPolicy: input.imagePullPolicy ?? "IfNotPresent",
    ...(server && {
      konnectivity: {
        server,
        image: `${server.image ?? defaultKonnectivityImage}:${server.version || konnectivityVersion(version)}`,
      },
    }),
    usesKine: input.dataStore.driver !== "etcd",
    kubernetesMinor: coerce(version)?.minor ?? 0,
  };
}
