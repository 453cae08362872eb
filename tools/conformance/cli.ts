// npm run conformance -- [--focus REGEX] [--skip REGEX] [--tenant ns/name] [--parallel N]
// Runs Kubernetes' conformance suite (e2e.test of the tenant's version, with hydrophone) against a tenant cluster
// with two worker machines. Without --tenant it brings up (or reuses) the node tier, Kamaji and the sample tenant
// of config/samples/tenantcontrolplane-workers.yaml with two workers; with --tenant it runs against that tenant as
// it is. Results (junit_01.xml, e2e.log, hydrophone.log, summary.json) go under the cluster directory.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { kubectl, kubectlApply } from "../cluster/kubectl.js";
import { clusterDir, startCluster } from "../cluster/lifecycle.js";
import { loadState } from "../cluster/state.js";
import { importIntoTenantWorkers } from "../cluster/workers/images.js";
import { joinWorkers } from "../cluster/workers/join.js";
import {
  parseTenantRef,
  readTenant,
  tenantAdminKubeconfig,
  tenantKey,
  type TenantRef,
} from "../cluster/workers/tenant.js";
import { waitForDefaultServiceAccount, waitForTenantReady } from "../demo/tenant.js";
import { installKamaji } from "../install/install.js";
import { ensureUpstreamBuilt, repoDir, versions } from "../upstream.js";
import { conformanceImages, plannedImages, listedImages, runnerImageName } from "./images.js";
import { conformanceProblem, fewNodesWarning, schedulableNodes, type NodeView } from "./preflight.js";
import { summaryLine } from "./report.js";
import { RunInterrupted, runSuite } from "./run.js";

const begin = Date.now();
const progress = (message: string) => {
  console.error(`[conformance ${((Date.now() - begin) / 1000).toFixed(0).padStart(5)} s] ${message}`);
};

const sampleFile = join(repoDir, "config/samples/tenantcontrolplane-workers.yaml");
/** Upstream's conformance profile: two schedulable nodes. */
const workerCount = 2;
/** hydrophone's output container: the image name it uses by default. */
const runnerBusybox = "registry.k8s.io/e2e-test-images/busybox:1.36.1-1";

const usage = "usage: npm run conformance -- [--focus REGEX] [--skip REGEX] [--tenant namespace/name] [--parallel N]";

