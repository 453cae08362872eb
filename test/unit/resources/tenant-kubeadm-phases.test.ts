import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parse } from "yaml";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import {
  bootstrapTokenObjects,
  clusterAdminObjects,
  clusterInfoChecksum,
  kubeletConfigObjects,
  uploadConfigObjects,
  type TenantObject,
} from "../../../src/resources/tenant/kubeadm-phases.js";
import { tenantControlPlaneWith } from "./fixtures.js";

const owned = { "kamaji.clastix.io/project": "kamaji" };
const rbac = "rbac.authorization.k8s.io";
const group = (name: string) => ({ apiGroup: rbac, kind: "Group", name });
const user = (name: string) => ({ apiGroup: rbac, kind: "User", name });
const nodes = group("system:nodes");
const bootstrappers = group("system:bootstrappers:kubeadm:default-node-token");

/** The object of that kind and name; fails the test when there is not exactly one. */
function find(objects: TenantObject[], kind: string, name: string): any {
  const matches = objects.filter((object) => object.kind === kind && object.metadata?.name === name);
  assert.equal(matches.length, 1, `expected one ${kind} ${name}, found ${matches.length}`);
  return matches[0];
}

/** The `get` Role on one ConfigMap and its RoleBinding, as kubeadm creates them. */
function configMapReader(namespace: string, name: string, configMapName: string, subjects: object[]) {
  return [
    {
      apiVersion: `${rbac}/v1`,
      kind: "Role",
      metadata: { name, namespace, labels: owned },
      rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: [configMapName], verbs: ["get"] }],
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "RoleBinding",
      metadata: { name, namespace, labels: owned },
      roleRef: { apiGroup: rbac, kind: "Role", name },
      subjects,
    },
  ];
}

const clusterRoleBinding = (name: string, clusterRole: string, subjects: object[]) => ({
  apiVersion: `${rbac}/v1`,
  kind: "ClusterRoleBinding",
  metadata: { name, labels: owned },
  roleRef: { apiGroup: rbac, kind: "ClusterRole", name: clusterRole },
  subjects,
});

describe("uploadConfigObjects", () => {
  const clusterConfiguration = {
    apiVersion: "kubeadm.k8s.io/v1beta4",
    kind: "ClusterConfiguration",
    networking: { dnsDomain: "cluster.local", podSubnet: "10.244.0.0/16", serviceSubnet: "10.96.0.0/16" },
    kubernetesVersion: "v1.34.10",
    controlPlaneEndpoint: "192.0.2.10:6443",
    apiServer: { extraArgs: [{ name: "etcd-prefix", value: "/tenant" }], certSANs: ["127.0.0.1", "localhost"] },
    clusterName: "tenant-a",
  };

  test("kube-system/kubeadm-config holds the ClusterConfiguration as YAML", () => {
    const cm = find(uploadConfigObjects({ clusterConfiguration }), "ConfigMap", "kubeadm-config");
    assert.deepEqual(cm.metadata, { name: "kubeadm-config", namespace: "kube-system", labels: owned });
    assert.deepEqual(Object.keys(cm.data), ["ClusterConfiguration"]);
    assert.deepEqual(parse(cm.data.ClusterConfiguration), clusterConfiguration);
    // kubeadm's marshaller sorts the keys.
    assert.ok(cm.data.ClusterConfiguration.startsWith("apiServer:\n"), cm.data.ClusterConfiguration);
  });

  test("kubeadm:nodes-kubeadm-config lets bootstrap tokens and nodes read it", () => {
    const objects = uploadConfigObjects({ clusterConfiguration });
    assert.deepEqual(
      objects.slice(1),
      configMapReader("kube-system", "kubeadm:nodes-kubeadm-config", "kubeadm-config", [bootstrappers, nodes]),
    );
  });

  test("anything but a v1beta4 ClusterConfiguration is rejected", () => {
    assert.throws(
      () => uploadConfigObjects({ clusterConfiguration: { ...clusterConfiguration, kind: "InitConfiguration" } }),
      /upload-config: expected a kubeadm.k8s.io\/v1beta4 ClusterConfiguration, got .* kind "InitConfiguration"/,
    );
  });
});

