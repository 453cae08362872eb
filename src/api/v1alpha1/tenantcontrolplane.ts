// TenantControlPlane: the control plane of one tenant cluster, run as a Deployment in the management cluster.
import { Type, type Static, type TArray, type TOptional, type TSchema, type TString } from "@sinclair/typebox";
import { K8s } from "../k8s-types.js";
import { AnyJson, Int32, Int64, Inline, IntOrString, StringEnum, StringMap, Time, cel, immutable } from "../schema.js";

const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

export const admissionControllerNames = [
  "AlwaysAdmit",
  "AlwaysDeny",
  "AlwaysPullImages",
  "CertificateApproval",
  "CertificateSigning",
  "CertificateSubjectRestriction",
  "DefaultIngressClass",
  "DefaultStorageClass",
  "DefaultTolerationSeconds",
  "DenyEscalatingExec",
  "DenyExecOnPrivileged",
  "DenyServiceExternalIPs",
  "EventRateLimit",
  "ExtendedResourceToleration",
  "ImagePolicyWebhook",
  "LimitPodHardAntiAffinityTopology",
  "LimitRanger",
  "MutatingAdmissionWebhook",
  "NamespaceAutoProvision",
  "NamespaceExists",
  "NamespaceLifecycle",
  "NodeRestriction",
  "OwnerReferencesPermissionEnforcement",
  "PersistentVolumeClaimResize",
  "PersistentVolumeLabel",
  "PodNodeSelector",
  "PodSecurity",
  "PodSecurityPolicy",
  "PodTolerationRestriction",
  "Priority",
  "ResourceQuota",
  "RuntimeClass",
  "SecurityContextDeny",
  "ServiceAccount",
  "StorageObjectInUseProtection",
  "TaintNodesByCondition",
  "ValidatingAdmissionWebhook",
] as const;

export const defaultAdmissionControllers = [
  "CertificateApproval",
  "CertificateSigning",
  "CertificateSubjectRestriction",
  "DefaultIngressClass",
  "DefaultStorageClass",
  "DefaultTolerationSeconds",
  "LimitRanger",
  "MutatingAdmissionWebhook",
  "NamespaceLifecycle",
  "PersistentVolumeClaimResize",
  "Priority",
  "ResourceQuota",
  "RuntimeClass",
  "ServiceAccount",
  "StorageObjectInUseProtection",
  "TaintNodesByCondition",
  "ValidatingAdmissionWebhook",
] as const satisfies readonly (typeof admissionControllerNames)[number][];

export const kubeletAddressTypes = ["Hostname", "InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS"] as const;
export const serviceTypes = ["ClusterIP", "NodePort", "LoadBalancer"] as const;
export const versionStatuses = [
  "Unknown",
  "Provisioning",
  "CertificateAuthorityRotating",
  "Upgrading",
  "Migrating",
  "Ready",
  "NotReady",
  "Sleeping",
  "WriteLimited",
] as const;
export type VersionStatus = (typeof versionStatuses)[number];

const AdditionalMetadata = (description: string) =>
  Type.Object(
    {
      labels: Opt(StringMap({ description: "Labels added to the generated object." })),
      annotations: Opt(StringMap({ description: "Annotations added to the generated object." })),
    },
    { description },
  );

const ResourcesFor = (what: string) =>
  Opt(K8s.ResourceRequirements({ description: `Compute resources of the ${what} container.` }));

// ---------------------------------------------------------------- networkProfile

/** The deprecated single `<kind>Cidr` and its `<kind>Cidrs` list (single or dual stack) that takes precedence. */
const cidrFields = <K extends string>(kind: K, what: string, defaultCidr: string) =>
  ({
    [`${kind}Cidr`]: Opt(
      Type.String({
        default: defaultCidr,
        description: `Deprecated: use ${kind}Cidrs. CIDR of the tenant ${what}.`,
        "x-kubernetes-validations": [cel("self == '' || isCIDR(self)", `${kind}Cidr must be empty or a valid CIDR`)],
      }),
    ),
    [`${kind}Cidrs`]: Opt(
      Type.Array(Type.String(), {
        minItems: 1,
        maxItems: 2,
        description: `CIDRs of the tenant ${what}, single or dual stack. Takes precedence over ${kind}Cidr.`,
        "x-kubernetes-validations": [cel("self.all(x, isCIDR(x))", `all ${kind}Cidrs entries must be valid CIDRs`)],
      }),
    ),
  }) as Record<`${K}Cidr`, TOptional<TString>> & Record<`${K}Cidrs`, TOptional<TArray<TString>>>;

