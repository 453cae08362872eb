// The node tier for real: a single-node cluster in netns kamaji-node, started and removed by this test in a
// temporary cluster dir. Needs root, the Debian packages and the upstream binaries (skipped otherwise), and no
// other node-tier cluster on this machine (the netns, veth and routes have fixed names).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startCluster, stopCluster } from "../../tools/cluster/lifecycle.js";
import { nodeTierDefaults } from "../../tools/cluster/node-tier.js";
import type { ClusterState } from "../../tools/cluster/state.js";
import { kubernetesBinary } from "../../tools/upstream.js";
import { nodeTierSkipReason } from "../helpers/node-tier-e2e.js";

const skip = nodeTierSkipReason([() => kubernetesBinary("kubelet")], false);
const log = (message: string) => {
  console.error(`[node-tier] ${message}`);
};

const web = {
  apiVersion: "v1",
  kind: "List",
  items: [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            containers: [
              {
                name: "web",
                image: "kamaji.local/test/busybox:1",
                imagePullPolicy: "Never",
                ports: [{ containerPort: 8080 }],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "default" },
      spec: { selector: { app: "web" }, ports: [{ port: 8080, targetPort: 8080 }] },
    },
  ],
};

describe("node tier", { skip }, () => {
  const dir = mkdtempSync("/var/tmp/kamaji-node-e2e-");
  let state: ClusterState;
  const kubectl = (args: string[], input?: string) =>
    execFileSync(kubernetesBinary("kubectl"), ["--kubeconfig", state.kubeconfig, ...args], {
      encoding: "utf8",
      input,
      stdio: ["pipe", "pipe", "pipe"],
    });

  before(async () => {
    const begin = Date.now();
    state = (await startCluster(dir, "node", log)).state;
    log(`up in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    await stopCluster(dir, log);
    // Nothing of the cluster is left on the host.
    assert.equal(existsSync(`/var/run/netns/${nodeTierDefaults.netns}`), false, "netns left");
    assert.doesNotMatch(execFileSync("ip", ["route"], { encoding: "utf8" }), /10\.244\.|10\.96\./, "routes left");
    assert.notEqual(spawnSync("ip", ["link", "show", nodeTierDefaults.hostVeth]).status, 0, "host veth left");
    assert.doesNotMatch(readFileSync("/proc/self/mountinfo", "utf8"), new RegExp(` ${dir}[/ ]`), "mounts left");
    for (const hierarchy of readdirSync("/sys/fs/cgroup"))
      assert.equal(existsSync(`/sys/fs/cgroup/${hierarchy}/kubelet`), false, `cgroup ${hierarchy}/kubelet left`);
    assert.equal(existsSync(dir), false, "cluster dir left");
  });

  test("the node is Ready", () => {
    const ready = kubectl([
      "get",
      "node",
      nodeTierDefaults.nodeName,
      "-o",
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]);
    assert.equal(ready, "True");
  });

  test("a Deployment becomes Available and its ClusterIP Service answers from the host", async () => {
    kubectl(["apply", "-f", "-"], JSON.stringify(web));
    kubectl(["wait", "--for=condition=Available", "deployment/web", "--timeout=120s"]);
    const clusterIP = kubectl(["get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"]);
    const pod = kubectl(["get", "pods", "-l", "app=web", "-o", "jsonpath={.items[0].metadata.name}"]);
    // kube-proxy syncs its rules at most once a second: retry briefly.
    let body = "";
    for (let attempt = 0; attempt < 40 && body.trim() !== pod; attempt++) {
      try {
        body = await (await fetch(`http://${clusterIP}:8080/`, { signal: AbortSignal.timeout(2000) })).text();
      } catch {
        await sleep(250);
      }
    }
    assert.equal(body.trim(), pod);
  });

  test("a pod resolves the Service through cluster DNS", (t) => {
    const coredns = spawnSync(kubernetesBinary("kubectl"), [
      "--kubeconfig",
      state.kubeconfig,
      "-n",
      "kube-system",
      "get",
      "deployment",
      "coredns",
    ]);
    if (coredns.status !== 0) {
      t.skip("CoreDNS is not deployed (its binary is not built)");
      return;
    }
    const clusterIP = kubectl(["get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"]);
    const answer = kubectl([
      "exec",
      "deployment/web",
      "--",
      "nslookup",
      "web.default.svc.cluster.local",
      nodeTierDefaults.clusterDNS,
    ]);
    assert.match(answer, new RegExp(`Address:\\s+${clusterIP.replaceAll(".", "\\.")}\\b`));
  });
});