describe("kubeletConfigObjects", () => {
  const kubeletConfig = (tcp: TenantControlPlane): Record<string, any> =>
    parse(find(kubeletConfigObjects(tcp), "ConfigMap", "kubelet-config").data.kubelet);
  const withPatches = (...patches: any[]) =>
    tenantControlPlaneWith({ kubernetes: { version: "v1.34.10", kubelet: { configurationJSONPatches: patches } } });

  test("without networkProfile: kubeadm's defaults, clusterDNS 10.96.0.10, systemd, cluster.local", () => {
    assert.deepEqual(kubeletConfig(tenantControlPlaneWith({})), {
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: "/etc/kubernetes/pki/ca.crt" },
      },
      authorization: { mode: "Webhook" },
      cgroupDriver: "systemd",
      clusterDNS: ["10.96.0.10"],
      clusterDomain: "cluster.local",
      healthzBindAddress: "127.0.0.1",
      healthzPort: 10248,
      rotateCertificates: true,
      staticPodPath: "/etc/kubernetes/manifests",
    });
  });

  test("clusterDNS, clusterDomain and cgroupDriver come from the spec", () => {
    const config = kubeletConfig(
      tenantControlPlaneWith({
        kubernetes: { version: "v1.34.10", kubelet: { cgroupfs: "cgroupfs" } },
        networkProfile: { clusterDomain: "tenant.example", dnsServiceIPs: ["10.100.0.53", "fd00::53"] },
      }),
    );
    assert.deepEqual(config.clusterDNS, ["10.100.0.53", "fd00::53"]);
    assert.equal(config.clusterDomain, "tenant.example");
    assert.equal(config.cgroupDriver, "cgroupfs");
  });

  test("without dnsServiceIPs, clusterDNS is the webhook default of each service CIDR", () => {
    const dnsOf = (networkProfile: TenantControlPlane["spec"]["networkProfile"]) =>
      kubeletConfig(tenantControlPlaneWith({ networkProfile })).clusterDNS;
    assert.deepEqual(dnsOf({ serviceCidrs: ["10.32.0.0/12", "fd00::/108"] }), ["10.32.0.10", "fd00::10"]);
    assert.deepEqual(dnsOf({ serviceCidr: "172.20.5.0/24" }), ["172.20.5.10"]);
    assert.deepEqual(dnsOf({ serviceCidrs: ["fd00:1::/108"] }), ["fd00:1::10"]);
    assert.deepEqual(dnsOf({ dnsServiceIPs: [], serviceCidrs: ["10.1.0.0/16"] }), ["10.1.0.10"]);
    assert.throws(() => dnsOf({ serviceCidrs: ["10.0.0.0/30"] }), /service CIDR "10.0.0.0\/30" is too small/);
  });

  test("configurationJSONPatches add, replace and remove fields of the rendered configuration", () => {
    const config = kubeletConfig(
      withPatches(
        { op: "add", path: "/featureGates", value: { KubeletCrashLoopBackOffMax: false } },
        { op: "replace", path: "/cgroupDriver", value: "cgroupfs" },
        { op: "add", path: "/clusterDNS/-", value: "10.96.0.11" },
        { op: "remove", path: "/healthzBindAddress" },
        { op: "add", path: "/maxPods", value: 250 },
      ),
    );
    assert.deepEqual(config.featureGates, { KubeletCrashLoopBackOffMax: false });
    assert.equal(config.cgroupDriver, "cgroupfs");
    assert.deepEqual(config.clusterDNS, ["10.96.0.10", "10.96.0.11"]);
    assert.equal("healthzBindAddress" in config, false);
    assert.equal(config.maxPods, 250);
  });

  test("a failing patch throws, naming spec.kubernetes.kubelet.configurationJSONPatches[i] and why", () => {
    const tcp = withPatches(
      { op: "add", path: "/maxPods", value: 250 },
      { op: "remove", path: "/resolvConf" },
      { op: "add", path: "/evictionHard", value: {} },
    );
    assert.throws(() => kubeletConfigObjects(tcp), {
      message:
        'spec.kubernetes.kubelet.configurationJSONPatches[1]: cannot remove "/resolvConf": /resolvConf does not exist',
    });
  });

  test("kubeadm:kubelet-config lets nodes and bootstrap tokens read the ConfigMap", () => {
    const objects = kubeletConfigObjects(tenantControlPlaneWith({}));
    assert.deepEqual(find(objects, "ConfigMap", "kubelet-config").metadata, {
      name: "kubelet-config",
      namespace: "kube-system",
      labels: owned,
    });
    assert.deepEqual(
      objects.slice(1),
      configMapReader("kube-system", "kubeadm:kubelet-config", "kubelet-config", [nodes, bootstrappers]),
    );
  });
});

