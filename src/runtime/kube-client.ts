// A small JSON client for the Kubernetes API: client-node loads the kubeconfig and its credentials; requests go
// through one keep-alive agent. client-node's object API turns objects into classes with Date fields, which breaks
// the plain-JSON round trips server-side apply and checksums rely on, so it is not used for requests.
import { request as httpsRequest, Agent, type RequestOptions } from "node:https";
import type { IncomingMessage } from "node:http";
import { KubeConfig } from "@kubernetes/client-node";
import { resourcePath, type ResourceType } from "./resource-types.js";

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface ObjectList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export interface WatchEvent<T> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

/** An error status from the API server, with its HTTP code and reason (NotFound, Conflict, Expired...). */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    /** The Status message alone, as the API server wrote it. */
    readonly statusMessage: string,
    readonly request: string,
  ) {
    super(`${request}: ${code} ${reason}: ${statusMessage}`);
    this.name = "KubeApiError";
  }
}

export const isNotFound = (error: unknown): boolean => error instanceof KubeApiError && error.code === 404;
export const isConflict = (error: unknown): boolean => error instanceof KubeApiError && error.code === 409;
export const isGone = (error: unknown): boolean => error instanceof KubeApiError && error.code === 410;

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** Only each object's metadata (PartialObjectMetadata): no data, spec or status is sent or parsed. */
  metadataOnly?: boolean;
}

export interface WatchOptions extends ListOptions {
  resourceVersion?: string;
  /** The server closes the watch after this long; the informer then resumes from the last resourceVersion. */
  timeoutSeconds?: number;
}

/** What every call accepts: a signal that abandons it (the request is destroyed, the call rejects). */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface ApplyOptions extends CallOptions {
  /** `dryRun=All`: the answer is the object as it would be stored; nothing is persisted. */
  readonly dryRun?: boolean;
}

interface RequestSpec {
  method: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal | undefined;
  /** A watch stays open: no request deadline. */
  watch?: boolean;
  /** The Accept header; default application/json. */
  accept?: string;
}

/** The Accept header of a metadata-only list or watch (a PartialObjectMetadataList or PartialObjectMetadata stream). */
const metadataAccept = (kind: "PartialObjectMetadataList" | "PartialObjectMetadata"): string =>
  `application/json;as=${kind};g=meta.k8s.io;v=v1`;

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface KubeClientOptions {
  /** Deadline of each plain request (watches have none); tenant clients use a short one. */
  readonly requestTimeoutMs?: number;
}

/** What a client bound to a signal shares with the client it was made from. */
interface SharedTransport {
  readonly agent: Agent;
  readonly tlsOptions: Promise<RequestOptions>;
  readonly signal: AbortSignal;
}

export class KubeClient {
  readonly server: string;
  readonly #agent: Agent;
  readonly #kubeConfig: KubeConfig;
  readonly #tlsOptions: Promise<RequestOptions>;
  readonly #requestTimeoutMs: number;
  /** Set on a client made by withSignal: every call it makes is abandoned when this aborts. */
  readonly #boundSignal: AbortSignal | undefined;

