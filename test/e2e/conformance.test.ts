// Kubernetes' own conformance tests against a tenant with two workers, through `npm run conformance` itself: the
// CI subset (test/e2e/conformance-subset.txt, at least 40 tests across api-machinery, apps, network, node and auth)
// must pass; the command refuses tenants it cannot test; Ctrl-C leaves no test namespace in the tenant. The full
// suite is `npm run conformance` (docs/conformance.md). KAMAJI_E2E_REUSE_CLUSTER=1 reuses the running cluster.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { clusterDir, startCluster, stopCluster } from "../../tools/cluster/lifecycle.js";
import { loadState, type ClusterState } from "../../tools/cluster/state.js";
import { tenantAdminKubeconfig, readTenant } from "../../tools/cluster/workers/tenant.js";
import { waitForTenantReady } from "../../tools/demo/tenant.js";
import { testApiGroupObjects } from "../../tools/conformance/run.js";
import { installKamaji, kubectl, kubectlApply } from "../../tools/install/install.js";
import { binary, kubernetesBinary, repoDir } from "../../tools/upstream.js";
import { nodeTierSkipReason, reuseCluster } from "../helpers/node-tier-e2e.js";

const reuse = reuseCluster;

const skip = nodeTierSkipReason([() => kubernetesBinary("kubeadm"), () => binary("helm", "helm")]);
const log = (message: string) => {
  console.error(`[conformance-e2e] ${message}`);
};

/** The subset's test names, one per line (# comments), as a ginkgo focus that matches exactly those. */
function subsetFocus(file: string): { names: string[]; focus: string } {
  const names = readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  const escape = (name: string) => name.replaceAll(/[\\^$.*+?()[\]{}|]/g, "\\$&");
  return { names, focus: names.map(escape).join("|") };
}

interface CommandResult {
  code: number | null;
  output: string;
}

