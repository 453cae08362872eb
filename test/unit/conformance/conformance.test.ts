import assert from "node:assert/strict";
import { test } from "node:test";
import { plannedImages } from "../../../tools/conformance/images.js";
import {
  conformanceProblem,
  fewNodesWarning,
  schedulableNodes,
  type NodeView,
} from "../../../tools/conformance/preflight.js";
import { specProgress, type SpecProgress } from "../../../tools/conformance/progress.js";
import { parseJunitReport, summaryLine } from "../../../tools/conformance/report.js";
import { testApiGroupObjects } from "../../../tools/conformance/run.js";

const junit = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="6" disabled="2" errors="0" failures="1" time="40.5">
  <testsuite name="Kubernetes e2e suite" package="/usr/local/bin" tests="6" skipped="3" failures="1" time="40.5">
    <properties><property name="SuiteSucceeded" value="false"></property></properties>
    <testcase name="[SynchronizedBeforeSuite]" classname="Kubernetes e2e suite" status="passed" time="1.5"></testcase>
    <testcase name="[It] [sig-apps] Deployment should run [Conformance]" classname="Kubernetes e2e suite" status="passed" time="10"></testcase>
    <testcase name="[It] [sig-network] DNS should resolve [Conformance]" classname="Kubernetes e2e suite" status="failed" time="20">
      <failure message="timed out" type="failed">[FAILED] timed out</failure>
    </testcase>
    <testcase name="[It] [sig-node] Pods should run [Provider:GCE]" classname="Kubernetes e2e suite" status="skipped" time="0.5">
      <skipped message="skipped - Only supported for providers [gce] (not skeleton)"></skipped>
    </testcase>
    <testcase name="[It] [sig-storage] filtered out" classname="Kubernetes e2e suite" status="skipped" time="0">
      <skipped message="skipped"></skipped>
    </testcase>
    <testcase name="[ReportAfterSuite] Kubernetes e2e suite report" classname="Kubernetes e2e suite" status="passed" time="0"></testcase>
  </testsuite>
</testsuites>`;

test("the JUnit report counts the specs the run selected: passed, failed, skipped with a reason", () => {
  const result = parseJunitReport(junit);
  assert.equal(result.passed, 1);
  assert.deepEqual(result.failed, ["[sig-network] DNS should resolve [Conformance]"]);
  assert.deepEqual(result.skipped, ["[sig-node] Pods should run [Provider:GCE]"]);
  assert.equal(result.total, 3);
  assert.equal(result.seconds, 30.5);
  assert.equal(summaryLine(result), "conformance: 1 passed, 1 failed, 1 skipped of 3");
});

test("a file that is no JUnit report is refused", () => {
  assert.throws(() => parseJunitReport("<html></html>"), /not a JUnit report/);
});

test("progress follows ginkgo's succinct output across chunks that split lines", () => {
  let state: SpecProgress = { total: undefined, done: 0, failed: [], tail: "" };
  state = specProgress(state, "Running Suite\nWill run 4 of 71");
  assert.equal(state.total, undefined);
  state = specProgress(state, "44 specs\nSSSS•SS•");
  assert.equal(state.total, 4);
  assert.equal(state.done, 2);
  state = specProgress(state, "SS\n• [FAILED] [12.3 seconds]\n");
  state = specProgress(state, "[sig-network] DNS should resolve\n");
  assert.equal(state.done, 3);
  assert.deepEqual(state.failed, ["[sig-network] DNS should resolve"]);
  state = specProgress(state, "•SSS\n");
  assert.equal(state.done, 4);
});

const node = (name: string, ready: boolean, extra: Partial<NodeView["spec"]> = {}): NodeView => ({
  metadata: { name },
  spec: extra,
  status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});

test("schedulable nodes are Ready, not cordoned and free of NoSchedule and NoExecute taints", () => {
  const nodes = [
    node("a", true),
    node("b", false),
    node("c", true, { unschedulable: true }),
    node("d", true, { taints: [{ key: "x", effect: "NoSchedule" }] }),
    node("e", true, { taints: [{ key: "y", effect: "PreferNoSchedule" }] }),
  ];
  assert.deepEqual(schedulableNodes(nodes), ["a", "e"]);
});

test("the suite refuses a tenant that is not Ready or has no node that takes pods", () => {
  assert.match(conformanceProblem("ns/t", "Provisioning", []) ?? "", /not Ready \(status Provisioning\)/);
  assert.match(conformanceProblem("ns/t", undefined, []) ?? "", /not Ready \(status none\)/);
  assert.match(conformanceProblem("ns/t", "Ready", []) ?? "", /no worker nodes.*join ns\/t --workers 2/);
  assert.match(conformanceProblem("ns/t", "Ready", [node("w1", false)]) ?? "", /no Ready, schedulable node \(w1\)/);
  assert.equal(conformanceProblem("ns/t", "Ready", [node("w1", true)]), undefined);
  assert.match(fewNodesWarning("ns/t", ["w1"]) ?? "", /1 schedulable node/);
  assert.equal(fewNodesWarning("ns/t", ["w1", "w2"]), undefined);
});

test("the images built are those of the repositories conformance tests use, every tag listed", () => {
  const listed = [
    "registry.k8s.io/e2e-test-images/agnhost:2.56",
    "registry.k8s.io/e2e-test-images/httpd:2.4.38-4",
    "registry.k8s.io/e2e-test-images/httpd:2.4.39-4",
    "registry.k8s.io/e2e-test-images/kitten:1.7",
    "invalid.registry.k8s.io/invalid/alpine:3.1",
    "registry.k8s.io/etcd:3.6.4-0",
    "registry.k8s.io/sig-storage/csi-attacher:v4.8.0",
    "",
  ].join("\n");
  assert.deepEqual(
    plannedImages(listed).map((i) => [i.kind, i.tag]),
    [
      ["agnhost", "2.56"],
      ["httpd", "2.4.38-4"],
      ["httpd", "2.4.39-4"],
      ["etcd", "3.6.4-0"],
    ],
  );
});

test("after an interrupted run, the tests' example.com API groups are removed and nothing else", () => {
  const list = {
    items: [
      { metadata: { name: "noxus.mygroup.example.com" }, spec: { group: "mygroup.example.com" } },
      { metadata: { name: "v1alpha1.wardle.example.com" }, spec: { group: "wardle.example.com" } },
      { metadata: { name: "tenantcontrolplanes.kamaji.clastix.io" }, spec: { group: "kamaji.clastix.io" } },
      { metadata: { name: "v1.apps" }, spec: { group: "apps" } },
      { metadata: { name: "v1." }, spec: {} },
      { metadata: { name: "things.notexample.com" }, spec: { group: "notexample.com" } },
    ],
  };
  assert.deepEqual(testApiGroupObjects(JSON.stringify(list)), [
    "noxus.mygroup.example.com",
    "v1alpha1.wardle.example.com",
  ]);
});