const NetworkProfileSpec = Type.Object(
  {
    loadBalancerSourceRanges: Opt(
      Type.Array(Type.String(), {
        maxItems: 16,
        description:
          "CIDRs allowed to reach a LoadBalancer Service. Empty allows every source. Only with serviceType LoadBalancer.",
        "x-kubernetes-validations": [
          cel("self.all(r, isCIDR(r))", "all LoadBalancer source range entries must be valid CIDR"),
        ],
      }),
    ),
    loadBalancerClass: Opt(
      Type.String({
        minLength: 1,
        description: "LoadBalancer class to use when several load-balancer implementations exist. Immutable.",
        "x-kubernetes-validations": [immutable("LoadBalancerClass is immutable")],
      }),
    ),
    address: Opt(
      Type.String({
        description:
          "Address where the API server is exposed. With a LoadBalancer Service leave it empty to use the address assigned by the load balancer.",
      }),
    ),
    advertiseAddress: Opt(
      Type.String({
        description:
          "IP address advertised to the tenant (kube-apiserver --advertise-address, kubeadm controlPlaneEndpoint, cluster-info). Must be an IP; added to the certificate SANs.",
        "x-kubernetes-validations": [cel("self == '' || isIP(self)", "advertiseAddress must be a valid IP address")],
      }),
    ),
    clusterDomain: Opt(
      Type.String({
        default: "cluster.local",
        pattern: ".*\\..*",
        description: "DNS domain of the tenant cluster. Immutable.",
        "x-kubernetes-validations": [immutable("changing the cluster domain is not supported")],
      }),
    ),
    allowAddressAsExternalIP: Opt(
      Type.Boolean({ description: "Add `address` to the Service externalIPs (ClusterIP and NodePort Services only)." }),
    ),
    port: Opt(Int32({ default: 6443, description: "Port where the API server is exposed." })),
    certSANs: Opt(
      Type.Array(Type.String(), { description: "Extra Subject Alternative Names for the API server certificate." }),
    ),
    ...cidrFields("service", "Services", "10.96.0.0/16"),
    ...cidrFields("pod", "Pods", "10.244.0.0/16"),
    dnsServiceIPs: Opt(
      Type.Array(Type.String(), {
        maxItems: 8,
        description:
          "ClusterIPs of the tenant DNS Service, one per service CIDR. When empty, the tenth address of each service CIDR (e.g. 10.96.0.10, or ::10 for IPv6).",
      }),
    ),
  },
  // Defaulted to {} so that its own defaults (port, CIDRs, domain) apply even when a manifest omits it.
  { default: {}, description: "How the tenant control plane is reached and which networks the tenant cluster uses." },
);

// ---------------------------------------------------------------- kubernetes

const JsonPatch = Type.Object(
  {
    op: StringEnum(["add", "remove", "replace", "move", "copy", "test"], { description: "The RFC 6902 operation." }),
    path: Type.String({ description: "JSON pointer of the target location." }),
    from: Opt(Type.String({ description: "JSON pointer of the source location (move and copy)." })),
    value: Opt(AnyJson({ description: "The value to add, replace or test." })),
  },
  { description: "One RFC 6902 JSON patch operation." },
);

const KubeletSpec = Type.Object(
  {
    configurationJSONPatches: Opt(
      Type.Array(JsonPatch, {
        description:
          'RFC 6902 patches applied to the generated KubeletConfiguration, e.g. [{"op": "replace", "path": "/cgroupDriver", "value": "systemd"}].',
      }),
    ),
    preferredAddressTypes: Opt(
      Type.Array(StringEnum(kubeletAddressTypes), {
        default: ["InternalIP", "ExternalIP", "Hostname"],
        minItems: 1,
        "x-kubernetes-list-type": "set",
        description: "Node address types the API server tries, in order, to reach kubelets.",
      }),
    ),
    cgroupfs: Opt(
      StringEnum(["systemd", "cgroupfs"], {
        description: "Deprecated: use configurationJSONPatches. The kubelet cgroup driver.",
      }),
    ),
  },
  { description: "Settings of the kubelets that join the tenant cluster." },
);

