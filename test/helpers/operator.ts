// An api tier with our CRDs, a real etcd with TLS and auth registered as a DataStore, and managers run in-process.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import { Writable } from "node:stream";
import { after, before } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createKamajiManager, type KamajiManager } from "../../src/controllers/setup.js";
import { CA_VALIDITY_MS, LEAF_VALIDITY_MS } from "../../src/pki/index.js";
import { KubeClient } from "../../src/runtime/kube-client.js";
import type { Condition } from "../../src/runtime/conditions.js";
import { createLogger } from "../../src/runtime/logger.js";
import { resourceTypes } from "../../src/runtime/resource-types.js";
import { waitFor } from "../../tools/cluster/wait.js";
import { startTestApiTier, type ApiTier } from "./api-tier.js";
import { startTestEtcd, type TestEtcd } from "./etcd.js";

const repo = new URL("../../", import.meta.url).pathname;

export interface OperatorEnvironment {
  readonly cluster: ApiTier;
  readonly etcd: TestEtcd;
  readonly client: KubeClient;
  stop(): Promise<void>;
}

export const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

/** A reference from a DataStore's spec to a key of its Secret. */
interface SecretKeyReference {
  secretReference: { name: string; namespace: string; keyPath: string };
}

/**
 * A DataStore `name` and the Secret of `kamaji-system` that holds its credentials, `data` (base64-encoded here);
 * `spec` refers to the Secret's keys through `ref`.
 */
export function dataStoreWithSecret<Key extends string, Spec>(
  name: string,
  secretName: string,
  data: Record<Key, string>,
  spec: (ref: (key: Key) => SecretKeyReference) => Spec,
) {
  const encoded = Object.fromEntries(Object.entries<string>(data).map(([key, value]) => [key, b64(value)]));
  return {
    secret: {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: secretName, namespace: "kamaji-system" },
      data: encoded as Record<Key, string>,
    },
    dataStore: {
      apiVersion: "kamaji.clastix.io/v1alpha1",
      kind: "DataStore",
      metadata: { name },
      spec: spec((keyPath) => ({ secretReference: { name: secretName, namespace: "kamaji-system", keyPath } })),
    },
  };
}

/** A DataStore for `etcd` whose credentials live in a Secret of `kamaji-system`. */
export function etcdDataStore(name: string, etcd: TestEtcd, secretName = `${name}-certs`) {
  const certificates = {
    "ca.crt": etcd.caPem,
    "ca.key": etcd.caKeyPem,
    "tls.crt": etcd.rootCertPem,
    "tls.key": etcd.rootKeyPem,
  };
  return dataStoreWithSecret(name, secretName, certificates, (ref) => ({
    driver: "etcd",
    endpoints: etcd.endpoints,
    tlsConfig: {
      certificateAuthority: { certificate: ref("ca.crt"), privateKey: ref("ca.key") },
      clientCertificate: { certificate: ref("tls.crt"), privateKey: ref("tls.key") },
    },
  }));
}

/** The test etcd registered as DataStore "etcd" (with its Secret), and the namespace the tenants go in. */
export async function addEtcdDataStoreAndNamespace(env: OperatorEnvironment, namespace: string): Promise<void> {
  const { secret, dataStore } = etcdDataStore("etcd", env.etcd);
  await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(secret));
  await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(dataStore));
  await env.cluster.kubectl(["create", "namespace", namespace]);
}

