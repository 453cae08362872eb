import assert from "node:assert/strict";
import { test } from "node:test";
import { tenantPlan, type TenantInputs } from "../../../src/controllers/soot/tenant-plan.js";
import { tenantResourceTypeOf } from "../../../src/controllers/soot/tenant-types.js";
import type { KubeObject } from "../../../src/runtime/kube-client.js";
import { tenantControlPlaneWith } from "../resources/fixtures.js";

const inputs: TenantInputs = {
  clusterConfiguration: { apiVersion: "kubeadm.k8s.io/v1beta4", kind: "ClusterConfiguration" },
  caCertificatePem: "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n",
  server: "https://10.96.0.20:6443",
  proxyServerHost: "10.96.0.20",
  apiServer: { address: "10.96.0.20", port: 6443 },
};

const ids = (objects: readonly KubeObject[]) =>
  objects.map((o) => `${o.kind ?? ""}/${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`);

test("the kubeadm phases are always applied, and every object maps to a tenant resource type", () => {
  const plan = tenantPlan(tenantControlPlaneWith({}), inputs);
  const applied = ids(plan.apply);
  for (const expected of [
    "ConfigMap/kube-system/kubeadm-config",
    "ConfigMap/kube-system/kubelet-config",
    "ConfigMap/kube-public/cluster-info",
    "ClusterRoleBinding//kubeadm:cluster-admins",
    "Endpoints/default/kubernetes",
    "EndpointSlice/default/kubernetes",
  ]) {
    assert.ok(applied.includes(expected), `${expected} is applied`);
  }
  for (const object of [...plan.apply, ...plan.remove]) assert.doesNotThrow(() => tenantResourceTypeOf(object));
});

test("an enabled addon is applied; a disabled one is in the removal list under the same names", () => {
  const without = tenantPlan(tenantControlPlaneWith({}), inputs);
  const withAddons = tenantPlan(
    tenantControlPlaneWith({ addons: { coreDNS: {}, kubeProxy: {}, konnectivity: { server: { port: 8132 } } } }),
    inputs,
  );
  for (const name of ["Deployment/kube-system/coredns", "DaemonSet/kube-system/kube-proxy"]) {
    assert.ok(ids(withAddons.apply).includes(name), `${name} applied when enabled`);
    assert.ok(!ids(withAddons.remove).includes(name), `${name} not removed when enabled`);
    assert.ok(ids(without.remove).includes(name), `${name} removed when disabled`);
    assert.ok(!ids(without.apply).includes(name), `${name} not applied when disabled`);
  }
  assert.ok(ids(withAddons.apply).includes("DaemonSet/kube-system/konnectivity-agent"));
  // The workload of the other agent mode is cleaned up.
  assert.ok(ids(withAddons.remove).includes("Deployment/kube-system/konnectivity-agent"));
  assert.ok(ids(without.remove).includes("DaemonSet/kube-system/konnectivity-agent"));
});

test("the kube-proxy kubeconfig points at the control-plane endpoint", () => {
  const plan = tenantPlan(tenantControlPlaneWith({ addons: { kubeProxy: {} } }), inputs);
  const configMap = plan.apply.find((o) => o.kind === "ConfigMap" && o.metadata.name === "kube-proxy") as
    (KubeObject & { data: Record<string, string> }) | undefined;
  assert.match(configMap?.data["kubeconfig.conf"] ?? "", /server: https:\/\/10\.96\.0\.20:6443/);
});

test("the kubernetes Service's endpoints are the API servers' address and port, in the Endpoints and the slice", () => {
  const plan = tenantPlan(tenantControlPlaneWith({}), { ...inputs, apiServer: { address: "fd00::20", port: 31443 } });
  const endpoints = plan.apply.find((o) => o.kind === "Endpoints") as KubeObject & { subsets: unknown };
  const slice = plan.apply.find((o) => o.kind === "EndpointSlice") as KubeObject & Record<string, unknown>;
  const https = [{ name: "https", port: 31443, protocol: "TCP" }];
  assert.deepEqual(endpoints.subsets, [{ addresses: [{ ip: "fd00::20" }], ports: https }]);
  assert.equal(endpoints.metadata.labels?.["endpointslice.kubernetes.io/skip-mirror"], "true", "the slice is ours");
  assert.equal(slice.addressType, "IPv6");
  assert.deepEqual(slice.endpoints, [{ addresses: ["fd00::20"], conditions: { ready: true } }]);
  assert.deepEqual(slice.ports, https);
  assert.equal(slice.metadata.labels?.["kubernetes.io/service-name"], "kubernetes");
});