const KubernetesSpec = Type.Object(
  {
    version: Type.String({ description: "Kubernetes version of the tenant control plane, e.g. v1.34.2." }),
    kubelet: KubeletSpec,
    admissionControllers: Opt(
      Type.Array(StringEnum(admissionControllerNames), {
        default: [...defaultAdmissionControllers],
        description: "Admission plugins enabled in the tenant API server.",
      }),
    ),
  },
  { description: "Kubernetes settings of the tenant cluster." },
);

// ---------------------------------------------------------------- controlPlane

const RegistrySettings = Type.Object(
  {
    registry: Opt(Type.String({ default: "registry.k8s.io", description: "Registry of the control-plane images." })),
    tagSuffix: Opt(Type.String({ description: "Suffix appended to the tag of every control-plane image." })),
    apiServerImage: Opt(Type.String({ default: "kube-apiserver", description: "Image name of kube-apiserver." })),
    controllerManagerImage: Opt(
      Type.String({ default: "kube-controller-manager", description: "Image name of kube-controller-manager." }),
    ),
    schedulerImage: Opt(Type.String({ default: "kube-scheduler", description: "Image name of kube-scheduler." })),
  },
  {
    default: {
      registry: "registry.k8s.io",
      apiServerImage: "kube-apiserver",
      controllerManagerImage: "kube-controller-manager",
      schedulerImage: "kube-scheduler",
    },
    description: "Where the control-plane images come from: <registry>/<image>:<version><tagSuffix>.",
  },
);

const ProbeSpec = Type.Object(
  {
    initialDelaySeconds: Opt(Int32({ minimum: 0, description: "Seconds after container start before probing." })),
    timeoutSeconds: Opt(Int32({ minimum: 1, description: "Seconds after which a probe times out." })),
    periodSeconds: Opt(Int32({ minimum: 1, description: "Seconds between probes." })),
    successThreshold: Opt(Int32({ minimum: 1, description: "Consecutive successes to count as healthy." })),
    failureThreshold: Opt(Int32({ minimum: 1, description: "Consecutive failures to count as failed." })),
  },
  { description: "Probe timing parameters." },
);

const ProbeSet = (component: string) =>
  Type.Object(
    {
      liveness: Opt(ProbeSpec),
      readiness: Opt(ProbeSpec),
      startup: Opt(ProbeSpec),
    },
    { description: `Probe overrides for ${component}; they win over the global values.` },
  );

const ControlPlaneProbes = Type.Object(
  {
    liveness: Opt(ProbeSpec),
    readiness: Opt(ProbeSpec),
    startup: Opt(ProbeSpec),
    apiServer: Opt(ProbeSet("kube-apiserver")),
    controllerManager: Opt(ProbeSet("kube-controller-manager")),
    scheduler: Opt(ProbeSet("kube-scheduler")),
  },
  { description: "Probe parameters: global values first, then per-component overrides." },
);

const ContainerSecurityContexts = Type.Object(
  {
    apiServer: Opt(K8s.SecurityContext({ description: "Security context of kube-apiserver." })),
    controllerManager: Opt(K8s.SecurityContext({ description: "Security context of kube-controller-manager." })),
    scheduler: Opt(K8s.SecurityContext({ description: "Security context of kube-scheduler." })),
    kine: Opt(K8s.SecurityContext({ description: "Security context of the kine sidecar (non-etcd datastores)." })),
    kineInit: Opt(K8s.SecurityContext({ description: "Security context of the kine init container (TLS only)." })),
  },
  { description: "Per-container security contexts of the control-plane pod." },
);

const ComponentList = <T extends ReturnType<typeof Type.String> | ReturnType<typeof K8s.VolumeMount>>(
  item: () => T,
  description: string,
  withKine: boolean,
) =>
  Type.Object(
    {
      apiServer: Opt(Type.Array(item())),
      controllerManager: Opt(Type.Array(item())),
      scheduler: Opt(Type.Array(item())),
      ...(withKine ? { kine: Opt(Type.Array(item())) } : {}),
    },
    { description },
  );

