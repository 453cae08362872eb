// The Service that exposes the tenant API server, the kubeadm configuration, and the control-plane Deployment.
import type { V1Pod } from "@kubernetes/client-node";
import type { Json } from "../../api/k8s-types.js";
import type { KubeObject } from "../../runtime/kube-client.js";
import { mapChecksum } from "../../resources/checksum.js";
import { buildControlPlaneDeployment } from "../../resources/deployment/index.js";
import {
  componentSecrets,
  type ComponentSecret,
  type Deployment,
  type SecretChecksums,
} from "../../resources/deployment/input.js";
import { buildKubeadmConfig, type ConfigMap } from "../../resources/kubeadm-config.js";
import { buildService, resolveServiceEndpoint, type Service } from "../../resources/service.js";
import type { VersionStatus } from "../../api/v1alpha1/tenantcontrolplane.js";
import { versionStatusFromDeployment } from "../../resources/version-status.js";
import { diagnoseControlPlane } from "../../resources/control-plane-diagnosis.js";
import { nameLabel } from "../../resources/labels.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import { lastUpdate, type ControlPlaneHealth, type PipelineContext, type PipelineStep } from "./context.js";
import { tenantStorageNames } from "./datastore-steps.js";
import { applyOwned } from "./objects.js";
import { ReconcileProblem } from "./problem.js";

const SERVICE_RETRY_MS = 1_000;

export const serviceStep: PipelineStep = {
  name: "service",
  async run(context) {
    const { tcp } = context;
    const konnectivity = tcp.spec.addons?.konnectivity?.server?.port;
    const desired = buildService(tcp, konnectivity === undefined ? {} : { konnectivityPort: konnectivity });
    const { object } = await applyOwned<Service & { metadata: { name: string } }>(
      context,
      resourceTypes.service,
      desired as Service & { metadata: { name: string } },
      "service",
      // The Service status has no lastUpdate, so whether the apply changed it does not matter: no read first.
      undefined,
    );
    const endpoint = resolveServiceEndpoint(tcp, object);
    if (endpoint.kind === "error") throw new ReconcileProblem("ServiceAddressInvalid", endpoint.message);
    if (endpoint.kind === "pending") throw new ReconcileProblem("ServiceNotReady", endpoint.message, SERVICE_RETRY_MS);
    context.endpoint = endpoint;
    const { loadBalancer, conditions } = object.status ?? {};
    const kubernetesResources = (context.status.kubernetesResources ??= {});
    kubernetesResources.service = {
      ...(loadBalancer === undefined ? {} : { loadBalancer: stripPorts(loadBalancer) }),
      ...(conditions === undefined ? {} : { conditions }),
      name: object.metadata.name,
      namespace: object.metadata.namespace ?? "",
      port: endpoint.port,
    };
    context.status.controlPlaneEndpoint = endpoint.controlPlaneEndpoint;
  },
};

// Upstream drops the LoadBalancer ingress ports from the status copy.
function stripPorts(loadBalancer: NonNullable<NonNullable<Service["status"]>["loadBalancer"]>) {
  return { ingress: loadBalancer.ingress?.map(({ ports: _ports, ...rest }) => rest) };
}

export const kubeadmConfigStep: PipelineStep = {
  name: "kubeadmconfig",
  async run(context) {
    const { tcp, client, endpoint } = context;
    if (endpoint === undefined) throw new Error("kubeadmconfig: the Service step must run first");
    const previous = await client.get<ConfigMap & { metadata: { name: string } }>(
      resourceTypes.configMap,
      context.names.kubeadmConfig,
      tcp.metadata.namespace,
    );
    const desired = buildKubeadmConfig(tcp, {
      address: endpoint.address,
      port: endpoint.port,
      dataStore: { driver: context.connectionConfig.driver, endpoints: context.connectionConfig.endpoints },
      schema: tenantStorageNames(context.tcp, context.connectionConfig.driver).schema,
    });
    const { object, changed } = await applyOwned<ConfigMap & { metadata: { name: string } }>(
      context,
      resourceTypes.configMap,
      desired as ConfigMap & { metadata: { name: string } },
      "kubeadmconfig",
      previous,
    );
    const before = context.status.kubeadmconfig;
    context.status.kubeadmconfig = {
      configmapName: object.metadata.name,
      checksum: mapChecksum(object.data ?? {}),
      lastUpdate: lastUpdate(context, changed, before?.lastUpdate),
    };
  },
};

type NamedDeployment = Deployment & { metadata: { name: string } };
type Pod = Json<V1Pod> & KubeObject;