export async function startOperatorEnvironment(): Promise<OperatorEnvironment> {
  const cluster = await startTestApiTier();
  try {
    await cluster.kubectl(["apply", "--server-side", "-f", `${repo}config/crd/`]);
    await cluster.kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
    await cluster.kubectl(["create", "namespace", "kamaji-system"]);
    const etcd = await startTestEtcd();
    const client = KubeClient.load(cluster.kubeconfig);
    return {
      cluster,
      etcd,
      client,
      stop: async () => {
        client.close();
        await etcd.stop();
        await cluster.stop();
      },
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/**
 * Registers the before/after hooks of a suite that needs the environment, the etcd DataStore, the namespace
 * `namespace` and one manager with `etcd` as its default DataStore; read them through the returned object once the
 * suite runs.
 */
export function operatorSuite(
  namespace: string,
  managerOptions: Omit<NonNullable<Parameters<typeof startManager>[1]>, "defaultDataStore"> = {},
): { readonly env: OperatorEnvironment; readonly manager: RunningManager } {
  let env: OperatorEnvironment | undefined;
  let manager: RunningManager | undefined;
  before(async () => {
    env = await startOperatorEnvironment();
    await addEtcdDataStoreAndNamespace(env, namespace);
    manager = startManager(env, { ...managerOptions, defaultDataStore: "etcd" });
  });
  after(async () => {
    await manager?.stop();
    await env?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the operator suite has not started (read it inside a test)");
    return value;
  };
  return {
    get env() {
      return started(env);
    },
    get manager() {
      return started(manager);
    },
  };
}

export interface RunningManager {
  readonly kamaji: KamajiManager;
  /** Everything the manager logged, one JSON object per line. */
  readonly logs: string[];
  readonly done: Promise<"stopped" | "leadership-lost">;
  stop(): Promise<"stopped" | "leadership-lost">;
}

export function startManager(
  env: OperatorEnvironment,
  options: {
    leaderElection?: boolean;
    defaultDataStore?: string;
    healthPort?: number;
    metricsPort?: number;
    /** Another way to the same API server (e.g. through a proxy); default the api tier's kubeconfig. */
    kubeconfig?: string;
    /** Default "kamaji", as the chart's; tests that must tell two managers' writes apart give each its own. */
    fieldManager?: string;
    /** Default 10 h, as the flag's. */
    cacheResyncPeriodMs?: number;
    /** Default 24 h, as the flag's. */
    certificateExpirationDeadlineMs?: number;
    /** Default kubeadm's 1 year. */
    certificateValidityMs?: number;
    /** Default 24 h, as the flag's. */
    serviceAccountKeyGraceMs?: number;
    certificateAuthorityGraceMs?: number;
  } = {},
): RunningManager {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      // KAMAJI_TEST_LOGS=<file> keeps the managers' logs for debugging a failed run.
      if (process.env.KAMAJI_TEST_LOGS) appendFileSync(process.env.KAMAJI_TEST_LOGS, chunk);
      logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      callback();
    },
  });
  const client = KubeClient.load(options.kubeconfig ?? env.cluster.kubeconfig);
  const kamaji = createKamajiManager({
    client,
    log: createLogger("debug", sink),
    fieldManager: options.fieldManager ?? "kamaji",
    version: "test",
    maxConcurrentReconciles: 4,
    reconcileTimeoutMs: 30_000,
    certificateExpirationDeadlineMs: options.certificateExpirationDeadlineMs ?? 24 * 3_600_000,
    certificateValidityMs: options.certificateValidityMs ?? LEAF_VALIDITY_MS,
    caCertificateValidityMs: CA_VALIDITY_MS,
    serviceAccountKeyGraceMs: options.serviceAccountKeyGraceMs ?? 24 * 3_600_000,
    certificateAuthorityGraceMs: options.certificateAuthorityGraceMs ?? 8_760 * 3_600_000,
    cacheResyncPeriodMs: options.cacheResyncPeriodMs ?? 10 * 3_600_000,
    keyAlgorithm: "ECDSA",
    kineImage: "docker.io/rancher/kine:v0.17.5",
    imagePullPolicy: "IfNotPresent",
    dataStoreRecheckMs: 2_000,
    ...(options.defaultDataStore === undefined ? {} : { defaultDataStore: options.defaultDataStore }),
    ...(options.leaderElection === true ? { leaderElectionNamespace: "kamaji-system" } : {}),
    ...(options.healthPort === undefined ? {} : { healthAddress: { host: "127.0.0.1", port: options.healthPort } }),
    ...(options.metricsPort === undefined ? {} : { metricsAddress: { host: "127.0.0.1", port: options.metricsPort } }),
  });
  const abort = new AbortController();
  const done = kamaji.run(abort.signal).finally(() => {
    client.close();
  });
  return {
    kamaji,
    logs,
    done,
    stop: async () => {
      abort.abort();
      return done;
    },
  };
}

/** How many reconciles of `key` by `controller` the manager logged after its `sinceLine`-th log line. */
export function reconcilesSince(manager: RunningManager, controller: string, key: string, sinceLine: number): number {
  return manager.logs.slice(sinceLine).filter((line) => {
    const entry = JSON.parse(line) as { msg?: string; controller?: string; key?: string };
    return entry.msg === "reconciled" && entry.controller === controller && entry.key === key;
  }).length;
}

/** Resolves once `manager` has logged no reconcile of `key` for `quietMs`: the tenant has settled. */
export async function settled(manager: RunningManager, key: string, quietMs: number): Promise<void> {
  await waitFor(
    `${key} to settle`,
    async () => {
      const lines = manager.logs.length;
      await sleep(quietMs);
      return reconcilesSince(manager, "tenantcontrolplane", key, lines) === 0 || undefined;
    },
    90_000,
  );
}

/**
 * Waits for a reconcile of `key` by `controller` that the manager logged after its `sinceLine`-th log line: the
 * marker that a change was seen and acted on (or deliberately not), so a test need not sleep to show "nothing
 * happened".
 */
export async function reconciledAfter(
  manager: RunningManager,
  controller: string,
  key: string,
  sinceLine: number,
): Promise<void> {
  await waitFor(
    `a reconcile of ${key} by the ${controller} controller`,
    () => reconcilesSince(manager, controller, key, sinceLine) > 0 || undefined,
    30_000,
  );
}

/** The Secrets a TCP named `tcp` gets on an etcd DataStore without addons. */
export const expectedSecrets = (tcp: string): string[] =>
  [
    "ca",
    "front-proxy-ca-certificate",
    "sa-certificate",
    "api-server-certificate",
    "api-server-kubelet-client-certificate",
    "front-proxy-client-certificate",
    "admin-kubeconfig",
    "controller-manager-kubeconfig",
    "scheduler-kubeconfig",
    "datastore-config",
    "datastore-certificate",
  ].map((suffix) => `${tcp}-${suffix}`);

/**
 * `kamaji manager` as a process of its own (no leader election, default DataStore "etcd"), for tests that kill it or
 * signal it: SIGKILL then interrupts it between two API calls with no chance to clean up. Its stderr (JSON logs)
 * goes to `logs` when given.
 */
export function spawnManagerProcess(env: OperatorEnvironment, logs?: string[]): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      `${repo}src/cli/main.ts`,
      "manager",
      "--kubeconfig",
      env.cluster.kubeconfig,
      "--leader-elect=false",
      "--datastore=etcd",
      "--metrics-bind-address=0",
      "--health-probe-bind-address=0",
      "--webhook-port=0",
    ],
    { stdio: ["ignore", "ignore", logs === undefined ? "ignore" : "pipe"] },
  );
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    logs?.push(...chunk.split("\n").filter(Boolean));
  });
  return child;
}

