// The CoreDNS addon inside the tenant cluster (reference §6): the objects kubeadm v1.34's EnsureDNSAddon creates,
// labelled as Kamaji's so that disabling the addon deletes only what Kamaji made.
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1Deployment,
  V1Service,
  V1ServiceAccount,
} from "@kubernetes/client-node";
import type { Json } from "../../api/k8s-types.js";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { coreDnsVersionFor } from "../../api/v1alpha1/versions.js";
import { parseIP } from "../../net/ip.js";
import { conventionalDnsServiceIPs } from "../../net/dns-service-ip.js";
import { clusterDomainOf, serviceCidrsOf } from "../kubeadm-config.js";
import { projectLabel } from "../labels.js";

export interface CoreDnsObjects {
  readonly serviceAccount: Json<V1ServiceAccount>;
  readonly clusterRole: Json<V1ClusterRole>;
  readonly clusterRoleBinding: Json<V1ClusterRoleBinding>;
  readonly configMap: Json<V1ConfigMap>;
  readonly deployment: Json<V1Deployment>;
  readonly service: Json<V1Service>;
}

const namespace = "kube-system";
const name = "coredns";
const serviceName = "kube-dns";
const clusterRoleName = "system:coredns";
// Functions rather than shared constants, so that no two objects alias the same map.
const selector = () => ({ "k8s-app": "kube-dns" });
const managedLabels = () => ({ [projectLabel]: "kamaji" });

const defaultRegistry = "registry.k8s.io";

/**
 * `<repository>/coredns:<tag>`, the tag by default the CoreDNS release kubeadm pairs with the tenant's minor. Upstream ignores imageTag unless imageRepository is set; here each override
 * applies on its own. Like kubeadm, the bare default registry means its `coredns` sub-repository.
 */
export function coreDnsImage(tcp: TenantControlPlane): string {
  const override = tcp.spec.addons?.coreDNS;
  const registry = override?.imageRepository || defaultRegistry;
  const repository = registry === defaultRegistry ? `${defaultRegistry}/coredns` : registry;
  return `${repository}/coredns:${override?.imageTag || coreDnsVersionFor(tcp.spec.kubernetes.version)}`;
}

/**
 * spec.networkProfile.dnsServiceIPs, else the defaulting webhook's value (one per service CIDR); the list is
 * normally set on CREATE, this covers objects that skipped defaulting.
 */
export function dnsServiceIPsOf(tcp: TenantControlPlane): string[] {
  const configured = tcp.spec.networkProfile?.dnsServiceIPs;
  if (configured?.length) return [...configured];
  const defaulted = conventionalDnsServiceIPs(
    serviceCidrsOf(tcp),
    (index) => `spec.networkProfile.serviceCidrs[${index}]`,
  );
  if ("problem" in defaulted)
    throw new Error(`${defaulted.problem.field}: cannot define resulting DNS Service IP: ${defaulted.problem.reason}`);
  return defaulted.ips;
}

function ipFamilyOf(ip: string): "IPv4" | "IPv6" {
  const parsed = parseIP(ip);
  if (!parsed) throw new Error(`invalid DNS service IP ${JSON.stringify(ip)}`);
  return parsed.kind() === "ipv4" ? "IPv4" : "IPv6";
}

/** kubeadm's Corefile; the cluster domain is authoritative here, so its answers are not cached. */
function corefile(domain: string): string {
  return [
    ".:53 {",
    "    errors",
    "    health {",
    "       lameduck 5s",
    "    }",
    "    ready",
    `    kubernetes ${domain} in-addr.arpa ip6.arpa {`,
    "       pods insecure",
    "       fallthrough in-addr.arpa ip6.arpa",
    "       ttl 30",
    "    }",
    "    prometheus :9153",
    "    forward . /etc/resolv.conf {",
    "       max_concurrent 1000",
    "    }",
    "    cache 30 {",
    `       disable success ${domain}`,
    `       disable denial ${domain}`,
    "    }",
    "    loop",
    "    reload",
    "    loadbalance",
    "}",
    "",
  ].join("\n");
}