describe("bootstrapTokenObjects", () => {
  const input = {
    server: "https://192.0.2.10:6443",
    caCertificatePem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  };

  test("the TLS bootstrap RBAC of kubeadm, with exact names, roles and subjects", () => {
    const objects = bootstrapTokenObjects(input);
    assert.deepEqual(find(objects, "ClusterRole", "kubeadm:get-nodes"), {
      apiVersion: `${rbac}/v1`,
      kind: "ClusterRole",
      metadata: { name: "kubeadm:get-nodes", labels: owned },
      rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }],
    });
    assert.deepEqual(
      objects.filter((object) => object.kind === "ClusterRoleBinding"),
      [
        clusterRoleBinding("kubeadm:get-nodes", "kubeadm:get-nodes", [bootstrappers]),
        clusterRoleBinding("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", [bootstrappers]),
        clusterRoleBinding(
          "kubeadm:node-autoapprove-bootstrap",
          "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
          [bootstrappers],
        ),
        clusterRoleBinding(
          "kubeadm:node-autoapprove-certificate-rotation",
          "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
          [nodes],
        ),
      ],
    );
    assert.deepEqual(
      objects.filter((object) => object.kind === "Role" || object.kind === "RoleBinding"),
      configMapReader("kube-public", "kubeadm:bootstrap-signer-clusterinfo", "cluster-info", [
        user("system:anonymous"),
      ]),
    );
  });

  test("kube-public/cluster-info holds a kubeconfig with one unnamed cluster: the server and the CA", () => {
    const cm = find(bootstrapTokenObjects(input), "ConfigMap", "cluster-info");
    assert.deepEqual(cm.metadata, { name: "cluster-info", namespace: "kube-public", labels: owned });
    assert.deepEqual(Object.keys(cm.data), ["kubeconfig"]);
    const kubeconfig = parse(cm.data.kubeconfig);
    assert.equal(kubeconfig.apiVersion, "v1");
    assert.equal(kubeconfig.kind, "Config");
    assert.equal(kubeconfig.clusters.length, 1);
    const [entry] = kubeconfig.clusters;
    assert.equal(entry.name, "");
    assert.equal(entry.cluster.server, input.server);
    assert.equal(
      Buffer.from(entry.cluster["certificate-authority-data"], "base64").toString("utf8"),
      input.caCertificatePem,
    );
    assert.equal(kubeconfig.users, null);
    assert.equal(kubeconfig.contexts, null);
    assert.equal(kubeconfig["current-context"], "");
  });

  test("cluster-info's kubeconfig is byte for byte what clientcmd.Write produces", () => {
    const ca = Buffer.from(input.caCertificatePem).toString("base64");
    const cm = find(bootstrapTokenObjects(input), "ConfigMap", "cluster-info");
    assert.equal(
      cm.data.kubeconfig,
      "apiVersion: v1\n" +
        "clusters:\n" +
        "- cluster:\n" +
        `    certificate-authority-data: ${ca}\n` +
        "    server: https://192.0.2.10:6443\n" +
        '  name: ""\n' +
        "contexts: null\n" +
        'current-context: ""\n' +
        "kind: Config\n" +
        "preferences: {}\n" +
        "users: null\n",
    );
  });

  test("a server that is not a URL is rejected", () => {
    assert.throws(() => bootstrapTokenObjects({ ...input, server: "192.0.2.10:6443" }), /is not a URL/);
  });
});

describe("clusterAdminObjects", () => {
  test("kubeadm:cluster-admins and the API server's kubelet client binding", () => {
    assert.deepEqual(clusterAdminObjects(), [
      clusterRoleBinding("kubeadm:cluster-admins", "cluster-admin", [group("kubeadm:cluster-admins")]),
      clusterRoleBinding("kubeadm:apiserver-kubelet-client", "system:kubelet-api-admin", [
        user("kube-apiserver-kubelet-client"),
      ]),
    ]);
  });
});

describe("clusterInfoChecksum", () => {
  const md5 = (text: string) => createHash("md5").update(text).digest("hex");

  test("md5 of the values in sorted-key order, the bootstrap signer's keys included", () => {
    const data = { kubeconfig: "apiVersion: v1\n", "jws-kubeconfig-abcdef": "signature" };
    assert.equal(clusterInfoChecksum({ data }), md5("signature" + "apiVersion: v1\n"));
    assert.equal(clusterInfoChecksum({}), md5(""));
  });

  test("matches the ConfigMap bootstrapTokenObjects builds", () => {
    const cm = find(
      bootstrapTokenObjects({ server: "https://tenant.example:443", caCertificatePem: "ca" }),
      "ConfigMap",
      "cluster-info",
    );
    assert.equal(clusterInfoChecksum(cm), md5(cm.data.kubeconfig));
  });
});

test("every object carries the kamaji project label", () => {
  const objects = [
    ...uploadConfigObjects({
      clusterConfiguration: { apiVersion: "kubeadm.k8s.io/v1beta4", kind: "ClusterConfiguration" },
    }),
    ...kubeletConfigObjects(tenantControlPlaneWith({})),
    ...bootstrapTokenObjects({ server: "https://192.0.2.10:6443", caCertificatePem: "ca" }),
    ...clusterAdminObjects(),
  ];
  assert.equal(objects.length, 16);
  for (const object of objects) {
    assert.equal(
      object.metadata?.labels?.["kamaji.clastix.io/project"],
      "kamaji",
      `${object.kind} ${object.metadata?.name}`,
    );
  }
});
