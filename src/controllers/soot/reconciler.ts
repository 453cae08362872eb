// The per-tenant ("soot") controller: for every TenantControlPlane whose API server runs, a connection to that
// tenant and watches on the objects Kamaji keeps there. Any change to them, or to the TCP, re-applies the tenant
// plan, so a deleted or edited object comes back. Each tenant is its own queue key with its own backoff and
// short request deadlines, so an unreachable tenant only delays itself.
import { setMaxListeners } from "node:events";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { isPaused, projectLabel } from "../../resources/labels.js";
import { resourceNames } from "../../resources/names.js";
import { apiServerPort } from "../../resources/service.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../../runtime/controller.js";
import { Informer } from "../../runtime/informer.js";
import type { KubeClient, KubeObject } from "../../runtime/kube-client.js";
import type { Logger } from "../../runtime/logger.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import { decodeData, type Secret } from "../tenantcontrolplane/objects.js";
import { clusterInfoChecksum } from "../../resources/tenant/kubeadm-phases.js";
import { blockedOperations, type GuardEndpoint } from "../../resources/tenant/write-permissions.js";
import { recordBootstrapToken } from "./bootstrap-status.js";
import { tenantClient } from "./tenant-connection.js";
import { tenantPlan, type TenantInputs } from "./tenant-plan.js";
import { tenantResourceTypeOf, tenantResourceTypes } from "./tenant-types.js";

/**
 * Version statuses with a serving API server. A CA rotation keeps the session (unlike upstream): cluster-info must
 * follow the trust bundle while it runs.
 */
const servingStatuses = new Set(["Ready", "Upgrading", "WriteLimited", "Migrating", "CertificateAuthorityRotating"]);

/**
 * Whether the tenant API serves: a serving status, or a first rollout with a ready replica (the TCP only turns
 * Ready once this controller has bootstrapped the tenant). Sleeping, NotReady and deletion stop the session.
 */
export function tenantServes(tcp: TenantControlPlane | undefined): boolean {
  if (tcp === undefined || tcp.metadata.deletionTimestamp !== undefined) return false;
  const { version, deployment } = tcp.status?.kubernetesResources ?? {};
  if (servingStatuses.has(version?.status ?? "")) return true;
  return version?.status === "Provisioning" && (deployment?.readyReplicas ?? 0) > 0;
}
/** Besides watches, the whole plan is re-applied this often (objects a user unlabelled, missed events). */
const RESYNC_MS = 5 * 60_000;

interface TenantSession {
  readonly client: KubeClient;
  /** The admin kubeconfig checksum and the Service address the session was opened with. */
  readonly identity: string;
  readonly stop: AbortController;
}

/** The operator's webhook server as tenant API servers reach it (absent when the manager serves no webhooks). */
export interface TenantGuardSettings {
  /** Its Service: `https://<service>.<namespace>.svc:443`. */
  readonly serviceName: string;
  readonly namespace: string;
  /** The Secret of its serving certificate; `ca.crt` is the bundle tenant API servers verify it with. */
  readonly secretName: string;
}

export interface SootReconcilerOptions {
  readonly client: KubeClient;
  readonly guard?: TenantGuardSettings;
  readonly tenantControlPlanes: Informer<TenantControlPlane>;
  readonly fieldManager: string;
  readonly log: Logger;
  /** Queues a TCP key again (a tenant-side object changed). */
  readonly enqueue: (key: string) => void;
}

export class SootReconciler implements Reconciler {
  readonly #sessions = new Map<string, TenantSession>();

  constructor(private readonly options: SootReconcilerOptions) {}