const DeploymentSpec = Type.Object(
  {
    registrySettings: Opt(RegistrySettings),
    replicas: Opt(
      Int32({ default: 2, description: "Number of control-plane pods. 0 puts the tenant to sleep (status Sleeping)." }),
    ),
    nodeSelector: Opt(StringMap({ description: "Node labels the control-plane pods must be scheduled on." })),
    runtimeClassName: Opt(Type.String({ description: "RuntimeClass of the control-plane pods." })),
    strategy: Opt(
      K8s.DeploymentStrategy({
        default: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "100%" } },
        description: "How pods are replaced; the default is a blue/green rolling update.",
      }),
    ),
    tolerations: Opt(Type.Array(K8s.Toleration(), { description: "Tolerations of the control-plane pods." })),
    affinity: Opt(K8s.Affinity({ description: "Scheduling constraints of the control-plane pods." })),
    topologySpreadConstraints: Opt(
      Type.Array(K8s.TopologySpreadConstraint(), {
        description: "Spread of the control-plane pods; a constraint without labelSelector selects this tenant's pods.",
      }),
    ),
    resources: Opt(
      Type.Object(
        {
          apiServer: ResourcesFor("kube-apiserver"),
          controllerManager: ResourcesFor("kube-controller-manager"),
          scheduler: ResourcesFor("kube-scheduler"),
          kine: ResourcesFor("kine (non-etcd datastores only)"),
        },
        { description: "Compute resources of each control-plane container." },
      ),
    ),
    extraArgs: Opt(
      ComponentList(
        () => Type.String(),
        "Extra `--flag=value` arguments per component. They can override managed flags: use with care.",
        true,
      ),
    ),
    additionalMetadata: Opt(AdditionalMetadata("Labels and annotations added to the Deployment.")),
    podAdditionalMetadata: Opt(AdditionalMetadata("Labels and annotations added to the control-plane pods.")),
    additionalInitContainers: Opt(
      Type.Array(K8s.Container(), { description: "Init containers placed before the managed ones." }),
    ),
    additionalContainers: Opt(
      Type.Array(K8s.Container(), { description: "Containers placed before the managed ones." }),
    ),
    additionalVolumes: Opt(Type.Array(K8s.Volume(), { description: "Volumes added to the control-plane pods." })),
    additionalVolumeMounts: Opt(
      ComponentList(() => K8s.VolumeMount(), "Extra volume mounts per control-plane component.", false),
    ),
    probes: Opt(ControlPlaneProbes),
    serviceAccountName: Opt(
      Type.String({ default: "default", description: "Service account of the control-plane pods." }),
    ),
    automountServiceAccountToken: Opt(
      Type.Boolean({ description: "Whether the service-account token is mounted into the control-plane pods." }),
    ),
    containerSecurityContexts: Opt(ContainerSecurityContexts),
    podSecurityContext: Opt(K8s.PodSecurityContext({ description: "Security context of the control-plane pods." })),
  },
  { default: {}, description: "The Deployment that runs the control-plane pods." },
);

const AdditionalPort = Type.Object(
  {
    name: Type.String({
      description:
        "Port name in the Service: a DNS label, unique; kube-apiserver and konnectivity-server are reserved.",
    }),
    protocol: Opt(StringEnum(["TCP", "UDP", "SCTP"], { default: "TCP", description: "IP protocol of the port." })),
    appProtocol: Opt(Type.String({ description: "Application protocol hint (standard Kubernetes label syntax)." })),
    port: Int32({ description: "Port exposed by the Service." }),
    targetPort: IntOrString({ description: "Number or name of the port on the control-plane pods." }),
  },
  { description: "An extra port of the control-plane Service." },
);

const ServiceSpec = Type.Object(
  {
    additionalMetadata: Opt(AdditionalMetadata("Labels and annotations added to the Service.")),
    additionalPorts: Opt(Type.Array(AdditionalPort, { description: "Extra ports of the Service." })),
    serviceType: StringEnum(serviceTypes, { description: "How the control plane is exposed." }),
    allocateLoadBalancerNodePorts: Opt(
      Type.Boolean({
        description: "Whether NodePorts are allocated for a LoadBalancer Service (Kubernetes default: true).",
      }),
    ),
  },
  { description: "The Service in front of the control-plane pods." },
);