  constructor(kubeConfig: KubeConfig, options: KubeClientOptions = {}, shared?: SharedTransport) {
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error("kubeconfig has no current cluster");
    this.server = cluster.server.replace(/\/$/, "");
    this.#kubeConfig = kubeConfig;
    this.#agent = shared?.agent ?? new Agent({ keepAlive: true, maxSockets: 32 });
    this.#tlsOptions = shared?.tlsOptions ?? this.#credentials();
    this.#boundSignal = shared?.signal;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The same credentials over connections of its own (leader election must not queue behind other calls). */
  withSeparateConnections(): KubeClient {
    return new KubeClient(this.#kubeConfig, { requestTimeoutMs: this.#requestTimeoutMs });
  }

  /**
   * This client with every call bound to `signal` (besides any signal a call gives): what a reconcile uses, so that
   * a stop or a lost lease abandons its requests instead of letting them land later.
   */
  withSignal(signal: AbortSignal): KubeClient {
    const bound = this.#boundSignal === undefined ? signal : AbortSignal.any([this.#boundSignal, signal]);
    return new KubeClient(
      this.#kubeConfig,
      { requestTimeoutMs: this.#requestTimeoutMs },
      { agent: this.#agent, tlsOptions: this.#tlsOptions, signal: bound },
    );
  }

  /** From a kubeconfig file, or in-cluster configuration when no path is given and the pod has one. */
  static load(kubeconfigPath?: string): KubeClient {
    const kubeConfig = new KubeConfig();
    if (kubeconfigPath !== undefined) kubeConfig.loadFromFile(kubeconfigPath);
    else kubeConfig.loadFromDefault();
    return new KubeClient(kubeConfig);
  }

  async get<T extends KubeObject>(
    type: ResourceType,
    name: string,
    namespace?: string,
    call: CallOptions = {},
  ): Promise<T | undefined> {
    try {
      return await this.request<T>({ method: "GET", path: resourcePath(type, namespace, name), signal: call.signal });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list<T extends KubeObject>(
    type: ResourceType,
    options: ListOptions & CallOptions = {},
  ): Promise<ObjectList<T>> {
    const { namespace, signal, metadataOnly, ...query } = options;
    // An empty PartialObjectMetadataList comes with "items": null.
    const list = await this.request<Omit<ObjectList<T>, "items"> & { items: T[] | null }>({
      method: "GET",
      path: resourcePath(type, namespace),
      query: { ...query },
      signal,
      ...(metadataOnly === true ? { accept: metadataAccept("PartialObjectMetadataList") } : {}),
    });
    return { ...list, items: list.items ?? [] };
  }

  create<T extends KubeObject>(type: ResourceType, object: T, call: CallOptions = {}): Promise<T> {
    const path = resourcePath(type, object.metadata.namespace);
    return this.request<T>({ method: "POST", path, body: object, signal: call.signal });
  }

  /** Replaces the object; its metadata.resourceVersion makes this fail with a Conflict if it changed meanwhile. */
  update<T extends KubeObject>(type: ResourceType, object: T, call: CallOptions = {}): Promise<T> {
    const { name, namespace } = object.metadata;
    if (name === undefined) throw new Error(`update of a ${type.kind} without metadata.name`);
    return this.request<T>({
      method: "PUT",
      path: resourcePath(type, namespace, name),
      body: object,
      signal: call.signal,
    });
  }

  /**
   * Server-side apply of `object` (which must carry apiVersion, kind, name) as `fieldManager`, taking conflicts.
   * With `dryRun`, the API server validates and admits the result (creating the object if absent) but stores nothing.
   */
  apply<T extends KubeObject>(
    type: ResourceType,
    object: KubeObject,
    fieldManager: string,
    subresource?: "status",
    options: ApplyOptions = {},
  ): Promise<T> {
    const { name, namespace } = object.metadata;
    if (name === undefined) throw new Error(`apply of a ${type.kind} without metadata.name`);
    return this.request<T>({
      method: "PATCH",
      path: resourcePath(type, namespace, name, subresource),
      query: { fieldManager, force: true, dryRun: options.dryRun ? "All" : undefined },
      body: object,
      contentType: "application/apply-patch+yaml",
      signal: options.signal,
    });
  }

  /** Deletes the object (dependents in the background); false when it did not exist. */
  async delete(type: ResourceType, name: string, namespace?: string, call: CallOptions = {}): Promise<boolean> {
    try {
      await this.request({
        method: "DELETE",
        path: resourcePath(type, namespace, name),
        body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" },
        signal: call.signal,
      });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** A JSON merge patch, or a JSON patch when `patch` is an array of operations. */
  patch<T extends KubeObject>(
    type: ResourceType,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    subresource?: "status",
    call: CallOptions = {},
  ): Promise<T> {
    return this.request<T>({
      method: "PATCH",
      path: resourcePath(type, namespace, name, subresource),
      body: patch,
      contentType: Array.isArray(patch) ? "application/json-patch+json" : "application/merge-patch+json",
      signal: call.signal,
    });
  }

  /**
   * Streams watch events to `onEvent` until the server ends the watch or `signal` aborts; resolves then.
   * An ERROR event (e.g. 410 Gone: resourceVersion too old) rejects with the matching KubeApiError.
   */
  async watch<T>(
    type: ResourceType,
    options: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const { namespace, metadataOnly, ...query } = options;
    const path = resourcePath(type, namespace);
    const response = await this.#send({
      method: "GET",
      path,
      query: { ...query, watch: true, allowWatchBookmarks: true },
      signal,
      watch: true,
      ...(metadataOnly === true ? { accept: metadataAccept("PartialObjectMetadata") } : {}),
    });
    const what = `watch ${path}`;
    if (response.statusCode !== 200) throw await errorFromResponse(response, what);
    let buffered = "";
    response.setEncoding("utf8");
    try {
      for await (const chunk of response as AsyncIterable<string>) {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line === "") continue;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type === "ERROR") throw statusError(event.object as ApiStatus, what);
          onEvent(event);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
  }

  async request<T>(spec: RequestSpec): Promise<T> {
    const response = await this.#send(spec);
    const what = `${spec.method} ${spec.path}`;
    const text = await readBody(response);
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) throw errorFromText(status, text, what);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /** Closes the connections; a client made by withSignal shares them and leaves that to its origin. */
  close(): void {
    if (this.#boundSignal === undefined) this.#agent.destroy();
  }

  async #send(spec: RequestSpec): Promise<IncomingMessage> {
    const signals = [spec.signal, this.#boundSignal].filter((s) => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    signal?.throwIfAborted();
    const tls = await this.#tlsOptions;
    const headers = await this.#authHeaders();
    const url = new URL(this.server + spec.path);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        url,
        {
          ...tls,
          agent: this.#agent,
          method: spec.method,
          signal,
          headers: {
            ...headers,
            accept: spec.accept ?? "application/json",
            ...(body === undefined
              ? {}
              : { "content-type": spec.contentType ?? "application/json", "content-length": Buffer.byteLength(body) }),
          },
        },
        resolve,
      );
      // Watches stay open; plain requests get a deadline besides their caller's signal.
      if (spec.watch !== true) {
        request.setTimeout(this.#requestTimeoutMs, () => {
          request.destroy(new Error(`${spec.method} ${spec.path}: no answer in ${this.#requestTimeoutMs} ms`));
        });
      }
      request.on("error", (error) => {
        reject(new Error(`${spec.method} ${this.server}${spec.path}: ${error.message}`, { cause: error }));
      });
      request.end(body);
    });
  }

  async #credentials(): Promise<RequestOptions> {
    const options: RequestOptions = {};
    await this.#kubeConfig.applyToHTTPSOptions(options);
    const { ca, cert, key, rejectUnauthorized, servername } = options;
    return { ca, cert, key, rejectUnauthorized, servername };
  }

  // Token credentials (e.g. a projected service-account token) are re-read for every request: they rotate.
  async #authHeaders(): Promise<Record<string, string>> {
    const user = this.#kubeConfig.getCurrentUser();
    if (user === null || (user.token === undefined && user.authProvider === undefined && user.exec === undefined)) {
      return {};
    }
    const options: RequestOptions = {};
    await this.#kubeConfig.applyToHTTPSOptions(options);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (typeof value === "string") headers[name] = value;
    }
    return headers;
  }
}

interface ApiStatus {
  code?: number;
  reason?: string;
  message?: string;
}

function statusError(status: ApiStatus, what: string): KubeApiError {
  return new KubeApiError(status.code ?? 0, status.reason ?? "Unknown", status.message ?? "", what);
}

function errorFromText(code: number, text: string, what: string): KubeApiError {
  try {
    const status = JSON.parse(text) as ApiStatus;
    return new KubeApiError(code, status.reason ?? "Unknown", status.message ?? text, what);
  } catch {
    return new KubeApiError(code, "Unknown", text.slice(0, 500), what);
  }
}

async function errorFromResponse(response: IncomingMessage, what: string): Promise<KubeApiError> {
  return errorFromText(response.statusCode ?? 0, await readBody(response), what);
}

async function readBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}