function parseOptions() {
  const { values } = parseArgs({
    options: {
      focus: { type: "string" },
      skip: { type: "string" },
      tenant: { type: "string" },
      parallel: { type: "string", default: "4" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const parallel = Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16)
    throw new Error(`--parallel must be a whole number from 1 to 16, not ${JSON.stringify(values.parallel)}`);
  for (const flag of ["focus", "skip"] as const) {
    const regex = values[flag];
    if (regex === undefined) continue;
    try {
      new RegExp(regex);
    } catch (error) {
      throw new Error(`--${flag} is not a regular expression: ${(error as Error).message}`);
    }
  }
  return { ...values, parallel, tenant: values.tenant === undefined ? undefined : parseTenantRef(values.tenant) };
}

/** The sample tenant, created if needed, with two workers; the management cluster and Kamaji come up first. */
async function sampleTenant(): Promise<{ tenant: TenantRef; managementKubeconfig: string; dir: string }> {
  const { state } = await startCluster(clusterDir(), "node", progress);
  await installKamaji(state, { progress });
  const manifest = readFileSync(sampleFile, "utf8");
  const sample = parse(manifest) as { metadata: { name: string; namespace: string } };
  const tenant = { name: sample.metadata.name, namespace: sample.metadata.namespace };
  kubectlApply(manifest, state.kubeconfig);
  await waitForTenantReady(tenant, state.kubeconfig, progress);
  const present = (loadState(state.dir)?.workers ?? []).filter((w) => w.tenant === tenantKey(tenant)).length;
  if (present < workerCount) {
    progress(`joining ${workerCount - present} worker machine(s) with kubeadm join`);
    await joinWorkers(state.dir, { tenant, count: workerCount - present, progress });
  }
  return { tenant, managementKubeconfig: state.kubeconfig, dir: state.dir };
}

/** A tenant the user named: it must exist, be Ready and have nodes; the management cluster must be ours. */
function namedTenant(tenant: TenantRef): { tenant: TenantRef; managementKubeconfig: string; dir: string } {
  const dir = clusterDir();
  const state = loadState(dir);
  if (!state) throw new Error(`no local management cluster in ${dir}: leave out --tenant to bring one up`);
  return { tenant, managementKubeconfig: state.kubeconfig, dir };
}

interface TestableTenant {
  tenant: TenantRef;
  dir: string;
  kubeconfig: string;
}

/** The tenant's admin kubeconfig, once it is Ready and has a node that takes pods; else a clear refusal. */
function testable(tenant: TenantRef, managementKubeconfig: string, dir: string): TestableTenant {
  const key = tenantKey(tenant);
  const view = readTenant(tenant, managementKubeconfig);
  const status = view.status?.kubernetesResources?.version?.status;
  const kubeconfig = status === "Ready" ? tenantAdminKubeconfig(tenant, view, managementKubeconfig, dir) : "";
  const nodes = kubeconfig
    ? (JSON.parse(kubectl(["get", "nodes", "-o", "json"], kubeconfig)) as { items: NodeView[] }).items
    : [];
  const problem = conformanceProblem(key, status, nodes);
  if (problem) throw new Error(problem);
  const warning = fewNodesWarning(key, schedulableNodes(nodes));
  if (warning) progress(`warning: ${warning}`);
  return { tenant, dir, kubeconfig };
}

function buildSuite(): void {
  progress("building what is missing: the suite (e2e.test, ginkgo, hydrophone), its test binaries, busybox");
  execFileSync(join(repoDir, "hack/install-packages.sh"), { stdio: "inherit" });
  ensureUpstreamBuilt(["kubernetes", "conformance", "busybox"]);
  const etcdVersions = plannedImages(listedImages())
    .filter((image) => image.kind === "etcd")
    .map((image) => `etcd@v${image.tag.replace(/-\d+$/, "")}`);
  ensureUpstreamBuilt(etcdVersions);
}

async function main(): Promise<number> {
  const options = parseOptions();
  let target: TestableTenant;
  if (options.tenant) {
    // A named tenant is checked before anything is built: a refusal comes at once.
    const { tenant, managementKubeconfig, dir } = namedTenant(options.tenant);
    target = testable(tenant, managementKubeconfig, dir);
    buildSuite();
  } else {
    buildSuite();
    const { tenant, managementKubeconfig, dir } = await sampleTenant();
    target = testable(tenant, managementKubeconfig, dir);
  }
  const { kubeconfig, dir } = target;
  const key = tenantKey(target.tenant);
  await waitForDefaultServiceAccount(kubeconfig);

  progress("building the suite's images and importing them into the tenant's workers");
  const imported = await importIntoTenantWorkers(dir, key, conformanceImages(runnerBusybox));
  for (const [worker, count] of imported) progress(`${worker}: ${count} image(s) imported`);

  const outputDir = join(dir, "conformance", new Date().toISOString().replaceAll(":", "-").slice(0, 19));
  progress(
    `running the suite of ${versions.kubernetes} in ${key} (${options.parallel} in parallel); output in ${outputDir}`,
  );
  const started = Date.now();
  const result = await runSuite({
    kubeconfig,
    outputDir,
    focus: options.focus,
    skip: options.skip,
    parallel: options.parallel,
    conformanceImage: runnerImageName(),
    busyboxImage: runnerBusybox,
    progress,
  });
  const minutes = (Date.now() - started) / 60_000;
  writeFileSync(
    join(outputDir, "summary.json"),
    JSON.stringify(
      { version: versions.kubernetes, tenant: key, focus: options.focus, skip: options.skip, minutes, ...result },
      null,
      2,
    ),
  );
  console.log(summaryLine(result));
  for (const name of result.failed) console.log(`  failed: ${name}`);
  for (const name of result.skipped) console.log(`  skipped: ${name}`);
  console.log(`took ${minutes.toFixed(1)} min; JUnit report and e2e log in ${outputDir}`);
  return result.failed.length === 0 && result.total > 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(
      `[conformance] ${error instanceof RunInterrupted ? "" : "failed: "}${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = error instanceof RunInterrupted ? 130 : 1;
  },
);