const IngressSpec = Type.Object(
  {
    additionalMetadata: Opt(AdditionalMetadata("Labels and annotations added to the Ingress.")),
    ingressClassName: Opt(Type.String({ description: "IngressClass of the Ingress." })),
    hostname: Opt(Type.String({ description: "Host of the Ingress rule; may carry a :port." })),
  },
  { description: "An optional Ingress exposing the API server." },
);

export const ParentReference = Type.Object(
  {
    group: Opt(
      Type.String({
        default: "gateway.networking.k8s.io",
        maxLength: 253,
        pattern: "^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        description: "API group of the parent.",
      }),
    ),
    kind: Opt(
      Type.String({
        default: "Gateway",
        minLength: 1,
        maxLength: 63,
        pattern: "^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$",
        description: "Kind of the parent.",
      }),
    ),
    namespace: Opt(
      Type.String({
        minLength: 1,
        maxLength: 63,
        pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        description: "Namespace of the parent; the route's namespace when unset.",
      }),
    ),
    name: Type.String({ minLength: 1, maxLength: 253, description: "Name of the parent." }),
    sectionName: Opt(
      Type.String({
        minLength: 1,
        maxLength: 253,
        pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        description: "Listener name within the parent.",
      }),
    ),
    port: Opt(Int32({ minimum: 1, maximum: 65535, description: "Listener port within the parent." })),
  },
  { description: "A Gateway API parent reference (gateway.networking.k8s.io/v1 ParentReference)." },
);

const GatewaySpec = Type.Object(
  {
    additionalMetadata: Opt(AdditionalMetadata("Labels and annotations added to the routes.")),
    parentRefs: Opt(Type.Array(ParentReference, { description: "Gateways the TLSRoute attaches to." })),
    hostname: Opt(
      Type.String({
        minLength: 1,
        maxLength: 253,
        pattern: "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        description: "Hostname of the route.",
      }),
    ),
  },
  { description: "An optional Gateway API TLSRoute exposing the API server." },
);

const ControlPlane = Type.Object(
  {
    deployment: Opt(DeploymentSpec),
    service: ServiceSpec,
    ingress: Opt(IngressSpec),
    gateway: Opt(GatewaySpec),
  },
  {
    description: "How the control plane runs and is exposed in the management cluster.",
    "x-kubernetes-validations": [
      cel("!(has(self.ingress) && has(self.gateway))", "using both ingress and gateway is not supported"),
    ],
  },
);

// ---------------------------------------------------------------- addons

const ImageOverride = (what: string) =>
  Type.Object(
    {
      imageRepository: Opt(Type.String({ description: `Registry of the ${what} image.` })),
      imageTag: Opt(Type.String({ description: `Tag of the ${what} image; pins it across upgrades.` })),
    },
    { description: `Enables the ${what} addon in the tenant cluster.` },
  );

const KonnectivityServerSpec = Type.Object(
  {
    port: Int32({ description: "Port the konnectivity server listens on for agents." }),
    version: Opt(Type.String({ description: "Image tag of the server; v0.<tenant minor>.0 when empty." })),
    image: Opt(
      Type.String({ default: "registry.k8s.io/kas-network-proxy/proxy-server", description: "Server image." }),
    ),
    resources: Opt(K8s.ResourceRequirements({ description: "Compute resources of the server container." })),
    extraArgs: Opt(Type.Array(Type.String(), { description: "Extra server arguments; they override managed ones." })),
    securityContext: Opt(K8s.SecurityContext({ description: "Security context of the server container." })),
  },
  {
    default: { image: "registry.k8s.io/kas-network-proxy/proxy-server", port: 8132 },
    description: "The konnectivity server sidecar of the control-plane pod.",
  },
);