  async reconcile(key: string, context: ReconcileContext): Promise<ReconcileResult | undefined> {
    const tcp = this.options.tenantControlPlanes.get(key.slice(key.indexOf("/") + 1), key.slice(0, key.indexOf("/")));
    if (tcp === undefined || !tenantServes(tcp)) {
      this.#close(key, context.log, tcp?.status?.kubernetesResources?.version?.status ?? "gone");
      return undefined;
    }
    if (isPaused(tcp.metadata)) return undefined;
    const session = await this.#session(key, tcp, context.log);
    // Both sides' calls are abandoned when the reconcile is stopped or deposed: nothing lands later.
    const management = this.options.client.withSignal(context.signal);
    const tenant = session.client.withSignal(context.signal);
    const inputs = await this.#inputs(management, tcp);
    if (tcp.status?.kubernetesResources?.version?.status === "Migrating" && inputs.guard === undefined) {
      context.log.warn(
        { tenant: key },
        "the tenant moves to another DataStore, but this manager serves no webhooks (--webhook-port=0): it cannot be frozen",
      );
    }
    if (blockedOperations(tcp).length > 0 && inputs.guard === undefined) {
      context.log.warn(
        { tenant: key },
        "spec.writePermissions blocks writes, but this manager serves no webhooks (--webhook-port=0): not enforced",
      );
    }
    const plan = tenantPlan(tcp, inputs);
    await Promise.all(plan.removeFirst.map((object) => removeIfOurs(tenant, object)));
    const applied = await Promise.all(
      plan.apply.map((object) =>
        tenant.apply<KubeObject & { data?: Record<string, string> }>(
          tenantResourceTypeOf(object),
          object,
          this.options.fieldManager,
        ),
      ),
    );
    await Promise.all(plan.remove.map((object) => removeIfOurs(tenant, object)));
    if (plan.frozen) return { requeueAfterMs: RESYNC_MS };
    const clusterInfo = applied.find((o) => o.kind === "ConfigMap" && o.metadata.name === "cluster-info");
    await recordBootstrapToken(management, tcp, clusterInfoChecksum(clusterInfo ?? {}), this.options.fieldManager);
    return { requeueAfterMs: RESYNC_MS };
  }

  /** Stops every tenant session (the manager is stopping or lost leadership). */
  close(): void {
    for (const session of this.#sessions.values()) {
      session.stop.abort();
      session.client.close();
    }
    this.#sessions.clear();
  }

  async #session(key: string, tcp: TenantControlPlane, log: Logger): Promise<TenantSession> {
    const { client } = this.options;
    const namespace = tcp.metadata.namespace ?? "";
    const names = resourceNames(tcp.metadata.name ?? "");
    const service = await client.get<KubeObject & { spec?: { clusterIP?: string } }>(
      resourceTypes.service,
      names.service,
      namespace,
    );
    const clusterIP = service?.spec?.clusterIP;
    const port = tcp.status?.kubernetesResources?.service?.port;
    if (clusterIP === undefined || clusterIP === "None" || port === undefined) {
      throw new Error(`Service ${namespace}/${names.service} has no cluster IP and port yet`);
    }
    const adminSecret = tcp.status?.kubeconfig?.admin?.secretName || names.adminKubeconfig;
    const identity = `${tcp.status?.kubeconfig?.admin?.checksum ?? ""}@${clusterIP}:${port}`;
    const existing = this.#sessions.get(key);
    if (existing?.identity === identity) return existing;
    this.#close(key, log, "credentials or address changed");

