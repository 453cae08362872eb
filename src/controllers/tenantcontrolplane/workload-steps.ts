// The Service that exposes the tenant API server, the kubeadm configuration, and the control-plane Deployment.
import { mapChecksum } from "../../resources/checksum.js";
import { buildControlPlaneDeployment } from "../../resources/deployment/index.js";
import { componentSecrets, type ComponentSecret, type Deployment } from "../../resources/deployment/input.js";
import { buildKubeadmConfig, type ConfigMap } from "../../resources/kubeadm-config.js";
import { buildService, resolveServiceEndpoint, type Service } from "../../resources/service.js";
import { versionStatusFromDeployment } from "../../resources/version-status.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import { lastUpdate, type PipelineContext, type PipelineStep } from "./context.js";
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
      schema: tenantStorageNames(context).schema,
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
    const versionStatus = versionStatusFromDeployment(tcp, object);
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
    const installed = versionStatus === "Ready" || versionStatus === "Sleeping";
    kubernetesResources.version = {
      ...(installed
        ? { version: tcp.spec.kubernetes.version }
        : kubernetesResources.version?.version === undefined
          ? {}
          : { version: kubernetesResources.version.version }),
      status: versionStatus,
    };
  },
};

function secretChecksums(context: PipelineContext): Record<ComponentSecret, string> {
  const missing = componentSecrets.filter((name) => context.secretChecksums[name] === undefined);
  if (missing.length > 0) throw new Error(`deployment: checksums missing for ${missing.join(", ")}`);
  return context.secretChecksums as Record<ComponentSecret, string>;
}
