// The NATS driver (reference §5, kine's JetStream backend): a tenant is a JetStream key-value bucket named after its
// schema, which kine creates its keys in. There are no per-tenant users: kine connects with the DataStore's own
// credentials (TenantStorage.user and .password are ignored here), so every tenant on a NATS DataStore can read and
// write every other tenant's bucket. Tenants are isolated from each other only by pointing each at its own bucket,
// hence upstream's advice of one TenantControlPlane per NATS DataStore where isolation matters.
//
// kine (v0.17.5) calls CreateKeyValue on its bucket at every start, which fails when the bucket exists with another
// configuration. The bucket is therefore created exactly as kine's nats.go would create it (see kineBucket), so that
// kine's own create is a no-op. A bucket of the tenant's name that is not shaped like kine's is someone else's: it is
// refused by provision and left alone by teardown.
import { isDeepStrictEqual } from "node:util";
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import {
  AuthorizationError,
  ClosedConnectionError,
  ConnectionError,
  type NatsConnection as NatsClient,
  NatsConnectionImpl,
  type NodeConnectionOptions,
  RequestError,
  setTransportFactory,
  TimeoutError,
} from "@nats-io/transport-node";
import { NodeTransport, nodeResolveHost } from "@nats-io/transport-node/lib/node_transport.js";
import { checkedEndpoints, checkedTls } from "./config-checks.js";
import {
  type DataStoreConnection,
  type DataStoreConnectionConfig,
  DataStoreError,
  type TenantStorage,
} from "./driver.js";
import { DriverErrors } from "./driver-errors.js";
import {
  CLIENT_CERTIFICATE_REJECTED,
  DeadlineExceeded,
  type Diagnosis,
  messageOf,
  isNetworkError,
  SERVER_CERTIFICATE_REJECTED,
  withDeadline,
} from "./failures.js";

export const DEFAULT_NATS_TIMEOUT_MS = 5_000;

export interface NatsConnectionOptions {
  /** Deadline of every call, connecting included; a server silent this long counts as unreachable. */
  readonly timeoutMs?: number;
}

/** A bucket is the JetStream stream `KV_<name>`, and stream names are at most 255 characters long. */
export const MAX_BUCKET_NAME_LENGTH = 255 - "KV_".length;

/** kine's description of its bucket, which also tells kine's buckets from others. */
export const KINE_BUCKET_DESCRIPTION = "Holds kine key/values";

/** JetStream's code for "stream name already in use" with a different configuration. */
const STREAM_NAME_IN_USE = 10058;

/**
 * Why the tenant's schema cannot be a NATS bucket name, or undefined. NATS (nats.go's bucketValid, kine's client)
 * allows only `[a-zA-Z0-9_-]+`: a dot would make the bucket's subjects `$KV.a.b.>` overlap another bucket's, and
 * quotes, spaces, NUL or non-ASCII letters are refused by the server or the clients.
 */
export function natsNameProblem(tenant: TenantStorage): string | undefined {
  const name = tenant.schema;
  if (name === "") return "the bucket name (schema) is empty";
  if (!/^[a-zA-Z0-9_-]+$/.test(name)) {
    return `bucket name ${JSON.stringify(name)} may contain only letters, digits, "-" and "_" (ASCII only: no dots, quotes, spaces, NUL or other characters)`;
  }
  if (name.length > MAX_BUCKET_NAME_LENGTH) {
    return `bucket name "${name}" is ${name.length} characters long, over NATS's ${MAX_BUCKET_NAME_LENGTH} (its stream "KV_${name}" may have at most 255)`;
  }
  return undefined;
}

const streamName = (bucket: string) => `KV_${bucket}`;

/**
 * The stream behind the bucket kine creates: nats.go's prepareKeyValueConfig (jetstream/kv.go, v1.55.0) for kine's
 * KeyValueConfig{Description, History: 10 (defaultRevHistory), Replicas: 1} (pkg/drivers/nats/new.go): every field
 * nats.go sets to something other than the server's default. The server compares the whole configuration, its
 * defaults applied, and answers a different one with "stream name already in use". @nats-io/kv's Kvm.create would
 * differ in deny_delete (false), and kine would refuse to start.
 */