export const deploymentStep: PipelineStep = {
  name: "deployment",
  async run(context) {
    const { tcp, client, endpoint, storage, options } = context;
    if (endpoint === undefined || storage === undefined) {
      throw new Error("deployment: the Service and datastore steps must run first");
    }
    const previous = await client.get<NamedDeployment>(
      resourceTypes.deployment,
      context.names.deployment,
      tcp.metadata.namespace,
    );
    const desired = buildControlPlaneDeployment({
      tenantControlPlane: tcp,
      secretChecksums: secretChecksums(context),
      dataStore: {
        name: context.connectionConfig.name,
        driver: context.connectionConfig.driver,
        endpoints: context.connectionConfig.endpoints,
        ...(context.connectionConfig.driver === "etcd" || context.connectionConfig.tls === undefined
          ? {}
          : { tls: { clientCertificate: context.connectionConfig.tls.clientCertificatePem !== undefined } }),
      },
      storageSchema: storage.schema,
      storageChecksums: {
        config: context.status.storage?.config?.checksum ?? "",
        certificate: context.storageCertificateChecksum ?? "",
      },
      address: endpoint.address,
      kineImage: options.kineImage,
      imagePullPolicy: options.imagePullPolicy,
      ...(previous === undefined ? {} : { existing: previous }),
    });
    const { object, changed } = await applyOwned<NamedDeployment>(
      context,
      resourceTypes.deployment,
      desired as NamedDeployment,
      "deployment",
      previous,
    );
    const before = context.status.kubernetesResources?.deployment;
    const versionStatus = whileMigrating(
      context,
      awaitingTenantBootstrap(context, versionStatusFromDeployment(tcp, object)),
    );
    const kubernetesResources = (context.status.kubernetesResources ??= {});
    kubernetesResources.deployment = {
      ...object.status,
      selector: Object.entries(object.spec?.selector.matchLabels ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .join(","),
      name: object.metadata.name,
      namespace: object.metadata.namespace ?? "",
      lastUpdate: lastUpdate(context, changed, before?.lastUpdate),
    };
    context.health = await controlPlaneHealth(context, object, versionStatus);
    const installed = versionStatus === "Ready" || versionStatus === "Sleeping";
    // A serving control plane in the middle of a CA rotation says so (the condition gives the stage).
    const rotating =
      context.authorityRotations.length > 0 && (versionStatus === "Ready" || versionStatus === "Unknown");
    kubernetesResources.version = {
      ...(installed
        ? { version: tcp.spec.kubernetes.version }
        : kubernetesResources.version?.version === undefined
          ? {}
          : { version: kubernetesResources.version.version }),
      status: rotating ? "CertificateAuthorityRotating" : versionStatus,
    };
  },
};

/**
 * Pod changes wake the reconcile (the pods are watched); only a pod that is merely young is looked at again after
 * this, in case it stays unready past the startup grace period without changing.
 */
const STARTING_RECHECK_MS = 30_000;

/** Ready, Sleeping, or why not: the control-plane pods diagnosed (image missing, crash loop, unschedulable...). */
async function controlPlaneHealth(
  context: PipelineContext,
  deployment: NamedDeployment,
  versionStatus: VersionStatus,
): Promise<ControlPlaneHealth> {
  if (versionStatus === "Ready") return { ready: true, reason: "Ready", message: "the API server answers" };
  if (versionStatus === "Sleeping") return { ready: false, reason: "Sleeping", message: "scaled to 0 replicas" };
  const pods = await context.client.list<Pod>(resourceTypes.pod, {
    namespace: context.tcp.metadata.namespace,
    labelSelector: `${nameLabel}=${context.names.deployment}`,
  });
  const diagnosis = diagnoseControlPlane(deployment, pods.items, context.now);
  return {
    ready: false,
    reason: diagnosis?.reason ?? versionStatus,
    message: diagnosis?.message ?? `the control plane is ${versionStatus}`,
    ...(diagnosis?.reason === "Starting" ? { recheckAfterMs: STARTING_RECHECK_MS } : {}),
  };
}

/** While the control plane rolls onto a new DataStore it is Migrating (and the tenant stays frozen) until it is done. */
function whileMigrating(context: PipelineContext, status: VersionStatus): VersionStatus {
  const phase = context.migration?.plan.phase;
  const moving = phase === "switching" || phase === "finishing";
  return moving && status !== "Ready" && status !== "Sleeping" ? "Migrating" : status;
}

/**
 * A fresh tenant is Ready only once the per-tenant controller has put kubeadm's phases in (it records the
 * cluster-info checksum): before that, the admin kubeconfig's group has no RBAC and nodes cannot join.
 */
function awaitingTenantBootstrap(context: PipelineContext, status: VersionStatus): VersionStatus {
  const bootstrapped = Boolean(context.status.kubeadmPhase?.bootstrapToken.checksum);
  return status === "Ready" && !bootstrapped && context.status.kubernetesResources?.version?.version === undefined
    ? "Provisioning"
    : status;
}

function secretChecksums(context: PipelineContext): SecretChecksums {
  const wanted: ComponentSecret[] = [
    ...componentSecrets,
    ...(context.tcp.spec.addons?.konnectivity === undefined ? [] : (["konnectivity-kubeconfig"] as const)),
  ];
  const missing = wanted.filter((name) => context.secretChecksums[name] === undefined);
  if (missing.length > 0) throw new Error(`deployment: checksums missing for ${missing.join(", ")}`);
  return context.secretChecksums as SecretChecksums;
}