export interface TenantControlPlaneObject {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    finalizers?: string[];
    generation?: number;
  };
  spec: Record<string, unknown>;
  status?: any;
}

export function tenantControlPlane(name: string, namespace: string, dataStore?: string) {
  return {
    apiVersion: "kamaji.clastix.io/v1alpha1",
    kind: "TenantControlPlane",
    metadata: { name, namespace },
    spec: {
      ...(dataStore === undefined ? {} : { dataStore }),
      controlPlane: { deployment: { replicas: 1 }, service: { serviceType: "ClusterIP" } },
      kubernetes: { version: "v1.34.10", kubelet: {} },
      networkProfile: {},
    },
  };
}

export function getTcp(env: OperatorEnvironment, name: string, namespace: string) {
  return env.client.get<TenantControlPlaneObject & { apiVersion: string; kind: string }>(
    resourceTypes.tenantControlPlane,
    name,
    namespace,
  );
}

/** Waits until the TCP's status has its Deployment and observedGeneration == generation. */
export function waitReconciled(env: OperatorEnvironment, name: string, namespace: string, timeoutMs = 90_000) {
  return waitFor(
    `TenantControlPlane ${namespace}/${name} to be reconciled`,
    async () => {
      const tcp = await getTcp(env, name, namespace);
      const reconciled =
        tcp?.status?.kubernetesResources?.deployment !== undefined &&
        tcp.status.observedGeneration === tcp.metadata.generation;
      return reconciled ? tcp : undefined;
    },
    timeoutMs,
  );
}

export async function waitCondition(
  env: OperatorEnvironment,
  name: string,
  namespace: string,
  status: "True" | "False",
  reason?: string,
  timeoutMs = 60_000,
) {
  let last: Condition | undefined;
  try {
    return await waitFor(
      `TenantControlPlane ${namespace}/${name} condition Reconciled=${status}${reason ? ` (${reason})` : ""}`,
      async () => {
        const tcp = await getTcp(env, name, namespace);
        last = tcp?.status?.conditions?.find((c: Condition) => c.type === "Reconciled");
        return last?.status === status && (reason === undefined || last.reason === reason) ? last : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    // What the TCP said last tells a stuck reconcile from a wrong one.
    const seen = last === undefined ? "none" : JSON.stringify(last);
    throw new Error(`${(error as Error).message}; last Reconciled condition seen: ${seen}`, { cause: error });
  }
}