function kineBucket(bucket: string): Partial<StreamConfig> & { name: string } {
  return {
    name: streamName(bucket),
    description: KINE_BUCKET_DESCRIPTION,
    subjects: [`$KV.${bucket}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: 1,
    max_msgs_per_subject: 10,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    max_msg_size: -1,
    max_consumers: -1,
    discard: DiscardPolicy.New,
    duplicate_window: 2 * 60 * 1_000_000_000,
    allow_rollup_hdrs: true,
    deny_delete: true,
    allow_direct: true,
  };
}

/**
 * nats.js (3.4.0) ignores a transport's close() until it has connected, so a connect that times out before the
 * server's INFO (a hung server) would leave its socket open for as long as the server stays silent, one per call.
 */
class ClosingTransport extends NodeTransport {
  override close(error?: Error): Promise<void> {
    if (!this.connected) this.discard();
    return super.close(error);
  }
}

/**
 * @nats-io/transport-node's connect() with ClosingTransport. The transport factory is process-wide and connect()
 * sets it too; either makes the same connections.
 */
function connectNats(options: NodeConnectionOptions): Promise<NatsClient> {
  setTransportFactory({ factory: () => new ClosingTransport(), dnsResolveFn: nodeResolveHost });
  return NatsConnectionImpl.connect(options);
}

/** The error and its causes, outermost first: the NATS client wraps socket and TLS errors. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && chain.length < 8;) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

function diagnose(error: unknown, timeoutMs: number, tls: boolean): Diagnosis {
  const chain = causes(error);
  const message = chain.map(messageOf).join(": ");
  const seconds = timeoutMs / 1000;
  if (chain.some((e) => e instanceof DeadlineExceeded || e instanceof TimeoutError)) {
    return { reason: "Unreachable", detail: `no answer within ${seconds} s` };
  }
  if (chain.some((e) => e instanceof AuthorizationError)) {
    return { reason: "Unauthorized", detail: `the server refused the DataStore's user and password: ${message}` };
  }
  if (chain.some((e) => e instanceof Error && e.name === "JetStreamNotEnabled")) {
    return {
      reason: "InvalidConfiguration",
      detail: `JetStream is not enabled on the server (or for the DataStore user's account), and kine stores its keys in JetStream: run nats-server with JetStream (-js, or a jetstream block in its configuration) (${messageOf(error)})`,
    };
  }
  if (message.includes("server does not support 'tls'")) {
    return {
      reason: "Unreachable",
      detail: `the server does not use TLS, but the DataStore has a TLS configuration (${message})`,
    };
  }
  if (SERVER_CERTIFICATE_REJECTED.test(message)) {
    return tls
      ? {
          reason: "Unauthorized",
          detail: `certificate verification failed: the server's certificate does not verify against the DataStore CA: ${message}`,
        }
      : {
          reason: "Unreachable",
          detail: `the server requires TLS, but the DataStore has no TLS configuration (no CA to verify it with): ${message}`,
        };
  }
  if (CLIENT_CERTIFICATE_REJECTED.test(message)) {
    return { reason: "Unauthorized", detail: `the server refused the DataStore's client certificate: ${message}` };
  }
  if (error instanceof JetStreamApiError) {
    return { reason: "OperationFailed", detail: `JetStream error ${error.code}: ${message}` };
  }
  if (
    chain.some(isNetworkError) ||
    chain.some((e) => e instanceof ConnectionError || e instanceof ClosedConnectionError) ||
    (error instanceof RequestError && !error.isNoResponders())
  ) {
    return { reason: "Unreachable", detail: message };
  }
  return { reason: "OperationFailed", detail: message };
}

/** Opens an administrative connection (lazily: the first call connects). Throws on an unusable configuration. */
export function openNatsConnection(
  config: DataStoreConnectionConfig,
  options: NatsConnectionOptions = {},
): DataStoreConnection {
  const endpoints = checkedEndpoints(config, "NATS").map(({ endpoint }) => endpoint);
  const timeoutMs = options.timeoutMs ?? DEFAULT_NATS_TIMEOUT_MS;
  const client: NodeConnectionOptions = {
    servers: endpoints,
    name: "kamaji",
    timeout: timeoutMs,
    // One attempt per endpoint; a call after a failure or a lost connection connects anew. The client's own
    // reconnect loop would keep sockets and timers alive after a failed first connect.
    reconnect: false,
    waitOnFirstConnect: false,
    // Only the endpoints the DataStore lists: others the cluster announces may not be reachable from here.
    ignoreClusterUpdates: true,
    ...(config.basicAuth === undefined ? {} : { user: config.basicAuth.username, pass: config.basicAuth.password }),
    ...(config.tls === undefined ? {} : { tls: tlsOptions(config) }),
  };
  const scheme = config.tls === undefined ? "nats" : "tls";
  const where = endpoints.map((endpoint) => `${scheme}://${endpoint}`).join(", ");
  return new NatsConnection(config.name, where, config.tls !== undefined, timeoutMs, client);
}

function tlsOptions(config: DataStoreConnectionConfig): NodeConnectionOptions["tls"] {
  const tls = checkedTls(config, "client");
  return tls === undefined ? undefined : { ...tls, rejectUnauthorized: true };
}

/** What a call is doing, for its error message. */
interface Progress {
  step: string;
}

class NatsConnection implements DataStoreConnection {
  private client: Promise<NatsClient> | undefined;
  private closed = false;
  private readonly errors: DriverErrors;

  constructor(
    dataStore: string,
    private readonly where: string,
    tls: boolean,
    private readonly timeoutMs: number,
    private readonly options: NodeConnectionOptions,
  ) {
    this.errors = new DriverErrors({
      dataStore,
      server: where,
      diagnose: (error) => diagnose(error, timeoutMs, tls),
      tenantNameProblem: natsNameProblem,
      // kine connects as the DataStore's user: a tenant is only its bucket.
      tenantName: (tenant) => `bucket ${JSON.stringify(tenant.schema)}`,
    });
  }

  async check(): Promise<void> {
    await this.call("check", async (progress) => {
      const jsm = await this.manager(progress);
      progress.step = "read the JetStream account information";
      await jsm.getAccountInfo();
    });
  }

  async provision(tenant: TenantStorage): Promise<void> {
    const context = this.errors.tenantContext("provision", tenant);
    await this.call(context, async (progress) => {
      const jsm = await this.manager(progress);
      const bucket = kineBucket(tenant.schema);
      progress.step = `create bucket "${tenant.schema}" (stream ${bucket.name})`;
      try {
        // JetStream creates the stream, or does nothing when it exists with exactly this configuration: what
        // kine's CreateKeyValue does at its start.
        await jsm.streams.add(bucket);
      } catch (error) {
        if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
        throw this.errors.invalid(
          context,
          `bucket "${tenant.schema}" already exists on ${this.where} with a configuration other than kine's (history 10, 1 replica, file storage, deny delete, allow direct, description "${KINE_BUCKET_DESCRIPTION}"): kine would refuse to start on it, so it is left alone`,
          error,
        );
      }
    });
  }

  async isProvisioned(tenant: TenantStorage): Promise<boolean> {
    const context = this.errors.tenantContext("provisioning check", tenant);
    return this.call(context, async (progress) => {
      const config = await this.bucketConfig(progress, tenant.schema);
      return config !== undefined && isAsProvisioned(config, tenant.schema);
    });
  }

  async teardown(tenant: TenantStorage): Promise<void> {
    const context = this.errors.tenantContext("teardown", tenant);
    await this.call(context, async (progress) => {
      const config = await this.bucketConfig(progress, tenant.schema);
      if (config === undefined || !isKineBucket(config, tenant.schema)) return;
      progress.step = `delete bucket "${tenant.schema}" (stream ${config.name})`;
      const jsm = await this.manager(progress);
      try {
        await jsm.streams.delete(config.name);
      } catch (error) {
        if (!isStreamNotFound(error)) throw error;
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.client;
    this.client = undefined;
    const client = await pending?.catch(() => undefined);
    await client?.close();
  }

  /** The bucket's stream configuration, or undefined when there is no such bucket. */
  private async bucketConfig(progress: Progress, bucket: string): Promise<StreamConfig | undefined> {
    const jsm = await this.manager(progress);
    progress.step = `read bucket "${bucket}" (stream ${streamName(bucket)})`;
    try {
      return (await jsm.streams.info(streamName(bucket))).config;
    } catch (error) {
      if (isStreamNotFound(error)) return undefined;
      throw error;
    }
  }

  /** A JetStream manager on the shared client, connecting first when there is no live client. */
  private async manager(progress: Progress): Promise<JetStreamManager> {
    progress.step = "connect";
    if (this.closed) throw new Error("this DataStore connection was closed (close() was called)");
    if (this.client === undefined) {
      const pending = connectNats(this.options);
      this.client = pending;
      pending.then(
        // Forget the client when the server closes it, so that the next call connects again.
        (client) =>
          void client.closed().then(() => {
            if (this.client === pending) this.client = undefined;
          }),
        () => {
          if (this.client === pending) this.client = undefined;
        },
      );
    }
    const client = await this.client;
    // Without the API check: a server without JetStream then fails the first request, which says so.
    return jetstreamManager(client, { timeout: this.timeoutMs, checkAPI: false });
  }

  /** Runs `work` within the deadline; a failure becomes a DataStoreError naming the step it failed at. */
  private async call<T>(context: string, work: (progress: Progress) => Promise<T>): Promise<T> {
    const progress: Progress = { step: "connect" };
    try {
      return await withDeadline(work(progress), this.timeoutMs);
    } catch (error) {
      if (error instanceof DataStoreError) throw error;
      throw this.errors.failure(context, progress.step, error);
    }
  }
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === (JetStreamApiCodes.StreamNotFound as number);
}

/**
 * The bucket has every setting provision gives it, so that provision (and kine's create) would leave it as it is.
 * The server adds settings of its own, which depend on its version.
 */
function isAsProvisioned(config: StreamConfig, bucket: string): boolean {
  return Object.entries(kineBucket(bucket)).every(([field, value]) =>
    isDeepStrictEqual(config[field as keyof StreamConfig], value),
  );
}

/** A kine bucket: kine's description on the bucket's own subjects. Anything else of that name is someone else's. */
function isKineBucket(config: StreamConfig, bucket: string): boolean {
  const subjects = config.subjects;
  return config.description === KINE_BUCKET_DESCRIPTION && subjects.length === 1 && subjects[0] === `$KV.${bucket}.>`;
}
