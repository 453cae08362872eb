// The api tier against the real upstream kube-apiserver: our CRDs, samples, CEL rules and printer columns.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { isRunning } from "../../tools/cluster/daemon.js";
import { startApiTier } from "../../tools/cluster/api-tier.js";
import { versions } from "../../tools/upstream.js";
import { validateResource } from "../../src/api/validation.js";
import { tenantControlPlaneKind } from "../../src/api/v1alpha1/kinds.js";
import { startTestApiTier, type ApiTier } from "../helpers/api-tier.js";

const repo = new URL("../../", import.meta.url).pathname;

describe("api tier", () => {
  let cluster: ApiTier;
  before(async () => {
    cluster = await startTestApiTier();
  });
  after(async () => {
    await cluster.stop();
  });

  test("serves the pinned Kubernetes version with TLS and RBAC", async () => {
    const version = JSON.parse(await cluster.kubectl(["version", "-o", "json"]));
    assert.equal(version.serverVersion.gitVersion, versions.kubernetes);
    assert.equal((await cluster.kubectl(["get", "--raw", "/readyz"])).trim(), "ok");
    const canI = await cluster
      .kubectl(["auth", "can-i", "list", "secrets", "--as", "someone"])
      .catch((e: unknown) => (e as Error).message);
    assert.match(canI, /: no$/);
  });

  test("the generated CRDs install and every sample is accepted", async () => {
    await cluster.kubectl(["apply", "--server-side", "-f", `${repo}config/crd/`]);
    await cluster.kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
    const applied = await cluster.kubectl(["apply", "--server-side", "-f", `${repo}config/samples/`]);
    const samples = readdirSync(`${repo}config/samples`).filter((f) => f.endsWith(".yaml"));
    assert.equal(applied.trim().split("\n").length, samples.length);
  });

  test("kubectl get tcp shows the upstream columns; the API server applied our defaults", async () => {
    const table = await cluster.kubectl(["get", "tcp", "tenant-00"]);
    assert.match(
      table,
      /^NAME\s+VERSION\s+INSTALLED VERSION\s+STATUS\s+CONTROL-PLANE ENDPOINT\s+KUBECONFIG\s+DATASTORE\s+AGE/,
    );
    const stored = JSON.parse(await cluster.kubectl(["get", "tcp", "tenant-00", "-o", "json"]));
    assert.deepEqual(stored.spec.networkProfile, {
      clusterDomain: "cluster.local",
      port: 6443,
      serviceCidr: "10.96.0.0/16",
      podCidr: "10.244.0.0/16",
    });
    assert.equal(stored.spec.controlPlane.deployment.serviceAccountName, "default");
    const ours = validateResource(tenantControlPlaneKind, stored).object;
    assert.deepEqual(ours.spec, stored.spec, "our defaulting equals the API server's");
  });

  test("the scale subresource drives the Deployment replicas field", async () => {
    await cluster.kubectl(["scale", "tcp", "tenant-00", "--replicas=0"]);
    const stored = JSON.parse(await cluster.kubectl(["get", "tcp", "tenant-00", "-o", "json"]));
    assert.equal(stored.spec.controlPlane.deployment.replicas, 0);
  });

  test("the API server enforces the same rules, with the same messages, as our validator", async () => {
    const stored = JSON.parse(await cluster.kubectl(["get", "tcp", "tenant-00", "-o", "json"]));
    const cases: [string, (o: any) => void][] = [
      ["changing the cluster domain is not supported", (o) => (o.spec.networkProfile.clusterDomain = "other.local")],
      ["changing the dataStoreSchema is not supported", (o) => (o.spec.dataStoreSchema = "x")],
      [
        "using both ingress and gateway is not supported",
        (o) => {
          o.spec.controlPlane.ingress = { hostname: "a.example.com" };
          o.spec.controlPlane.gateway = { hostname: "a.example.com" };
        },
      ],
      [
        "LoadBalancerClass is supported only with LoadBalancer service type",
        (o) => (o.spec.networkProfile.loadBalancerClass = "x"),
      ],
    ];
    stored.spec.dataStoreSchema = "tenant-00";
    await cluster.kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], JSON.stringify(stored));
    const base = JSON.parse(await cluster.kubectl(["get", "tcp", "tenant-00", "-o", "json"]));
    for (const [message, mutate] of cases) {
      const changed = structuredClone(base);
      mutate(changed);
      const ourErrors = validateResource(tenantControlPlaneKind, changed, base).errors.map((e) => e.message);
      assert.ok(
        ourErrors.some((m) => m.includes(message)),
        `our validator: ${message}; got ${ourErrors.join("; ")}`,
      );
      await assert.rejects(
        cluster.kubectl(["replace", "-f", "-"], JSON.stringify(changed)),
        (error: Error) => error.message.includes(message),
        `API server: ${message}`,
      );
    }
  });
});

test("a port in use gives a clear error and leaves nothing running", async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const address = blocker.address();
  const port = typeof address === "object" && address ? address.port : 0;
  try {
    await assert.rejects(
      startApiTier({
        dir: `/tmp/kamaji-port-test-${process.pid}`,
        apiServerPort: port,
        etcdClientPort: port + 1,
        etcdPeerPort: port + 2,
      }),
      new RegExp(`127\\.0\\.0\\.1:${port} \\(kube-apiserver\\) is already in use`),
    );
    assert.ok(!existsSync(`/tmp/kamaji-port-test-${process.pid}/state.json`));
  } finally {
    blocker.close();
    rmSync(`/tmp/kamaji-port-test-${process.pid}`, { recursive: true, force: true });
  }
});

test("stopping the tier stops every daemon it started", async () => {
  const tier = await startTestApiTier();
  const daemons = tier.state.daemons;
  assert.deepEqual(
    daemons.map((d) => d.name),
    ["etcd", "kube-apiserver", "kube-controller-manager"],
  );
  assert.ok(daemons.every(isRunning));
  await tier.stop();
  assert.ok(daemons.every((d) => !isRunning(d)));
  assert.ok(!existsSync(tier.state.dir));
});
