import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import { coreDnsObjects, dnsServiceIPsOf } from "../../../src/resources/tenant/coredns.js";
import {
  konnectivityAgentObjects,
  staleKonnectivityAgentKind,
} from "../../../src/resources/tenant/konnectivity-agent.js";
import { kubeProxyConfigChecksumAnnotation, kubeProxyObjects } from "../../../src/resources/tenant/kube-proxy.js";
import { mapChecksum } from "../../../src/resources/checksum.js";
import { tenantControlPlaneWith } from "./fixtures.js";

type Spec = TenantControlPlane["spec"];
type Addons = NonNullable<Spec["addons"]>;
type NetworkProfile = NonNullable<Spec["networkProfile"]>;

const withAddons = (addons: Addons) => tenantControlPlaneWith({ addons });
const withNetwork = (networkProfile: NetworkProfile) => tenantControlPlaneWith({ networkProfile, addons: {} });

const server = "https://192.0.2.10:6443";
const proxyServerHost = "192.0.2.10";
const konnectivity = (agent: NonNullable<NonNullable<Addons["konnectivity"]>["agent"]> = {}) =>
  withAddons({ konnectivity: { server: { port: 8132 }, agent } });

const coreDnsImage = (tcp: TenantControlPlane) =>
  coreDnsObjects(tcp).deployment.spec?.template.spec?.containers[0]?.image;
const kubeProxyImage = (tcp: TenantControlPlane) =>
  kubeProxyObjects(tcp, { server }).daemonSet.spec?.template.spec?.containers[0]?.image;
const agentContainer = (tcp: TenantControlPlane) =>
  konnectivityAgentObjects(tcp, { proxyServerHost }).workload.spec?.template.spec?.containers[0];

test("every addon object carries the kamaji project label", () => {
  const tcp = withAddons({ coreDNS: {}, kubeProxy: {}, konnectivity: { server: { port: 8132 } } });
  const objects = [
    ...Object.values(coreDnsObjects(tcp)),
    ...Object.values(kubeProxyObjects(tcp, { server })),
    ...Object.values(konnectivityAgentObjects(tcp, { proxyServerHost })),
  ];
  assert.equal(objects.length, 15);
  for (const object of objects) {
    assert.equal(object.metadata?.labels?.["kamaji.clastix.io/project"], "kamaji", `${object.kind ?? ""}`);
  }
});

test("coreDnsObjects: image defaults to the CoreDNS kubeadm pairs with the tenant's minor", () => {
  assert.equal(coreDnsImage(withAddons({ coreDNS: {} })), "registry.k8s.io/coredns/coredns:v1.12.1");
  const atVersion = (version: string) => {
    const tcp = withAddons({ coreDNS: {} });
    tcp.spec.kubernetes.version = version;
    return coreDnsImage(tcp);
  };
  assert.equal(atVersion("v1.33.13"), "registry.k8s.io/coredns/coredns:v1.12.0");
  assert.equal(atVersion("v1.35.8"), "registry.k8s.io/coredns/coredns:v1.13.1");
  assert.equal(atVersion("v1.36.5"), "registry.k8s.io/coredns/coredns:v1.14.2");
  assert.equal(atVersion("v1.37.2"), "registry.k8s.io/coredns/coredns:v1.14.6");
  // Outside the table (an object older than the supported range): the nearest supported minor's.
  assert.equal(atVersion("v1.30.0"), "registry.k8s.io/coredns/coredns:v1.12.0");
});

test("coreDnsObjects: imageRepository and imageTag override the image", () => {
  const tcp = withAddons({ coreDNS: { imageRepository: "mirror.example.com/dns", imageTag: "v1.11.3" } });
  assert.equal(coreDnsImage(tcp), "mirror.example.com/dns/coredns:v1.11.3");
  const repositoryOnly = withAddons({ coreDNS: { imageRepository: "mirror.example.com/dns" } });
  assert.equal(coreDnsImage(repositoryOnly), "mirror.example.com/dns/coredns:v1.12.1");
});

test("coreDnsObjects: imageTag applies without imageRepository (upstream ignores it)", () => {
  assert.equal(
    coreDnsImage(withAddons({ coreDNS: { imageTag: "v1.11.3" } })),
    "registry.k8s.io/coredns/coredns:v1.11.3",
  );
});

