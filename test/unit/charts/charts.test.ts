// The charts as helm renders them (the real helm binary, `helm template`): least privilege and restricted pod
// security, and names that agree with the manager's flags.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { binary, repoDir, versions } from "../../../tools/upstream.js";

interface Rendered {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  rules?: { verbs: string[]; resources?: string[] }[];
  webhooks?: { name: string; clientConfig: { service: { name: string; path: string } } }[];
}

function render(chart: string, values: string[] = []): Rendered[] {
  const output = execFileSync(
    binary("helm", "helm"),
    [
      "template",
      "kamaji",
      `${repoDir}charts/${chart}`,
      "-n",
      "kamaji-system",
      "--kube-version",
      versions.kubernetes,
      ...values,
    ],
    { encoding: "utf8" },
  );
  return parseAllDocuments(output)
    .map((d) => d.toJS() as Rendered | null)
    .filter((d): d is Rendered => d !== null);
}

interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  containers: { name: string; securityContext?: Record<string, unknown>; args?: string[] }[];
  volumes?: Record<string, unknown>[];
}
const podSpecOf = (object: Rendered) => (object.spec as { template: { spec: PodSpec } } | undefined)?.template.spec;

test("every pod of the kamaji chart meets restricted pod security", () => {
  const workloads = render("kamaji").filter((o) => ["Deployment", "StatefulSet", "Job"].includes(o.kind));
  assert.deepEqual(workloads.map((o) => o.kind).sort(), ["Deployment", "Job", "StatefulSet"]);
  for (const workload of workloads) {
    const pod = podSpecOf(workload);
    assert.ok(pod, workload.metadata.name);
    assert.equal(pod.securityContext?.runAsNonRoot, true, workload.metadata.name);
    assert.equal(pod.securityContext.seccompProfile?.type, "RuntimeDefault", workload.metadata.name);
    for (const volume of pod.volumes ?? []) assert.ok(!("hostPath" in volume), `${workload.metadata.name}: hostPath`);
    for (const container of pod.containers) {
      const context = container.securityContext ?? {};
      assert.equal(context.allowPrivilegeEscalation, false, container.name);
      assert.deepEqual(context.capabilities, { drop: ["ALL"] }, container.name);
    }
  }
});

test("the operator may not delete anything, and may patch only its own webhook configurations", () => {
  const clusterRole = render("kamaji").find((o) => o.kind === "ClusterRole");
  assert.ok(clusterRole?.rules);
  for (const rule of clusterRole.rules) {
    assert.ok(!rule.verbs.includes("delete") && !rule.verbs.includes("*"), JSON.stringify(rule));
    if (rule.resources?.some((r) => r.endsWith("webhookconfigurations"))) {
      assert.deepEqual((rule as { resourceNames?: string[] }).resourceNames, [
        "kamaji-mutating-webhook-configuration",
        "kamaji-validating-webhook-configuration",
      ]);
    }
  }
});

test("the manager's flags name the Service and webhook configurations the chart creates", () => {
  const objects = render("kamaji");
  const args = podSpecOf(objects.find((o) => o.kind === "Deployment")!)?.containers[0]?.args ?? [];
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  const names = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
  assert.ok(names("Service").includes(flag("webhook-service-name") ?? ""));
  assert.ok(names("MutatingWebhookConfiguration").includes(flag("mutating-webhook-configuration") ?? ""));
  assert.ok(names("ValidatingWebhookConfiguration").includes(flag("validating-webhook-configuration") ?? ""));
  for (const kind of ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]) {
    for (const webhook of objects.find((o) => o.kind === kind)?.webhooks ?? []) {
      assert.equal(webhook.clientConfig.service.name, flag("webhook-service-name"));
    }
  }
  assert.equal(flag("datastore"), "default");
  assert.ok(objects.some((o) => o.kind === "DataStore" && o.metadata.name === "default"));
  assert.ok(!render("kamaji", ["--set", "etcd.deploy=false"]).some((o) => o.kind === "DataStore"));
});

test("the CRD chart renders the three CRDs, kept on uninstall", () => {
  const crds = render("kamaji-crds");
  assert.deepEqual(crds.map((c) => c.metadata.name).sort(), [
    "datastores.kamaji.clastix.io",
    "kubeconfiggenerators.kamaji.clastix.io",
    "tenantcontrolplanes.kamaji.clastix.io",
  ]);
  for (const crd of crds) {
    const annotations = (crd.metadata as { annotations?: Record<string, string> }).annotations;
    assert.equal(annotations?.["helm.sh/resource-policy"], "keep");
  }
});