const KonnectivityAgentSpec = Type.Object(
  {
    image: Opt(Type.String({ default: "registry.k8s.io/kas-network-proxy/proxy-agent", description: "Agent image." })),
    version: Opt(Type.String({ description: "Image tag of the agent; v0.<tenant minor>.0 when empty." })),
    tolerations: Opt(
      Type.Array(K8s.Toleration(), {
        default: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
        description: "Tolerations of the agent pods.",
      }),
    ),
    extraArgs: Opt(Type.Array(Type.String(), { description: "Extra agent arguments; they override managed ones." })),
    hostNetwork: Opt(
      Type.Boolean({ default: false, description: "Run the agent in the host network (no wait for the CNI)." }),
    ),
    mode: Opt(
      StringEnum(["DaemonSet", "Deployment"], { default: "DaemonSet", description: "Workload kind of the agent." }),
    ),
    replicas: Opt(Int32({ description: "Agent replicas in Deployment mode; 0 or unset in DaemonSet mode." })),
  },
  {
    default: { image: "registry.k8s.io/kas-network-proxy/proxy-agent", mode: "DaemonSet" },
    description: "The konnectivity agent running in the tenant cluster.",
    "x-kubernetes-validations": [
      cel(
        "!(self.mode == 'DaemonSet' && has(self.replicas) && self.replicas != 0) && !(self.mode == 'Deployment' && has(self.replicas) && self.replicas == 0)",
        "replicas must be 0 (or unset) when mode is DaemonSet, and greater than 0 (or unset) when mode is Deployment",
      ),
    ],
  },
);

const AddonsSpec = Type.Object(
  {
    coreDNS: Opt(ImageOverride("CoreDNS")),
    konnectivity: Opt(
      Type.Object(
        { server: Opt(KonnectivityServerSpec), agent: Opt(KonnectivityAgentSpec) },
        { description: "Enables konnectivity, needed when worker nodes are in another network." },
      ),
    ),
    kubeProxy: Opt(ImageOverride("kube-proxy")),
  },
  { description: "Addons installed in the tenant cluster. An addon is enabled by being present." },
);

// ---------------------------------------------------------------- spec

export const TenantControlPlaneSpec = Type.Object(
  {
    writePermissions: Opt(
      Type.Object(
        {
          blockCreation: Opt(Type.Boolean({ description: "Reject create requests in the tenant API." })),
          blockUpdate: Opt(Type.Boolean({ description: "Reject update requests in the tenant API." })),
          blockDeletion: Opt(Type.Boolean({ description: "Reject delete requests in the tenant API." })),
        },
        { description: "Operations blocked in the tenant API (e.g. read-only mode when the datastore is full)." },
      ),
    ),
    dataStore: Opt(
      Type.String({
        description:
          "DataStore holding this tenant's state; the operator's default DataStore when empty. Changing it to another DataStore of the same driver migrates the data.",
      }),
    ),
    dataStoreSchema: Opt(
      Type.String({
        description:
          "Database name (SQL) or key prefix (etcd) of this tenant. Defaults to the object's UID. Immutable; uniqueness is up to you.",
        "x-kubernetes-validations": [immutable("changing the dataStoreSchema is not supported")],
      }),
    ),
    dataStoreUsername: Opt(
      Type.String({
        description: "Datastore user of this tenant. Defaults to the object's UID. Immutable; uniqueness is up to you.",
        "x-kubernetes-validations": [immutable("changing the dataStoreUsername is not supported")],
      }),
    ),
    dataStoreOverrides: Opt(
      Type.Array(
        Type.Object(
          {
            resource: Opt(Type.String({ description: "Resource to store elsewhere, e.g. /events." })),
            dataStore: Opt(Type.String({ description: "DataStore (etcd driver) that stores that resource." })),
          },
          { description: "Stores one Kubernetes resource in a dedicated DataStore." },
        ),
        { description: "Resources stored in other DataStores (--etcd-servers-overrides)." },
      ),
    ),
    controlPlane: ControlPlane,
    kubernetes: KubernetesSpec,
    networkProfile: Opt(NetworkProfileSpec),
    addons: Opt(AddonsSpec),
  },
  {
    description: "Desired state of a tenant control plane.",
    "x-kubernetes-validations": [
      cel("!has(oldSelf.dataStore) || has(self.dataStore)", "unsetting the dataStore is not supported"),
      cel(
        "!has(oldSelf.dataStoreSchema) || has(self.dataStoreSchema)",
        "unsetting the dataStoreSchema is not supported",
      ),
      cel(
        "!has(oldSelf.dataStoreUsername) || has(self.dataStoreUsername)",
        "unsetting the dataStoreUsername is not supported",
      ),
      cel(
        "!has(self.networkProfile.loadBalancerSourceRanges) || (size(self.networkProfile.loadBalancerSourceRanges) == 0 || self.controlPlane.service.serviceType == 'LoadBalancer')",
        "LoadBalancer source ranges are supported only with LoadBalancer service type",
      ),
      cel(
        "!has(self.networkProfile.loadBalancerClass) || self.controlPlane.service.serviceType == 'LoadBalancer'",
        "LoadBalancerClass is supported only with LoadBalancer service type",
      ),
      cel(
        "!has(self.controlPlane.service.allocateLoadBalancerNodePorts) || self.controlPlane.service.serviceType == 'LoadBalancer'",
        "allocateLoadBalancerNodePorts is supported only with LoadBalancer service type",
      ),
      cel(
        "self.controlPlane.service.serviceType != 'LoadBalancer' || oldSelf.controlPlane.service.serviceType != 'LoadBalancer' || has(self.networkProfile.loadBalancerClass) == has(oldSelf.networkProfile.loadBalancerClass)",
        "LoadBalancerClass cannot be set or unset at runtime",
      ),
    ],
  },
);