test("coreDnsObjects: the Corefile serves the cluster domain and forwards the rest to the node resolver", () => {
  const corefile = (tcp: TenantControlPlane) => coreDnsObjects(tcp).configMap.data?.Corefile ?? "";
  const custom = corefile(withNetwork({ clusterDomain: "tenant.example" }));
  assert.match(custom, /kubernetes tenant\.example in-addr\.arpa ip6\.arpa \{/);
  assert.match(custom, /disable success tenant\.example/);
  assert.match(custom, /forward \. \/etc\/resolv\.conf \{/);
  assert.doesNotMatch(custom, /cluster\.local/);
  assert.match(corefile(withNetwork({})), /kubernetes cluster\.local in-addr\.arpa/);
});

test("coreDnsObjects: a single DNS IP gives a single-stack kube-dns Service", () => {
  const { service } = coreDnsObjects(withNetwork({ dnsServiceIPs: ["10.96.0.53"] }));
  assert.equal(service.metadata?.name, "kube-dns");
  assert.equal(service.metadata.namespace, "kube-system");
  assert.equal(service.spec?.clusterIP, "10.96.0.53");
  assert.equal(service.spec.clusterIPs, undefined);
  assert.equal(service.spec.ipFamilyPolicy, undefined);
  assert.deepEqual(service.spec.selector, { "k8s-app": "kube-dns" });
});

test("coreDnsObjects: without dnsServiceIPs, the webhook default: the tenth address of each service CIDR", () => {
  assert.equal(coreDnsObjects(withNetwork({})).service.spec?.clusterIP, "10.96.0.10");
  const cidrs = withNetwork({ serviceCidrs: ["172.20.0.0/16", "fd00:10::/108"] });
  assert.deepEqual(dnsServiceIPsOf(cidrs), ["172.20.0.10", "fd00:10::10"]);
  assert.deepEqual(dnsServiceIPsOf(withNetwork({ serviceCidr: "10.100.0.0/24" })), ["10.100.0.10"]);
});

test("coreDnsObjects: several DNS IPs make the Service dual-stack", () => {
  const { service } = coreDnsObjects(withNetwork({ dnsServiceIPs: ["fd00:10::10", "10.96.0.10"] }));
  assert.equal(service.spec?.clusterIP, "fd00:10::10");
  assert.deepEqual(service.spec.clusterIPs, ["fd00:10::10", "10.96.0.10"]);
  assert.deepEqual(service.spec.ipFamilies, ["IPv6", "IPv4"]);
  assert.equal(service.spec.ipFamilyPolicy, "PreferDualStack");
});

test("coreDnsObjects: two replicas running as the coredns ServiceAccount bound to system:coredns", () => {
  const { deployment, clusterRoleBinding, serviceAccount } = coreDnsObjects(withAddons({ coreDNS: {} }));
  assert.equal(deployment.spec?.replicas, 2);
  assert.equal(deployment.spec.template.spec?.serviceAccountName, serviceAccount.metadata?.name);
  assert.equal(clusterRoleBinding.metadata?.name, "system:coredns");
  assert.deepEqual(clusterRoleBinding.subjects, [
    { kind: "ServiceAccount", name: "coredns", namespace: "kube-system" },
  ]);
});

test("kubeProxyObjects: image defaults to registry.k8s.io and the tenant version, each part overridable", () => {
  assert.equal(kubeProxyImage(withAddons({ kubeProxy: {} })), "registry.k8s.io/kube-proxy:v1.34.10");
  assert.equal(
    kubeProxyImage(withAddons({ kubeProxy: { imageRepository: "mirror.example.com" } })),
    "mirror.example.com/kube-proxy:v1.34.10",
  );
  assert.equal(
    kubeProxyImage(withAddons({ kubeProxy: { imageTag: "v1.34.9" } })),
    "registry.k8s.io/kube-proxy:v1.34.9",
  );
});

test("kubeProxyObjects: config.conf joins the pod CIDRs and kubeconfig.conf points at the server", () => {
  const tcp = withNetwork({ podCidrs: ["10.244.0.0/16", "fd00:244::/56"] });
  const data = kubeProxyObjects(tcp, { server }).configMap.data ?? {};
  const config = parse(data["config.conf"] ?? "");
  assert.equal(config.kind, "KubeProxyConfiguration");
  assert.equal(config.clusterCIDR, "10.244.0.0/16,fd00:244::/56");
  assert.equal(config.mode, "");
  assert.equal(config.bindAddress, "0.0.0.0");
  assert.equal(config.clientConnection.kubeconfig, "/var/lib/kube-proxy/kubeconfig.conf");

  const kubeconfig = parse(data["kubeconfig.conf"] ?? "");
  assert.equal(kubeconfig.clusters[0].cluster.server, server);
  assert.equal(kubeconfig.users[0].user.tokenFile, "/var/run/secrets/kubernetes.io/serviceaccount/token");
});

test("kubeProxyObjects: an IPv6 server makes kube-proxy bind on ::", () => {
  const data = kubeProxyObjects(withNetwork({}), { server: "https://[fd00::1]:6443" }).configMap.data ?? {};
  assert.equal(parse(data["config.conf"] ?? "").bindAddress, "::");
});

test("kubeProxyObjects: a privileged host-network DaemonSet tolerating every taint", () => {
  const { daemonSet, clusterRoleBinding } = kubeProxyObjects(withAddons({ kubeProxy: {} }), { server });
  const pod = daemonSet.spec?.template.spec;
  assert.equal(pod?.hostNetwork, true);
  assert.equal(pod.priorityClassName, "system-node-critical");
  assert.deepEqual(pod.tolerations, [{ operator: "Exists" }]);
  assert.equal(pod.containers[0]?.securityContext?.privileged, true);
  assert.deepEqual(
    pod.volumes?.map((volume) => volume.name),
    ["kube-proxy", "xtables-lock", "lib-modules"],
  );
  assert.equal(clusterRoleBinding.metadata?.name, "kubeadm:node-proxier");
  assert.equal(clusterRoleBinding.roleRef.name, "system:node-proxier");
});

test("kubeProxyObjects: the pods carry the ConfigMap's checksum, so a new endpoint rolls them", () => {
  const tcp = withAddons({ kubeProxy: {} });
  const checksumFor = (url: string) =>
    kubeProxyObjects(tcp, { server: url }).daemonSet.spec?.template.metadata?.annotations?.[
      kubeProxyConfigChecksumAnnotation
    ];
  const objects = kubeProxyObjects(tcp, { server });
  assert.equal(checksumFor(server), mapChecksum(objects.configMap.data ?? {}));
  assert.equal(checksumFor(server), checksumFor(server), "stable for the same settings");
  assert.notEqual(checksumFor("https://192.0.2.10:31444"), checksumFor("https://192.0.2.10:31443"));
});

test("konnectivityAgentObjects: image defaults to the proxy-agent matching the tenant minor", () => {
  assert.equal(agentContainer(konnectivity())?.image, "registry.k8s.io/kas-network-proxy/proxy-agent:v0.34.0");
  const pinned = konnectivity({ image: "mirror.example.com/proxy-agent", version: "v0.33.1" });
  assert.equal(agentContainer(pinned)?.image, "mirror.example.com/proxy-agent:v0.33.1");
});

test("konnectivityAgentObjects: the managed args point at the server, user extraArgs override them", () => {
  const defaults = agentContainer(withAddons({ konnectivity: { server: { port: 9132 } } }))?.args ?? [];
  assert.ok(defaults.includes("--proxy-server-host=192.0.2.10"));
  assert.ok(defaults.includes("--proxy-server-port=9132"));
  assert.ok(defaults.includes("-v=8"));
  assert.ok(defaults.includes("--service-account-token-path=/var/run/secrets/tokens/konnectivity-agent-token"));

  const args = agentContainer(
    konnectivity({ extraArgs: ["-v=2", "--proxy-server-host=proxy.example.com", "--keepalive-time=30s"] }),
  )?.args;
  assert.ok(args?.includes("-v=2"));
  assert.ok(args?.includes("--proxy-server-host=proxy.example.com"));
  assert.ok(args?.includes("--keepalive-time=30s"));
  assert.ok(!args?.includes("-v=8"));
  assert.equal(args?.filter((arg) => arg.startsWith("--proxy-server-host=")).length, 1);
});

test("konnectivityAgentObjects: DaemonSet mode by default, without replicas", () => {
  const tcp = konnectivity({ hostNetwork: true });
  const { workload } = konnectivityAgentObjects(tcp, { proxyServerHost });
  assert.equal(workload.kind, "DaemonSet");
  assert.equal(workload.metadata?.name, "konnectivity-agent");
  assert.equal(workload.metadata.namespace, "kube-system");
  assert.equal("replicas" in (workload.spec ?? {}), false);
  assert.equal(workload.spec?.template.spec?.hostNetwork, true);
  assert.equal(staleKonnectivityAgentKind(tcp), "Deployment");
});

test("konnectivityAgentObjects: Deployment mode applies replicas", () => {
  const tcp = konnectivity({ mode: "Deployment", replicas: 3 });
  const { workload } = konnectivityAgentObjects(tcp, { proxyServerHost });
  assert.equal(workload.kind, "Deployment");
  assert.equal(workload.spec?.replicas, 3);
  assert.equal(staleKonnectivityAgentKind(tcp), "DaemonSet");
});

test("konnectivityAgentObjects: tolerations from the spec, else the CRD default", () => {
  const pod = (tcp: TenantControlPlane) =>
    konnectivityAgentObjects(tcp, { proxyServerHost }).workload.spec?.template.spec;
  assert.deepEqual(pod(konnectivity())?.tolerations, [{ key: "CriticalAddonsOnly", operator: "Exists" }]);
  const custom = [{ key: "dedicated", operator: "Equal", value: "edge", effect: "NoSchedule" }];
  assert.deepEqual(pod(konnectivity({ tolerations: custom }))?.tolerations, custom);
  assert.equal(pod(konnectivity())?.hostNetwork, false);
});

test("konnectivityAgentObjects: a projected token for the server's audience and the auth-delegator binding", () => {
  const { workload, clusterRoleBinding } = konnectivityAgentObjects(konnectivity(), { proxyServerHost });
  const token = workload.spec?.template.spec?.volumes?.[0]?.projected?.sources?.[0]?.serviceAccountToken;
  assert.equal(token?.audience, "system:konnectivity-server");
  assert.equal(token.expirationSeconds, 3600);
  assert.equal(clusterRoleBinding.metadata?.name, "system:konnectivity-server");
  assert.equal(clusterRoleBinding.roleRef.name, "system:auth-delegator");
  assert.deepEqual(clusterRoleBinding.subjects, [
    { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "system:konnectivity-server" },
  ]);
  assert.equal(clusterRoleBinding.metadata.labels?.["addonmanager.kubernetes.io/mode"], "Reconcile");
  assert.equal(clusterRoleBinding.metadata.labels["kubernetes.io/cluster-service"], "true");
});
