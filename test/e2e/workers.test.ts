// Worker machines join tenant clusters with the real `kubeadm join` (reference §8 worker_kubeadm_join), on the node
// tier: Kamaji from its charts, tenants exposed as NodePorts, workers in network and mount namespaces of their own
// behind each tenant's LAN router. Asserts that the tenants behave as clusters (pods across workers, Services, DNS,
// kubectl logs/exec/port-forward through konnectivity in both agent modes), that bad input is refused before
// anything is made, and that `leave` and `down` remove everything. KAMAJI_E2E_REUSE_CLUSTER=1 reuses the running
// development cluster.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { isRunning } from "../../tools/cluster/daemon.js";
import { clusterDir, startCluster, stopCluster } from "../../tools/cluster/lifecycle.js";
import { succeeds } from "../../tools/cluster/machine/commands.js";
import { cgroupPids } from "../../tools/cluster/machine/cgroups.js";
import { nodeTierDefaults } from "../../tools/cluster/node-tier.js";
import { loadState, type ClusterState } from "../../tools/cluster/state.js";
import { followEndpoint } from "../../tools/cluster/workers/follow.js";
import { joinWorkers } from "../../tools/cluster/workers/join.js";
import { leaveWorkers } from "../../tools/cluster/workers/leave.js";
import { waitForTenantReady, writeTenantKubeconfig } from "../../tools/demo/tenant.js";
import { installKamaji, kubectl, kubectlApply } from "../../tools/install/install.js";
import { binary, kubernetesBinary, versions } from "../../tools/upstream.js";
import { busyboxImage } from "../../tools/images/catalog.js";
import { joinableTenantManifest, nodeTierSkipReason, reuseCluster } from "../helpers/node-tier-e2e.js";

const reuse = reuseCluster;

const skip = nodeTierSkipReason([
  () => kubernetesBinary("kubeadm"),
  () => kubernetesBinary("kubelet"),
  () => binary("helm", "helm"),
]);
const log = (message: string) => {
  console.error(`[workers] ${message}`);
};
const namespace = "e2e-workers";

const joinableTenant = (name: string, apiPort: number, konnectivityPort: number, version = versions.kubernetes) =>
  joinableTenantManifest(namespace, name, apiPort, konnectivityPort, { version });

interface PodList {
  items: {
    metadata: { name: string; labels?: Record<string, string> };
    spec: { nodeName?: string };
    status: {
      phase?: string;
      podIP?: string;
      containerStatuses?: { restartCount: number; ready: boolean }[];
    };
  }[];
}