// ---------------------------------------------------------------- status

const SecretStatus = (description: string) =>
  Type.Object(
    {
      secretName: Opt(Type.String({ description: "Name of the Secret." })),
      lastUpdate: Opt(Time({ description: "When the Secret was last written." })),
      checksum: Opt(Type.String({ description: "Checksum of the Secret content." })),
    },
    { description },
  );

const ObjectRefStatus = (description: string) =>
  Type.Object(
    {
      name: Opt(Type.String()),
      namespace: Opt(Type.String()),
      lastUpdate: Opt(Time({ description: "When the object was last written." })),
    },
    { description },
  );

const ServiceStatusWithRef = Inline(
  K8s.ServiceStatus(),
  Type.Object({
    name: Type.String({ description: "Name of the Service." }),
    namespace: Type.String({ description: "Namespace of the Service." }),
    port: Int32({ description: "Port of the Service." }),
  }),
  { description: "The Service in front of the control plane." },
);

const RouteParentStatus = Type.Object({
  parentRef: ParentReference,
  controllerName: Type.String({ description: "Controller that wrote this entry." }),
  conditions: Opt(Type.Array(K8s.Condition(), { maxItems: 8 })),
});

const GatewayStatus = Type.Object(
  {
    parents: Opt(Type.Array(RouteParentStatus, { maxItems: 32, description: "Status per parent Gateway." })),
    routeRef: Opt(K8s.LocalObjectReference({ description: "The route created for this tenant." })),
    accessPoints: Opt(
      Type.Array(
        Type.Object({
          type: Type.String({ description: "Address type, e.g. Hostname." }),
          value: Type.String({ description: "The access URL, e.g. https://host:port." }),
          port: Int32(),
          urls: Opt(Type.Array(Type.String())),
        }),
        { description: "Where the route can be reached." },
      ),
    ),
  },
  { description: "The TLSRoute exposing the control plane, as reported by the gateway controllers." },
);

