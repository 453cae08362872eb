// `kamaji migrate`: what the migration Job runs. Finds the tenant's current DataStore (status) and the target, waits
// until the tenant is frozen (a dry-run write is refused by kamaji-freeze), then copies its keys (copy-tenant.ts).
// etcd sides are reached directly as the DataStore's administrator, kine sides through the Job's kine sidecars.
import type { DataStore, TenantControlPlane } from "../api/v1alpha1/kinds.js";
import { tenantClient } from "../controllers/soot/tenant-connection.js";
import { resolveConnectionConfig } from "../datastore/connection-config.js";
import { clientTlsOf, type DataStoreConnectionConfig } from "../datastore/driver.js";
import { migrationKinePorts, type MigrationSide } from "../resources/migration-job.js";
import { resourceNames } from "../resources/names.js";
import { KubeApiError, type KubeClient, type KubeObject } from "../runtime/kube-client.js";
import type { Logger } from "../runtime/logger.js";
import { resourceTypes } from "../runtime/resource-types.js";
import { copyTenant, type CopyResult } from "./copy-tenant.js";
import { KeyStore } from "./key-store.js";

export interface MigrateSettings {
  /** `namespace/name`. */
  readonly tenantControlPlane: string;
  readonly targetDataStore: string;
  readonly cleanupPriorMigration: boolean;
  readonly timeoutMs: number;
}

/** What the freeze webhook answers (src/webhooks/http/tenant-guards.ts). */
const frozenMessage = /freezing mode/;
/** Writes admitted just before the freeze took effect land within this. */
const SETTLE_MS = 2_000;

interface Secret extends KubeObject {
  data?: Record<string, string>;
}

async function retryUntil<T>(deadline: number, what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  let last = "";
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not done before the timeout${last ? ` (${last})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

function openStore(side: MigrationSide, config: DataStoreConnectionConfig): KeyStore {
  const description = `${side} DataStore ${config.name} (${config.driver})`;
  if (config.driver !== "etcd") {
    return KeyStore.open({ kind: "kine", urls: [`http://127.0.0.1:${migrationKinePorts[side]}`], description });
  }
  const { tls } = config;
  return KeyStore.open({
    kind: "etcd",
    urls: config.endpoints.map((endpoint) => `https://${endpoint}`),
    ...(tls === undefined ? {} : { tls: clientTlsOf(tls) }),
    description,
  });
}

/** Where the tenant's API server keeps its keys on a DataStore of `driver`. */
export const tenantKeyPrefix = (driver: string, schema: string): string =>
  driver === "etcd" ? `/${schema}` : "/registry";

/** Resolves when a dry-run write in the tenant is refused by the freeze. */
async function waitForFreeze(client: KubeClient, tcp: TenantControlPlane, deadline: number, log: Logger) {
  const namespace = tcp.metadata.namespace ?? "";
  const names = resourceNames(tcp.metadata.name ?? "");
  const secretName = tcp.status?.kubeconfig?.admin?.secretName || names.adminKubeconfig;
  const secret = await client.get<Secret>(resourceTypes.secret, secretName, namespace);
  const kubeconfig = Buffer.from(secret?.data?.["super-admin.conf"] ?? "", "base64").toString("utf8");
  const service = await client.get<KubeObject & { spec?: { clusterIP?: string } }>(
    resourceTypes.service,
    names.service,
    namespace,
  );
  const port = tcp.status?.kubernetesResources?.service?.port;
  if (kubeconfig === "" || service?.spec?.clusterIP === undefined || port === undefined) {
    throw new Error(`the tenant's Service ${namespace}/${names.service} or its admin kubeconfig is missing`);
  }
  const tenant = tenantClient(tcp, kubeconfig, { clusterIP: service.spec.clusterIP, port });
  try {
    await retryUntil(
      deadline,
      "waiting for the tenant to be frozen (ValidatingWebhookConfiguration kamaji-freeze)",
      async () => {
        try {
          await tenant.request({
            method: "POST",
            path: "/api/v1/namespaces/default/configmaps",
            query: { dryRun: "All" },
            body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kamaji-freeze-check" } },
          });
          return undefined; // still accepted: not frozen yet
        } catch (error) {
          if (error instanceof KubeApiError && frozenMessage.test(error.statusMessage)) return true;
          throw error;
        }
      },
    );
  } finally {
    tenant.close();
  }
  log.info({ tenant: `${namespace}/${tcp.metadata.name ?? ""}` }, "the tenant is frozen");
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

export async function runMigration(client: KubeClient, settings: MigrateSettings, log: Logger): Promise<CopyResult> {
  const deadline = Date.now() + settings.timeoutMs;
  const [namespace = "", name = ""] = settings.tenantControlPlane.split("/");
  if (namespace === "" || name === "") {
    throw new Error(`--tenant-control-plane ${JSON.stringify(settings.tenantControlPlane)}: expected namespace/name`);
  }
  const tcp = await client.get<TenantControlPlane>(resourceTypes.tenantControlPlane, name, namespace);
  if (tcp === undefined) throw new Error(`TenantControlPlane ${namespace}/${name} does not exist`);
  const sourceName = tcp.status?.storage?.dataStoreName;
  const schema = tcp.status?.storage?.setup?.schema;
  if (!sourceName || !schema)
    throw new Error(`TenantControlPlane ${namespace}/${name} has no DataStore in its status yet`);
  if (sourceName === settings.targetDataStore) throw new Error(`cannot migrate to the same DataStore (${sourceName})`);
  const dataStore = async (dataStoreName: string) => {
    const found = await client.get<DataStore>(resourceTypes.dataStore, dataStoreName);
    if (found === undefined) throw new Error(`DataStore ${dataStoreName} does not exist`);
    return resolveConnectionConfig(client, found);
  };
  const [source, target] = await Promise.all([dataStore(sourceName), dataStore(settings.targetDataStore)]);
  const stores = { source: openStore("source", source), target: openStore("target", target) };
  try {
    for (const store of Object.values(stores)) {
      await retryUntil(deadline, `reaching the ${store.description}`, () => store.revision());
    }
    await waitForFreeze(client, tcp, deadline, log);
    const begin = Date.now();
    const result = await copyTenant({
      source: stores.source,
      target: stores.target,
      sourcePrefix: tenantKeyPrefix(source.driver, schema),
      targetPrefix: tenantKeyPrefix(target.driver, schema),
      sourceName,
      cleanupPrior: settings.cleanupPriorMigration,
      log: (message, fields) => {
        log.info(fields ?? {}, message);
      },
    });
    log.info(
      { ...result, seconds: (Date.now() - begin) / 1000, from: sourceName, to: settings.targetDataStore },
      "migration copy done",
    );
    return result;
  } finally {
    stores.source.close();
    stores.target.close();
  }
}