describe("conformance", { skip }, () => {
  let state: ClusterState;
  let dir: string;
  let started = false;
  const sample = { namespace: "default", name: "tenant-workers" };
  const tenantKubeconfig = () =>
    tenantAdminKubeconfig(sample, readTenant(sample, state.kubeconfig), state.kubeconfig, dir);

  /** `npm run conformance -- args` against this test's cluster; `onOutput` sees the output as it comes. */
  const conformance = (args: string[], onOutput?: (text: string, child: ReturnType<typeof spawn>) => void) =>
    new Promise<CommandResult>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(repoDir, "tools/conformance/cli.ts"), ...args], {
        cwd: repoDir,
        env: { ...process.env, KAMAJI_CLUSTER_DIR: dir },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      const collect = (chunk: Buffer) => {
        const text = chunk.toString();
        output += text;
        process.stderr.write(text);
        onOutput?.(output, child);
      };
      child.stdout.on("data", collect);
      child.stderr.on("data", collect);
      child.on("error", reject);
      child.on("exit", (code) => {
        resolve({ code, output });
      });
    });

  const testNamespaces = () =>
    kubectl(["get", "namespaces", "-l", "e2e-run", "-o", "name"], tenantKubeconfig())
      .trim()
      .split("\n")
      .filter(Boolean);

  before(async () => {
    const running = reuse ? loadState(clusterDir()) : undefined;
    dir = running?.dir ?? mkdtempSync("/var/tmp/kamaji-conformance-e2e-");
    state = running ?? (await startCluster(dir, "node", log)).state;
    started = true;
    await installKamaji(state, { progress: log });
  });

  after(async () => {
    if (!started || reuse) return;
    await stopCluster(dir, log);
  });

  test("bad input is refused before anything runs: a tenant that does not exist, one without workers, bad flags", async () => {
    const missing = await conformance(["--tenant", "default/no-such-tenant"]);
    assert.equal(missing.code, 1);
    assert.match(missing.output, /TenantControlPlane default\/no-such-tenant does not exist/);

    kubectlApply(
      readFileSync(join(repoDir, "config/samples/tenantcontrolplane-minimal.yaml"), "utf8"),
      state.kubeconfig,
    );
    const minimal = { namespace: "default", name: "tenant-00" };
    await waitForTenantReady(minimal, state.kubeconfig, log);
    const noWorkers = await conformance(["--tenant", "default/tenant-00"]);
    assert.equal(noWorkers.code, 1);
    assert.match(noWorkers.output, /TenantControlPlane default\/tenant-00 has no worker nodes/);
    kubectl(["delete", "tcp", minimal.name, "-n", minimal.namespace, "--wait=true"], state.kubeconfig);

    const parallel = await conformance(["--parallel", "0"]);
    assert.equal(parallel.code, 1);
    assert.match(parallel.output, /--parallel must be a whole number from 1 to 16, not "0"/);
    const regex = await conformance(["--focus", "(unclosed"]);
    assert.equal(regex.code, 1);
    assert.match(regex.output, /--focus is not a regular expression/);
  });

  test("the CI subset of the conformance suite passes on a tenant with two workers", async () => {
    const { names, focus } = subsetFocus(join(repoDir, "test/e2e/conformance-subset.txt"));
    assert.ok(names.length >= 40, `the subset names ${names.length} tests, fewer than 40`);
    for (const sig of ["api-machinery", "apps", "network", "node", "auth"])
      assert.ok(
        names.some((n) => n.startsWith(`[sig-${sig}]`)),
        `the subset has no sig-${sig} test`,
      );

    const run = await conformance(["--focus", focus]);
    const summary = /conformance: (\d+) passed, (\d+) failed, (\d+) skipped of (\d+)/.exec(run.output);
    assert.ok(summary, "no summary line");
    const [passed, failed, skipped, total] = summary.slice(1).map(Number);
    assert.equal(
      failed,
      0,
      run.output
        .split("\n")
        .filter((l) => l.includes("failed:"))
        .join("\n"),
    );
    assert.equal(skipped, 0);
    assert.equal(total, names.length, "every test of the subset ran");
    assert.equal(passed, names.length);
    assert.equal(run.code, 0);

    const outputDir = /JUnit report and e2e log in (\S+)/.exec(run.output)?.[1] ?? "";
    for (const file of ["junit_01.xml", "e2e.log", "summary.json"])
      assert.ok(existsSync(join(outputDir, file)), `${file} in ${outputDir}`);
    assert.deepEqual(testNamespaces(), [], "the suite removed its namespaces");
  });

  test("Ctrl-C stops a run and leaves no test namespace and no runner in the tenant", async () => {
    let signalled = false;
    let poller: NodeJS.Timeout | undefined;
    const run = await conformance(
      // A test that keeps its namespace for a while (a rolling update of a DaemonSet across both workers).
      [
        "--tenant",
        "default/tenant-workers",
        "--focus",
        "should update pod when spec was updated and update strategy is RollingUpdate",
      ],
      (output, child) => {
        if (poller || !output.includes("running the suite")) return;
        poller = setInterval(() => {
          if (signalled || testNamespaces().length === 0) return;
          signalled = true;
          log("a test namespace exists: sending SIGINT");
          child.kill("SIGINT");
        }, 1_000);
      },
    );
    clearInterval(poller);
    assert.ok(signalled, "the run ended before any test namespace appeared");
    assert.equal(run.code, 130);
    assert.match(run.output, /interrupted by SIGINT; the tenant holds no test namespace any more/);
    assert.deepEqual(testNamespaces(), []);
    const runner = kubectl(["get", "namespace", "conformance", "--ignore-not-found", "-o", "name"], tenantKubeconfig());
    assert.equal(runner.trim(), "");
    const crds = kubectl(["get", "crd", "-o", "json"], tenantKubeconfig());
    assert.deepEqual(testApiGroupObjects(crds), [], "no CRD of the tests' example.com groups is left");
  });
});