    const secret = await client.get<Secret>(resourceTypes.secret, adminSecret, namespace);
    const kubeconfig = decodeData(secret)["super-admin.conf"];
    if (kubeconfig === undefined) throw new Error(`Secret ${namespace}/${adminSecret} has no key super-admin.conf`);
    const session: TenantSession = {
      client: tenantClient(tcp, kubeconfig, { clusterIP, port }),
      identity,
      stop: new AbortController(),
    };
    // Each of the tenant's informers listens on this one signal (and its backoff sleeps do too).
    setMaxListeners(0, session.stop.signal);
    this.#sessions.set(key, session);
    this.#watch(key, session, log);
    log.info({ tenant: key, address: `${clusterIP}:${port}` }, "connected to the tenant cluster");
    return session;
  }

  /** Watches every kind Kamaji keeps in the tenant (its labelled objects only); any change queues the TCP. */
  #watch(key: string, session: TenantSession, log: Logger): void {
    const enqueue = () => {
      this.options.enqueue(key);
    };
    for (const type of tenantResourceTypes) {
      const informer = new Informer<KubeObject>(session.client, type, log.child({ tenant: key }), {
        labelSelector: `${projectLabel}=kamaji`,
        transform: (object) => ({ apiVersion: object.apiVersion, kind: object.kind, metadata: object.metadata }),
      });
      informer.on({ update: enqueue, delete: enqueue });
      void informer.run(session.stop.signal);
    }
  }

  #close(key: string, log: Logger, why: string): void {
    const session = this.#sessions.get(key);
    if (session === undefined) return;
    session.stop.abort();
    session.client.close();
    this.#sessions.delete(key);
    log.info({ tenant: key, why }, "disconnected from the tenant cluster");
  }

  async #inputs(client: KubeClient, tcp: TenantControlPlane): Promise<TenantInputs> {
    const namespace = tcp.metadata.namespace ?? "";
    const names = resourceNames(tcp.metadata.name ?? "");
    const [kubeadmConfig, ca] = await Promise.all([
      client.get<KubeObject & { data?: Record<string, string> }>(
        resourceTypes.configMap,
        names.kubeadmConfig,
        namespace,
      ),
      client.get<Secret>(resourceTypes.secret, names.ca, namespace),
    ]);
    const clusterConfiguration = kubeadmConfig?.data?.ClusterConfiguration;
    const caCertificatePem = decodeData(ca)["ca.crt"];
    if (clusterConfiguration === undefined || caCertificatePem === undefined) {
      throw new Error(`${namespace}/${names.kubeadmConfig} or ${namespace}/${names.ca} is not ready yet`);
    }
    const endpoint = tcp.status?.controlPlaneEndpoint ?? "";
    const host = endpoint.startsWith("[") ? endpoint.slice(1, endpoint.indexOf("]")) : endpoint.split(":")[0];
    const advertised = tcp.spec.networkProfile?.advertiseAddress || (host ?? "");
    // The webhook's CA is read only for a tenant that needs the write-permissions or the freeze configuration.
    const guarded =
      blockedOperations(tcp).length > 0 || tcp.status?.kubernetesResources?.version?.status === "Migrating";
    const guard = guarded ? await this.#guardEndpoint(client) : undefined;
    return {
      ...(guard === undefined ? {} : { guard }),
      clusterConfiguration: JSON.parse(clusterConfiguration) as Record<string, unknown>,
      caCertificatePem,
      server: `https://${endpoint}`,
      proxyServerHost: advertised,
      apiServer: { address: advertised, port: apiServerPort(tcp) },
    };
  }

  async #guardEndpoint(client: KubeClient): Promise<GuardEndpoint | undefined> {
    const { guard } = this.options;
    if (guard === undefined) return undefined;
    const secret = await client.get<Secret>(resourceTypes.secret, guard.secretName, guard.namespace);
    const caBundlePem = decodeData(secret)["ca.crt"];
    if (caBundlePem === undefined) {
      throw new Error(`Secret ${guard.namespace}/${guard.secretName} has no ca.crt yet (the webhook certificate)`);
    }
    return { baseUrl: `https://${guard.serviceName}.${guard.namespace}.svc:443`, caBundlePem };
  }
}

/** Deletes a tenant object only when Kamaji's label is on it. */
async function removeIfOurs(client: KubeClient, object: KubeObject): Promise<void> {
  const type = tenantResourceTypeOf(object);
  const { name, namespace } = object.metadata;
  if (name === undefined) return;
  const live = await client.get(type, name, namespace);
  if (live?.metadata.labels?.[projectLabel] === "kamaji") await client.delete(type, name, namespace);
}