export const TenantControlPlaneStatus = Type.Object(
  {
    observedGeneration: Opt(Int64({ description: "The generation fully reconciled last." })),
    conditions: Opt(
      Type.Array(K8s.Condition(), {
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
        description:
          "Not in upstream Kamaji: why the last reconcile stopped (condition Reconciled), e.g. a missing DataStore.",
      }),
    ),
    storage: Opt(
      Type.Object(
        {
          driver: Opt(Type.String()),
          dataStoreName: Opt(Type.String()),
          config: Opt(Type.Object({ secretName: Opt(Type.String()), checksum: Opt(Type.String()) })),
          setup: Opt(
            Type.Object({
              schema: Opt(Type.String()),
              user: Opt(Type.String()),
              lastUpdate: Opt(Time()),
              checksum: Opt(Type.String()),
            }),
          ),
          certificate: Opt(SecretStatus("The datastore client certificate Secret.")),
        },
        { description: "The datastore this tenant uses and how it was set up." },
      ),
    ),
    certificates: Opt(
      Type.Object(
        {
          ca: Opt(SecretStatus("Cluster CA.")),
          apiServer: Opt(SecretStatus("API server serving certificate.")),
          apiServerKubeletClient: Opt(SecretStatus("API server client certificate for kubelets.")),
          frontProxyCA: Opt(SecretStatus("Front-proxy CA.")),
          frontProxyClient: Opt(SecretStatus("Front-proxy client certificate.")),
          sa: Opt(SecretStatus("Service-account key pair.")),
          etcd: Opt(
            Type.Object(
              { apiServer: Opt(SecretStatus("Legacy.")), ca: Opt(SecretStatus("Legacy.")) },
              { description: "Legacy etcd certificates." },
            ),
          ),
        },
        { description: "The certificate Secrets of the control plane." },
      ),
    ),
    kubeconfig: Opt(
      Type.Object(
        {
          admin: Opt(SecretStatus("Admin kubeconfig.")),
          controllerManager: Opt(SecretStatus("Controller-manager kubeconfig.")),
          scheduler: Opt(SecretStatus("Scheduler kubeconfig.")),
        },
        { description: "The kubeconfig Secrets." },
      ),
    ),
    kubernetesResources: Opt(
      Type.Object(
        {
          version: Opt(
            Type.Object({
              version: Opt(Type.String({ description: "The Kubernetes version running." })),
              status: Opt(
                StringEnum(versionStatuses, {
                  default: "Provisioning",
                  description: "Lifecycle state of the control plane.",
                }),
              ),
            }),
          ),
          deployment: Opt(
            Inline(
              K8s.DeploymentStatus(),
              Type.Object({
                selector: Type.String({ description: "Label selector of the pods, for the scale subresource." }),
                name: Type.String({ description: "Name of the Deployment." }),
                namespace: Type.String({ description: "Namespace of the Deployment." }),
                lastUpdate: Opt(Time()),
              }),
              { description: "The control-plane Deployment." },
            ),
          ),
          service: Opt(ServiceStatusWithRef),
          ingress: Opt(
            Inline(K8s.IngressStatus(), Type.Object({ name: Type.String(), namespace: Type.String() }), {
              description: "The Ingress exposing the control plane.",
            }),
          ),
          gateway: Opt(GatewayStatus),
        },
        { description: "The objects of the control plane in the management cluster." },
      ),
    ),
    kubeadmconfig: Opt(
      Type.Object(
        {
          configmapName: Opt(Type.String()),
          lastUpdate: Opt(Time()),
          checksum: Opt(Type.String({ description: "Checksum of the kubeadm configuration." })),
        },
        { description: "The ConfigMap holding the kubeadm configuration." },
      ),
    ),
    kubeadmPhase: Opt(
      Type.Object(
        { bootstrapToken: Type.Object({ checksum: Opt(Type.String()), lastUpdate: Opt(Time()) }) },
        { description: "The kubeadm phases applied to the tenant cluster." },
      ),
    ),
    controlPlaneEndpoint: Opt(Type.String({ description: "host:port of the tenant API server." })),
    addons: Opt(
      Type.Object(
        {
          coreDNS: Opt(Type.Object({ enabled: Type.Boolean(), lastUpdate: Opt(Time()) })),
          kubeProxy: Opt(Type.Object({ enabled: Type.Boolean(), lastUpdate: Opt(Time()) })),
          konnectivity: Opt(
            Type.Object({
              enabled: Type.Boolean(),
              configMap: Opt(Type.Object({ name: Opt(Type.String()), checksum: Opt(Type.String()) })),
              certificate: Opt(SecretStatus("Konnectivity server certificate.")),
              kubeconfig: Opt(SecretStatus("Konnectivity server kubeconfig.")),
              sa: Opt(ObjectRefStatus("Agent service account.")),
              clusterrolebinding: Opt(ObjectRefStatus("Agent cluster role binding.")),
              agent: Opt(
                Type.Object({
                  name: Opt(Type.String()),
                  namespace: Opt(Type.String()),
                  lastUpdate: Opt(Time()),
                  mode: Opt(StringEnum(["DaemonSet", "Deployment"])),
                }),
              ),
              service: Opt(ServiceStatusWithRef),
              gateway: Opt(GatewayStatus),
            }),
          ),
        },
        { description: "The addons installed in the tenant cluster." },
      ),
    ),
    bootstrap: Opt(
      Type.Object(
        { rbac: Opt(Type.Object({ clusterRoleBinding: Opt(ObjectRefStatus("Bootstrap cluster role binding.")) })) },
        { description: "The bootstrap configuration of the tenant cluster." },
      ),
    ),
  },
  { description: "Observed state of a tenant control plane." },
);

export type TenantControlPlaneSpec = Static<typeof TenantControlPlaneSpec>;
export type TenantControlPlaneStatus = Static<typeof TenantControlPlaneStatus>;