describe("worker machines", { skip }, () => {
  let state: ClusterState;
  let dir: string;
  let started = false;
  let removedByTest = false;
  const kubeconfigs = new Map<string, string>();
  const admin = (args: string[], input?: string) => kubectl(args, state.kubeconfig, input);
  const tenant = (name: string, args: string[], input?: string) => kubectl(args, kubeconfigs.get(name) ?? "", input);
  const ref = (name: string) => ({ namespace, name });
  const patchTcp = (name: string, patch: string) =>
    admin(["patch", "tcp", name, "-n", namespace, "--type=merge", "-p", patch]);
  const until = async <T>(what: string, check: () => T | undefined, timeoutMs = 90_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let value: T | undefined;
      try {
        value = check();
      } catch {
        value = undefined;
      }
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(1_000);
    }
  };
  const createTenant = async (manifest: ReturnType<typeof joinableTenant>) => {
    kubectlApply(JSON.stringify(manifest), state.kubeconfig);
    const ready = await waitForTenantReady(ref(manifest.metadata.name), state.kubeconfig, log);
    const path = `${state.dir}/e2e-${manifest.metadata.name}.kubeconfig`;
    writeTenantKubeconfig(ref(manifest.metadata.name), ready, state.kubeconfig, path);
    kubeconfigs.set(manifest.metadata.name, path);
  };
  const join = (name: string, names: string[], extra: { token?: string; kubeletVersion?: string } = {}) =>
    joinWorkers(state.dir, { tenant: ref(name), count: names.length, names, progress: log, ...extra });
  /** What a refused join must leave as it was: our namespaces, the recorded workers and LANs, the host's conntrack. */
  const workerFootprint = () => {
    const recorded = loadState(state.dir);
    return {
      netns: readdirSync("/var/run/netns")
        .filter((n) => n.startsWith("kamaji-"))
        .sort(),
      workers: (recorded?.workers ?? []).map((w) => w.name),
      lans: (recorded?.lans ?? []).map((l) => l.tenant),
      conntrackMax: readFileSync("/proc/sys/net/netfilter/nf_conntrack_max", "utf8").trim(),
    };
  };
  const joinError = async (name: string, names: string[], extra: { token?: string; kubeletVersion?: string } = {}) => {
    const before = workerFootprint();
    try {
      await join(name, names, extra);
    } catch (error) {
      assert.deepEqual(workerFootprint(), before, "a refused join changes nothing");
      return (error as Error).message;
    }
    assert.fail(`joining ${name} with ${names.join(",")} should have been refused`);
  };
  const nodes = (name: string) =>
    JSON.parse(tenant(name, ["get", "nodes", "-o", "json"])) as {
      items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[];
    };
  const readyNodes = (name: string) =>
    nodes(name)
      .items.filter((n) => n.status.conditions.some((c) => c.type === "Ready" && c.status === "True"))
      .map((n) => n.metadata.name)
      .sort();
  const pods = (name: string, args: string[]) =>
    JSON.parse(tenant(name, ["get", "pods", "-o", "json", ...args])) as PodList;

  before(async () => {
    const begin = Date.now();
    const running = reuse ? loadState(clusterDir()) : undefined;
    dir = running?.dir ?? mkdtempSync("/var/tmp/kamaji-workers-e2e-");
    state = running ?? (await startCluster(dir, "node", log)).state;
    started = true;
    await installKamaji(state, { progress: log });
    kubectlApply(
      JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }),
      state.kubeconfig,
    );
    await createTenant(joinableTenant("alpha", 31443, 31132));
    log(`cluster, Kamaji and tenant alpha ready in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    if (!started || removedByTest) return;
    if (reuse) {
      const ours = (loadState(state.dir)?.workers ?? []).filter((w) => w.tenant.startsWith(`${namespace}/`));
      for (const tenantName of new Set(ours.map((w) => w.tenant.split("/")[1] ?? "")))
        await leaveWorkers(state.dir, ref(tenantName), undefined, log).catch(() => undefined);
      admin(["delete", "namespace", namespace, "--wait=false"]);
      return;
    }
    await stopCluster(dir, log);
  });

  test("worker_kubeadm_join: a machine joins with kubeadm join and a tenant token, and its Node turns Ready", async () => {
    const [worker] = await join("alpha", ["alpha-w1"]);
    assert.ok(worker);
    assert.deepEqual(readyNodes("alpha"), ["alpha-w1"]);
    const node = JSON.parse(tenant("alpha", ["get", "node", "alpha-w1", "-o", "json"])) as {
      spec: { podCIDR: string };
      status: { nodeInfo: { kubeletVersion: string }; addresses: { type: string; address: string }[] };
    };
    assert.equal(node.status.nodeInfo.kubeletVersion, versions.kubernetes);
    assert.ok(node.status.addresses.some((a) => a.type === "InternalIP" && a.address === worker.address));
    assert.match(node.spec.podCIDR, /^10\.244\.\d+\.0\/24$/, "a pod range from the tenant's pod CIDR");
    // The kubelet's identity came from TLS bootstrap: a CSR by the bootstrap token, approved by the tenant.
    const csrs = JSON.parse(tenant("alpha", ["get", "csr", "-o", "json"])) as {
      items: { spec: { username: string; signerName: string }; status: { conditions?: { type: string }[] } }[];
    };
    const bootstrap = csrs.items.find(
      (c) =>
        c.spec.username.startsWith("system:bootstrap:") && c.spec.signerName.endsWith("kube-apiserver-client-kubelet"),
    );
    assert.ok(bootstrap, "the kubelet asked for its certificate with the bootstrap token");
    assert.ok(bootstrap.status.conditions?.some((c) => c.type === "Approved"));
    const joinLog = readFileSync(`${worker.dir}/kubeadm-join.log`, "utf8");
    assert.match(joinLog, /This node has joined the cluster/);
    assert.doesNotMatch(joinLog, /ignore-preflight-errors|\[ERROR/);
  });

  test("two workers: kube-proxy and CoreDNS run on them, pods spread, a Service answers by DNS name from the other worker", async () => {
    await join("alpha", ["alpha-w2"]);
    assert.deepEqual(readyNodes("alpha"), ["alpha-w1", "alpha-w2"]);
    await until("kube-proxy on both workers and CoreDNS ready", () => {
      const system = pods("alpha", ["-n", "kube-system"]).items;
      const proxies = system.filter((p) => p.metadata.labels?.["k8s-app"] === "kube-proxy");
      const dns = system.filter((p) => p.metadata.labels?.["k8s-app"] === "kube-dns");
      const ready = (p: PodList["items"][number]) => p.status.containerStatuses?.every((c) => c.ready) === true;
      return proxies.length === 2 && proxies.every(ready) && dns.length > 0 && dns.every(ready) ? true : undefined;
    });
    const image = busyboxImage().name;
    tenant(
      "alpha",
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "web", namespace: "default" },
            spec: {
              replicas: 2,
              selector: { matchLabels: { app: "web" } },
              template: {
                metadata: { labels: { app: "web" } },
                spec: {
                  terminationGracePeriodSeconds: 1,
                  topologySpreadConstraints: [
                    {
                      maxSkew: 1,
                      topologyKey: "kubernetes.io/hostname",
                      whenUnsatisfiable: "DoNotSchedule",
                      labelSelector: { matchLabels: { app: "web" } },
                    },
                  ],
                  containers: [
                    {
                      name: "web",
                      image,
                      imagePullPolicy: "Never",
                      command: ["sh", "-c", "hostname > /tmp/index.html; echo serving; exec httpd -f -p 8080 -h /tmp"],
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
            spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
          },
        ],
      }),
    );
    tenant("alpha", ["rollout", "status", "deployment/web", "--timeout=90s"]);
    const web = pods("alpha", ["-l", "app=web"]).items;
    assert.deepEqual(web.map((p) => p.spec.nodeName).sort(), ["alpha-w1", "alpha-w2"]);
    const [onW1, onW2] = ["alpha-w1", "alpha-w2"].map((n) => web.find((p) => p.spec.nodeName === n));
    assert.ok(onW1 && onW2);
    // Pod to pod across workers, by pod IP.
    const direct = await until(
      `${onW1.metadata.name} to reach ${onW2.status.podIP ?? "?"}:8080`,
      () =>
        tenant("alpha", [
          "exec",
          onW1.metadata.name,
          "--",
          "timeout",
          "5",
          "wget",
          "-qO-",
          `http://${onW2.status.podIP}:8080`,
        ]),
      30_000,
    );
    assert.equal(direct.trim(), onW2.metadata.name);
    // The Service by DNS name, from each worker: CoreDNS answers, kube-proxy balances over both pods.
    for (const from of [onW1, onW2]) {
      const lookup = tenant("alpha", ["exec", from.metadata.name, "--", "nslookup", "web.default.svc.cluster.local"]);
      const serviceIP = tenant("alpha", ["get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"]);
      assert.match(lookup, new RegExp(`Address: ${serviceIP.replaceAll(".", "\\.")}`));
    }
    const seen = new Set<string>();
    for (let i = 0; i < 20 && seen.size < 2; i++) {
      seen.add(
        tenant("alpha", [
          "exec",
          onW2.metadata.name,
          "--",
          "timeout",
          "5",
          "wget",
          "-qO-",
          "http://web.default.svc.cluster.local",
        ]).trim(),
      );
    }
    assert.deepEqual([...seen].sort(), [onW1.metadata.name, onW2.metadata.name].sort());
  });

  /** logs, exec, port-forward and the node proxy: each goes API server → konnectivity → agent → kubelet. */
  const assertKubeletTraffic = async (podName: string, node: string) => {
    assert.match(tenant("alpha", ["logs", podName]), /serving/);
    assert.equal(tenant("alpha", ["exec", podName, "--", "hostname"]).trim(), podName);
    assert.equal(tenant("alpha", ["get", "--raw", `/api/v1/nodes/${node}/proxy/healthz`]), "ok");
    const forward = spawn(kubernetesBinary("kubectl"), ["port-forward", `pod/${podName}`, "18090:8080"], {
      env: { ...process.env, KUBECONFIG: kubeconfigs.get("alpha") },
      stdio: "ignore",
    });
    try {
      const body = await until(
        "port-forward to answer",
        () => {
          const result = execFileSync("curl", ["-s", "-m", "3", "http://127.0.0.1:18090/"], { encoding: "utf8" });
          return result.trim() === podName ? result : undefined;
        },
        30_000,
      );
      assert.equal(body.trim(), podName);
    } finally {
      forward.kill();
    }
  };

  test("logs, exec, port-forward and node proxy go through konnectivity, with no route from the control plane to the workers", async () => {
    const web = pods("alpha", ["-l", "app=web"]).items;
    for (const pod of web) await assertKubeletTraffic(pod.metadata.name, pod.spec.nodeName ?? "");
    // The management node (where the control-plane pods route through) has no route to any worker.
    const worker = loadState(state.dir)?.workers?.find((w) => w.name === "alpha-w1");
    assert.ok(worker);
    assert.equal(
      succeeds("nsenter", [
        `--net=/var/run/netns/${nodeTierDefaults.netns}`,
        "--",
        "ip",
        "route",
        "get",
        worker.address,
      ]),
      false,
      "the management node cannot route to a worker",
    );
  });

  test("in Deployment mode the konnectivity agent still carries logs, exec and port-forward to every worker", async () => {
    patchTcp(
      "alpha",
      JSON.stringify({ spec: { addons: { konnectivity: { agent: { mode: "Deployment", replicas: 1 } } } } }),
    );
    await until("the agent to run as a Deployment only", () => {
      const agents = pods("alpha", ["-n", "kube-system", "-l", "k8s-app=konnectivity-agent"]).items;
      const hasDaemonSet = tenant("alpha", ["get", "daemonset", "-n", "kube-system", "-o", "name"]).includes(
        "konnectivity-agent",
      );
      return !hasDaemonSet && agents.length === 1 && agents[0]?.status.containerStatuses?.[0]?.ready ? true : undefined;
    });
    const web = pods("alpha", ["-l", "app=web"]).items;
    for (const pod of web) {
      await until(`logs of ${pod.metadata.name} through the new agent`, () =>
        tenant("alpha", ["logs", pod.metadata.name]).includes("serving") ? true : undefined,
      );
      await assertKubeletTraffic(pod.metadata.name, pod.spec.nodeName ?? "");
    }
  });

  test("a konnectivity agent that is killed comes back by itself, and logs work again", async () => {
    const [agent] = pods("alpha", ["-n", "kube-system", "-l", "k8s-app=konnectivity-agent"]).items;
    assert.ok(agent?.spec.nodeName);
    const restartsBefore = agent.status.containerStatuses?.[0]?.restartCount ?? 0;
    const worker = loadState(state.dir)?.workers?.find((w) => w.name === agent.spec.nodeName);
    assert.ok(worker);
    const agentPids = cgroupPids(worker.cgroupRoot).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("/proxy-agent");
      } catch {
        return false;
      }
    });
    assert.equal(agentPids.length, 1, "one proxy-agent process on its worker");
    process.kill(agentPids[0] ?? 0, "SIGKILL");
    await until("the agent container to restart", () => {
      const now = pods("alpha", ["-n", "kube-system", "-l", "k8s-app=konnectivity-agent"]).items[0];
      const status = now?.status.containerStatuses?.[0];
      return status && status.restartCount > restartsBefore && status.ready ? true : undefined;
    });
    const [pod] = pods("alpha", ["-l", "app=web"]).items;
    assert.ok(pod);
    await until("logs through the restarted agent", () =>
      tenant("alpha", ["logs", pod.metadata.name]).includes("serving") ? true : undefined,
    );
  });

  test("a TCP scaled to 0 and back keeps its Nodes and pods", async () => {
    const before = pods("alpha", ["-l", "app=web"])
      .items.map((p) => p.metadata.name)
      .sort();
    admin(["scale", "tcp", "alpha", "-n", namespace, "--replicas=0"]);
    await until("Sleeping", () =>
      admin(["get", "tcp", "alpha", "-n", namespace, "-o", "jsonpath={.status.kubernetesResources.version.status}"]) ===
      "Sleeping"
        ? true
        : undefined,
    );
    admin(["scale", "tcp", "alpha", "-n", namespace, "--replicas=1"]);
    await waitForTenantReady(ref("alpha"), state.kubeconfig, log);
    await until("both Nodes Ready again", () =>
      readyNodes("alpha").join(",") === "alpha-w1,alpha-w2" ? true : undefined,
    );
    assert.deepEqual(
      pods("alpha", ["-l", "app=web"])
        .items.map((p) => p.metadata.name)
        .sort(),
      before,
    );
    const [pod] = pods("alpha", ["-l", "app=web"]).items;
    assert.ok(pod);
    await until("logs after the wake-up", () =>
      tenant("alpha", ["logs", pod.metadata.name]).includes("serving") ? true : undefined,
    );
  });

  test("worker_tcp_change_port: a new port is followed by kubeadm-config, cluster-info, kube-proxy and the kubelets, and the workers stay Ready", async () => {
    const changedAt = new Date();
    const proxiesBefore = pods("alpha", ["-n", "kube-system", "-l", "k8s-app=kube-proxy"]).items.map(
      (p) => p.metadata.name,
    );
    patchTcp("alpha", '{"spec":{"networkProfile":{"port":31446}}}');
    await until("the Service on the new port", () =>
      admin(["get", "tcp", "alpha", "-n", namespace, "-o", "jsonpath={.status.kubernetesResources.service.port}"]) ===
      "31446"
        ? true
        : undefined,
    );
    const ready = await waitForTenantReady(ref("alpha"), state.kubeconfig, log);
    assert.equal(ready.status?.controlPlaneEndpoint, `${nodeTierDefaults.nodeAddress}:31446`);
    // The new admin.conf works and reports the tenant's version.
    writeTenantKubeconfig(ref("alpha"), ready, state.kubeconfig, kubeconfigs.get("alpha") ?? "");
    // The control plane may roll more than once (new arguments, then new certificates): wait for it to settle.
    admin(["rollout", "status", `deployment/alpha`, "-n", namespace, "--timeout=180s"]);
    const version = await until("the new admin.conf to answer with the tenant's version", () => {
      const output = tenant("alpha", ["version"]);
      return output.includes("Server Version") ? output : undefined;
    });
    assert.match(version, new RegExp(`Server Version: ${versions.kubernetes}`));
    // What an administrator does right after the change: point the machines' kubelets at the new endpoint.
    const moved = await followEndpoint(state.dir, ref("alpha"), log);
    assert.deepEqual(moved.sort(), ["alpha-w1", "alpha-w2"]);
    await until("kubeadm-config and cluster-info to name the new endpoint", () => {
      const kubeadmConfig = tenant("alpha", ["get", "configmap", "kubeadm-config", "-n", "kube-system", "-o", "json"]);
      const clusterInfo = tenant("alpha", ["get", "configmap", "cluster-info", "-n", "kube-public", "-o", "json"]);
      return kubeadmConfig.includes(`${nodeTierDefaults.nodeAddress}:31446`) && clusterInfo.includes(":31446")
        ? true
        : undefined;
    });
    await until("kube-proxy rolled onto the new endpoint on both workers", () => {
      const proxies = pods("alpha", ["-n", "kube-system", "-l", "k8s-app=kube-proxy"]).items;
      return proxies.length === 2 &&
        proxies.every((p) => !proxiesBefore.includes(p.metadata.name) && p.status.containerStatuses?.[0]?.ready)
        ? true
        : undefined;
    });
    assert.match(
      tenant("alpha", [
        "get",
        "configmap",
        "kube-proxy",
        "-n",
        "kube-system",
        "-o",
        "jsonpath={.data.kubeconfig\\.conf}",
      ]),
      /server: https:\/\/172\.31\.254\.2:31446/,
    );
    await until("both Nodes Ready with fresh heartbeats", () => {
      const fresh = nodes("alpha").items.every((n) => {
        const readyCondition = n.status.conditions.find((c) => c.type === "Ready") as
          { status: string; lastHeartbeatTime?: string } | undefined;
        return (
          readyCondition?.status === "True" && Date.parse(readyCondition.lastHeartbeatTime ?? "") > changedAt.getTime()
        );
      });
      return fresh ? true : undefined;
    });
    // The control plane never lost the workers: its node controller did not find their heartbeats lapsed (it would
    // have marked them NotReady and recorded so). The kubelets' own restart may report a moment of NotReady.
    const events = JSON.parse(
      tenant("alpha", ["get", "events", "-A", "--field-selector", "reason=NodeNotReady", "-o", "json"]),
    ) as {
      items: {
        involvedObject: { name: string };
        source?: { component?: string };
        reportingComponent?: string;
        lastTimestamp?: string;
        eventTime?: string;
      }[];
    };
    const lapsed = events.items.filter(
      (e) =>
        (e.source?.component === "node-controller" || e.reportingComponent === "node-controller") &&
        Date.parse(e.lastTimestamp ?? e.eventTime ?? "") >= changedAt.getTime(),
    );
    assert.deepEqual(
      lapsed.map((e) => e.involvedObject.name),
      [],
      "no worker was marked NotReady by the node controller during the port change",
    );
    const [pod] = pods("alpha", ["-l", "app=web"]).items;
    assert.ok(pod);
    await until("DNS and logs after the change", () =>
      tenant("alpha", ["exec", pod.metadata.name, "--", "nslookup", "web.default.svc.cluster.local"]).includes(
        "Address",
      ) && tenant("alpha", ["logs", pod.metadata.name]).includes("serving")
        ? true
        : undefined,
    );
  });

  test("bad input is refused with a message naming what to fix, and nothing is left behind", async () => {
    assert.match(await joinError("missing", ["x-w1"]), /TenantControlPlane e2e-workers\/missing does not exist/);
    assert.match(await joinError("alpha", ["alpha-w1"]), /worker name alpha-w1 is already in use/);
    assert.match(await joinError("alpha", ["Bad_Name"]), /not a DNS label/);
    // A kubelet newer than the control plane: the version-skew policy refuses before anything else.
    kubectlApply(JSON.stringify(joinableTenant("older", 31445, 31135, "v1.33.0")), state.kubeconfig);
    assert.match(
      await joinError("older", ["older-w1"], { kubeletVersion: versions.kubernetes }),
      /kubelet v1\.34\.\d+ is newer than the control plane v1\.33\.0/,
    );
    // With the tenant's own version the skew is fine, but that control plane is not Ready (no v1.33 images here).
    assert.match(await joinError("older", ["older-w1"]), /is not Ready/);
    // A ClusterIP tenant is not reachable from machines outside the management cluster.
    const clusterIP = joinableTenant("internal", 6443, 8132);
    clusterIP.spec.controlPlane.service.serviceType = "ClusterIP";
    delete (clusterIP.spec.networkProfile as { address?: string }).address;
    await createTenant(clusterIP);
    assert.match(
      await joinError("internal", ["internal-w1"]),
      /ClusterIP Service .* use spec\.controlPlane\.service\.serviceType NodePort/,
    );
    // A token that expired (or that the tenant's token cleaner already deleted).
    const kubeadm = kubernetesBinary("kubeadm");
    const token = execFileSync(
      kubeadm,
      ["token", "create", "--ttl", "1s", "--kubeconfig", kubeconfigs.get("alpha") ?? ""],
      {
        encoding: "utf8",
      },
    ).trim();
    await sleep(2_500);
    assert.match(await joinError("alpha", ["alpha-w9"], { token }), /bootstrap token \w+ (expired at|does not exist)/);
  });

  test("leave drains a worker, deletes its Node and removes the machine", async () => {
    const worker = loadState(state.dir)?.workers?.find((w) => w.name === "alpha-w2");
    assert.ok(worker);
    await leaveWorkers(state.dir, ref("alpha"), "alpha-w2", log);
    assert.deepEqual(
      nodes("alpha").items.map((n) => n.metadata.name),
      ["alpha-w1"],
    );
    assert.equal(existsSync(`/var/run/netns/${worker.netns}`), false);
    assert.equal(existsSync(worker.dir), false);
    assert.equal(existsSync(`/sys/fs/cgroup/memory/${worker.cgroupRoot}`), false);
    await until("the Deployment to run both replicas on the remaining worker", () => {
      const web = pods("alpha", ["-l", "app=web"]).items;
      return web.length === 2 && web.every((p) => p.spec.nodeName === "alpha-w1" && p.status.phase === "Running")
        ? true
        : undefined;
    });
  });

  test("two tenants with a worker each see only their own Nodes and pods", async () => {
    await createTenant(joinableTenant("beta", 31444, 31133));
    await join("beta", ["beta-w1"]);
    assert.deepEqual(readyNodes("beta"), ["beta-w1"]);
    assert.deepEqual(readyNodes("alpha"), ["alpha-w1"]);
    const betaPods = pods("beta", ["-A"]).items;
    assert.ok(betaPods.every((p) => p.spec.nodeName === undefined || p.spec.nodeName === "beta-w1"));
    assert.ok(!betaPods.some((p) => p.metadata.labels?.app === "web"), "beta does not see alpha's pods");
    assert.ok(pods("alpha", ["-A"]).items.every((p) => p.spec.nodeName !== "beta-w1"));
    const lans = loadState(state.dir)?.lans ?? [];
    assert.equal(lans.length, 2, "each tenant has a LAN of its own");
  });

  test("down removes every worker: no netns, mount, cgroup or process is left", { skip: reuse }, async () => {
    const workers = loadState(state.dir)?.workers ?? [];
    assert.ok(workers.length >= 2);
    const mountTargets = loadState(state.dir)?.workerMountTargets ?? [];
    const conntrackBefore = loadState(state.dir)?.conntrackMaxBefore;
    await stopCluster(dir, log);
    removedByTest = true;
    const netns = existsSync("/var/run/netns") ? readdirSync("/var/run/netns") : [];
    assert.deepEqual(
      netns.filter((n) => n.startsWith("kamaji-")),
      [],
    );
    for (const worker of workers) {
      assert.equal(existsSync(`/sys/fs/cgroup/memory/${worker.cgroupRoot}`), false, worker.cgroupRoot);
      for (const daemon of worker.daemons) assert.equal(isRunning(daemon), false, `${worker.name} ${daemon.name}`);
    }
    for (const target of mountTargets) assert.equal(existsSync(target), false, target);
    if (conntrackBefore !== undefined) {
      const now = readFileSync("/proc/sys/net/netfilter/nf_conntrack_max", "utf8").trim();
      assert.equal(now, String(conntrackBefore), "the host's conntrack table is as it was");
    }
    assert.doesNotMatch(readFileSync("/proc/self/mountinfo", "utf8"), new RegExp(dir));
  });
});
