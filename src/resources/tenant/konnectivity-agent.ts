// The konnectivity agent inside the tenant cluster (reference §6, "Konnectivity agent details"): it dials the
// konnectivity server sidecar of the control-plane pods so the API server can reach nodes in another network.
import type {
  V1ClusterRoleBinding,
  V1DaemonSet,
  V1Deployment,
  V1PodTemplateSpec,
  V1ServiceAccount,
} from "@kubernetes/client-node";
import type { Json } from "../../api/k8s-types.js";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { mergeFlags, parseFlags, renderFlags } from "../deployment/args.js";
import { compact } from "../deployment/compact.js";
import { konnectivityVersion } from "../deployment/settings.js";
import { kamajiLabels } from "../labels.js";
import { tenantName } from "../service.js";

export interface KonnectivityAgentInput {
  /** Where agents reach the konnectivity server: the advertised address, or the gateway hostname. */
  readonly proxyServerHost: string;
}

/** The workload kinds the agent can run as (spec.addons.konnectivity.agent.mode). */
export const konnectivityAgentKinds = ["DaemonSet", "Deployment"] as const;
export type KonnectivityAgentKind = (typeof konnectivityAgentKinds)[number];

export type KonnectivityAgentWorkload =
  (Json<V1DaemonSet> & { kind: "DaemonSet" }) | (Json<V1Deployment> & { kind: "Deployment" });

export interface KonnectivityAgentObjects {
  readonly serviceAccount: Json<V1ServiceAccount>;
  readonly clusterRoleBinding: Json<V1ClusterRoleBinding>;
  readonly workload: KonnectivityAgentWorkload;
}

const namespace = "kube-system";
const name = "konnectivity-agent";
/** The identity the server authenticates as; agents' tokens are minted for it. */
const serverIdentity = "system:konnectivity-server";
const rbacGroup = "rbac.authorization.k8s.io";
const tokenVolume = "konnectivity-agent-token";
const tokenDir = "/var/run/secrets/tokens";
const healthPort = 8134;

// CRD defaults, for objects that skipped defaulting.
const defaultImage = "registry.k8s.io/kas-network-proxy/proxy-agent";
const defaultServerPort = 8132;

type AgentSpec = NonNullable<NonNullable<NonNullable<TenantControlPlane["spec"]["addons"]>["konnectivity"]>["agent"]>;

const agentSpecOf = (tcp: TenantControlPlane): AgentSpec => tcp.spec.addons?.konnectivity?.agent ?? {};

export function konnectivityAgentKind(tcp: TenantControlPlane): KonnectivityAgentKind {
  return agentSpecOf(tcp).mode ?? "DaemonSet";
}

/** The kind the agent does not run as: deleting it cleans up after a mode switch. */
export function staleKonnectivityAgentKind(tcp: TenantControlPlane): KonnectivityAgentKind {
  return konnectivityAgentKind(tcp) === "DaemonSet" ? "Deployment" : "DaemonSet";
}

export function konnectivityAgentImage(tcp: TenantControlPlane): string {
  const agent = agentSpecOf(tcp);
  return `${agent.image || defaultImage}:${agent.version || konnectivityVersion(tcp.spec.kubernetes.version)}`;
}

/** Kamaji's arguments, each overridden by the user's extraArgs flag of the same name. */
export function konnectivityAgentArgs(tcp: TenantControlPlane, proxyServerHost: string): string[] {
  const port = tcp.spec.addons?.konnectivity?.server?.port ?? defaultServerPort;
  const kamaji = new Map([
    ["-v", "8"],
    ["--logtostderr", "true"],
    ["--ca-cert", "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"],
    ["--proxy-server-host", proxyServerHost],
    ["--proxy-server-port", String(port)],
    ["--admin-server-port", "8133"],
    ["--health-server-port", String(healthPort)],
    ["--service-account-token-path", `${tokenDir}/${tokenVolume}`],
  ]);
  return renderFlags(mergeFlags(kamaji, parseFlags(agentSpecOf(tcp).extraArgs)));
}

function podTemplate(tcp: TenantControlPlane, proxyServerHost: string): Json<V1PodTemplateSpec> {
  const agent = agentSpecOf(tcp);
  return {
    metadata: { labels: { "k8s-app": name } },
    spec: {
      priorityClassName: "system-cluster-critical",
      tolerations: agent.tolerations ?? [{ key: "CriticalAddonsOnly", operator: "Exists" }],
      nodeSelector: { "kubernetes.io/os": "linux" },
      serviceAccountName: name,
      hostNetwork: agent.hostNetwork ?? false,
      volumes: [
        {
          name: tokenVolume,
          projected: {
            sources: [
              { serviceAccountToken: { path: tokenVolume, audience: serverIdentity, expirationSeconds: 3600 } },
            ],
            defaultMode: 0o644,
          },
        },
      ],
      containers: [
        {
          name,
          image: konnectivityAgentImage(tcp),
          command: ["/proxy-agent"],
          args: konnectivityAgentArgs(tcp, proxyServerHost),
          volumeMounts: [{ name: tokenVolume, mountPath: tokenDir }],
          livenessProbe: {
            httpGet: { path: "/healthz", port: healthPort, scheme: "HTTP" },
            initialDelaySeconds: 15,
            timeoutSeconds: 15,
            periodSeconds: 10,
            successThreshold: 1,
            failureThreshold: 3,
          },
        },
      ],
    },
  };
}

function workload(tcp: TenantControlPlane, proxyServerHost: string): KonnectivityAgentWorkload {
  const metadata = { name, namespace, labels: kamajiLabels(tenantName(tcp), "konnectivity-agent") };
  const selector = { matchLabels: { "k8s-app": name } };
  const template = podTemplate(tcp, proxyServerHost);
  if (konnectivityAgentKind(tcp) === "DaemonSet") {
    return { apiVersion: "apps/v1", kind: "DaemonSet", metadata, spec: { selector, template } };
  }
  // Unset replicas are left to the API server's default (1) rather than written as 0.
  const { replicas } = agentSpecOf(tcp);
  return { apiVersion: "apps/v1", kind: "Deployment", metadata, spec: compact({ replicas, selector, template }) };
}

export function konnectivityAgentObjects(
  tcp: TenantControlPlane,
  input: KonnectivityAgentInput,
): KonnectivityAgentObjects {
  const tcpName = tenantName(tcp);
  return {
    serviceAccount: {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name, namespace, labels: kamajiLabels(tcpName, "konnectivity-sa") },
    },
    clusterRoleBinding: {
      apiVersion: `${rbacGroup}/v1`,
      kind: "ClusterRoleBinding",
      metadata: {
        name: serverIdentity,
        labels: {
          ...kamajiLabels(tcpName, "konnectivity-clusterrolebinding"),
          "kubernetes.io/cluster-service": "true",
          "addonmanager.kubernetes.io/mode": "Reconcile",
        },
      },
      roleRef: { apiGroup: rbacGroup, kind: "ClusterRole", name: "system:auth-delegator" },
      subjects: [{ apiGroup: rbacGroup, kind: "User", name: serverIdentity }],
    },
    workload: workload(tcp, input.proxyServerHost),
  };
}