/** A single IP keeps the Service single-stack as kubeadm makes it; several make it dual-stack. */
function serviceSpec(ips: readonly string[]): Json<V1Service>["spec"] {
  const ports = [
    { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
    { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
    { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
  ];
  const [clusterIP] = ips;
  if (ips.length < 2) return { clusterIP, ports, selector: selector() };
  return {
    clusterIP,
    clusterIPs: [...ips],
    ipFamilies: ips.map(ipFamilyOf),
    ipFamilyPolicy: "PreferDualStack",
    ports,
    selector: selector(),
  };
}

function deployment(tcp: TenantControlPlane): Json<V1Deployment> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels: { ...selector(), ...managedLabels() } },
    spec: {
      replicas: 2,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      selector: { matchLabels: selector() },
      template: {
        metadata: { labels: selector() },
        spec: {
          priorityClassName: "system-cluster-critical",
          serviceAccountName: name,
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: {
                      matchExpressions: [{ key: "k8s-app", operator: "In", values: ["kube-dns"] }],
                    },
                    topologyKey: "kubernetes.io/hostname",
                  },
                },
              ],
            },
          },
          tolerations: [
            { key: "CriticalAddonsOnly", operator: "Exists" },
            { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
          ],
          nodeSelector: { "kubernetes.io/os": "linux" },
          containers: [
            {
              name,
              image: coreDnsImage(tcp),
              imagePullPolicy: "IfNotPresent",
              resources: { limits: { memory: "170Mi" }, requests: { cpu: "100m", memory: "70Mi" } },
              args: ["-conf", "/etc/coredns/Corefile"],
              volumeMounts: [{ name: "config-volume", mountPath: "/etc/coredns", readOnly: true }],
              ports: [
                { containerPort: 53, name: "dns", protocol: "UDP" },
                { containerPort: 53, name: "dns-tcp", protocol: "TCP" },
                { containerPort: 9153, name: "metrics", protocol: "TCP" },
                { containerPort: 8080, name: "liveness-probe", protocol: "TCP" },
                { containerPort: 8181, name: "readiness-probe", protocol: "TCP" },
              ],
              livenessProbe: {
                httpGet: { path: "/health", port: "liveness-probe", scheme: "HTTP" },
                initialDelaySeconds: 60,
                timeoutSeconds: 5,
                successThreshold: 1,
                failureThreshold: 5,
              },
              readinessProbe: { httpGet: { path: "/ready", port: "readiness-probe", scheme: "HTTP" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
                readOnlyRootFilesystem: true,
              },
            },
          ],
          // Resolve through the node: the pods cannot use the DNS they serve.
          dnsPolicy: "Default",
          volumes: [{ name: "config-volume", configMap: { name, items: [{ key: "Corefile", path: "Corefile" }] } }],
        },
      },
    },
  };
}

export function coreDnsObjects(tcp: TenantControlPlane): CoreDnsObjects {
  return {
    serviceAccount: {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name, namespace, labels: managedLabels() },
    },
    clusterRole: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: clusterRoleName, labels: managedLabels() },
      rules: [
        { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
      ],
    },
    clusterRoleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: clusterRoleName, labels: managedLabels() },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRoleName },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace, labels: managedLabels() },
      data: { Corefile: corefile(clusterDomainOf(tcp)) },
    },
    deployment: deployment(tcp),
    service: {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: serviceName,
        namespace,
        labels: {
          ...selector(),
          "kubernetes.io/cluster-service": "true",
          "kubernetes.io/name": "CoreDNS",
          ...managedLabels(),
        },
        annotations: { "prometheus.io/port": "9153", "prometheus.io/scrape": "true" },
      },
      spec: serviceSpec(dnsServiceIPsOf(tcp)),
    },
  };
}