test("write permissions: the webhook configuration is applied while a block is set, removed once none is", () => {
  const guard = { baseUrl: "https://kamaji-webhook-service.kamaji-system.svc:443", caBundlePem: "CA" };
  const name = "ValidatingWebhookConfiguration//kamaji-write-permissions";
  const blocked = tenantPlan(tenantControlPlaneWith({ writePermissions: { blockCreation: true } }), {
    ...inputs,
    guard,
  });
  assert.ok(ids(blocked.apply).includes(name));
  const open = tenantPlan(tenantControlPlaneWith({}), { ...inputs, guard });
  assert.ok(ids(open.remove).includes(name));
  assert.ok(!ids(open.apply).includes(name));
  // Without a webhook server nothing can enforce it: nothing applied, nothing removed (the reconciler warns).
  const unserved = tenantPlan(tenantControlPlaneWith({ writePermissions: { blockCreation: true } }), inputs);
  assert.ok(!ids(unserved.apply).includes(name) && !ids(unserved.remove).includes(name));
});

test("upgrades: kubeadm-config and the addons follow the version the control plane runs, not the one asked for", () => {
  const tcp = tenantControlPlaneWith({
    addons: { coreDNS: {}, kubeProxy: {}, konnectivity: { server: { port: 8132 }, agent: {} } },
  });
  tcp.spec.kubernetes.version = "v1.35.8";
  tcp.status = { kubernetesResources: { version: { version: "v1.34.10", status: "Upgrading" } } };
  const images = (plan: ReturnType<typeof tenantPlan>) =>
    plan.apply.flatMap(
      (o) =>
        (o as { spec?: { template?: { spec?: { containers?: { image: string }[] } } } }).spec?.template?.spec
          ?.containers ?? [],
    );
  const kubeadmConfig = (plan: ReturnType<typeof tenantPlan>) =>
    (
      plan.apply.find((o) => o.metadata.name === "kubeadm-config") as
        (KubeObject & { data: Record<string, string> }) | undefined
    )?.data.ClusterConfiguration ?? "";

  const rolling = tenantPlan(tcp, inputs);
  assert.deepEqual(
    images(rolling)
      .map((c) => c.image)
      .sort(),
    [
      "registry.k8s.io/coredns/coredns:v1.12.1",
      "registry.k8s.io/kas-network-proxy/proxy-agent:v0.34.0",
      "registry.k8s.io/kube-proxy:v1.34.10",
    ],
  );
  assert.match(kubeadmConfig(rolling), /kubernetesVersion: v1\.34\.10/);

  tcp.status = { kubernetesResources: { version: { version: "v1.35.8", status: "Ready" } } };
  const done = tenantPlan(tcp, inputs);
  assert.deepEqual(
    images(done)
      .map((c) => c.image)
      .sort(),
    [
      "registry.k8s.io/coredns/coredns:v1.13.1",
      "registry.k8s.io/kas-network-proxy/proxy-agent:v0.35.0",
      "registry.k8s.io/kube-proxy:v1.35.8",
    ],
  );
  assert.match(kubeadmConfig(done), /kubernetesVersion: v1\.35\.8/);
  // The TCP itself is not changed.
  assert.equal(tcp.spec.kubernetes.version, "v1.35.8");
});

test("migrations: while Migrating only the freeze is applied; otherwise the freeze is removed before any apply", () => {
  const tcp = tenantControlPlaneWith({ addons: { coreDNS: {} } });
  const guard = { baseUrl: "https://kamaji-webhook-service.kamaji-system.svc:443", caBundlePem: "CA" };
  tcp.status = { kubernetesResources: { version: { status: "Migrating" } } };
  const frozen = tenantPlan(tcp, { ...inputs, guard });
  assert.equal(frozen.frozen, true);
  assert.deepEqual(ids(frozen.apply), ["ValidatingWebhookConfiguration//kamaji-freeze"]);
  assert.deepEqual(frozen.remove, []);
  tcp.status = { kubernetesResources: { version: { status: "Ready" } } };
  const thawed = tenantPlan(tcp, { ...inputs, guard });
  assert.equal(thawed.frozen, false);
  // The freeze would refuse the applies (system:masters included): it goes first.
  assert.deepEqual(ids(thawed.removeFirst), ["ValidatingWebhookConfiguration//kamaji-freeze"]);
  assert.ok(!ids(thawed.apply).includes("ValidatingWebhookConfiguration//kamaji-freeze"));
});
