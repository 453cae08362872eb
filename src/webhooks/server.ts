// The admission webhook server: AdmissionReview v1 over HTTPS, on upstream's paths, with a serving certificate
// that can be replaced while it runs (new connections get the new one; no restart).
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { CertificateKeyPem } from "../pki/index.js";
import type { Logger } from "../runtime/logger.js";
import {
  admissionResponse,
  BadAdmissionReview,
  parseAdmissionReview,
  UnexpectedAdmissionObject,
  type AdmissionCall,
  type AdmissionHandler,
  type AdmissionRequest,
  type AdmissionVerdict,
  type Refusal,
} from "./http/admission-review.js";
import type { ClusterView } from "./http/cluster-view.js";
import { PayloadTooLarge, readRequestBody } from "./http/request-body.js";
import { tenantGuardHandlers } from "./http/tenant-guards.js";
import { tenantControlPlaneHandlers } from "./http/tenantcontrolplane.js";

export { kubeClusterView, type ClusterView } from "./http/cluster-view.js";
export { tenantControlPlanePaths } from "./http/tenantcontrolplane.js";
export { tenantGuardPaths } from "./http/tenant-guards.js";

/** controller-runtime's limit: an AdmissionReview holds the object and the stored object, each up to ~1.5 MiB. */
const defaultMaxBodyBytes = 7 * 1024 * 1024;

export interface WebhookServerOptions {
  /** Where to listen (upstream: port 9443 on every interface); port 0 picks a free port. */
  readonly address: { host: string; port: number };
  /** The first serving certificate; WebhookServer.setCertificate replaces it. */
  readonly certificate: CertificateKeyPem;
  readonly log: Logger;
  /** How the validation rules read the management cluster (DataStores, Gateway API discovery, Deployment dry-run). */
  readonly cluster: ClusterView;
  /** The operator's default DataStore (the `--datastore` flag), set on new TenantControlPlanes without one. */
  readonly defaultDataStore?: string;
  readonly maxBodyBytes?: number;
}

export interface WebhookServer {
  /** The port it listens on (the chosen one when the options asked for port 0). */
  readonly port: number;
  /** Serves `certificate` to every new connection; throws, keeping the current one, if the pair is unusable. */
  setCertificate(certificate: CertificateKeyPem): void;
  close(): Promise<void>;
}

const tlsOptions = (certificate: CertificateKeyPem) => ({
  cert: certificate.certificatePem,
  key: certificate.privateKeyPem,
});

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const log = options.log;
  const handlers = new Map<string, AdmissionHandler>(
    Object.entries({
      ...tenantControlPlaneHandlers({
        cluster: options.cluster,
        log,
        ...(options.defaultDataStore === undefined ? {} : { defaultDataStore: options.defaultDataStore }),
      }),
      ...tenantGuardHandlers(),
    }),
  );
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const server = createServer(
    // The API server gives a webhook at most 30 s; a client that trickles its request is cut off sooner.
    { ...tlsOptions(options.certificate), minVersion: "TLSv1.2", headersTimeout: 10_000, requestTimeout: 30_000 },
    (request, response) => {
      serve(request, response, { handlers, maxBodyBytes, log }).catch((error: unknown) => {
        log.error({ error, path: request.url }, "answering an admission request failed");
        response.destroy();
      });
    },
  );
  server.on("tlsClientError", (error) => {
    log.debug({ error }, "TLS handshake with a webhook client failed");
  });
  await listen(server, options.address);
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.address.port;
  log.info({ host: options.address.host, port, paths: [...handlers.keys()] }, "serving admission webhooks");
  return {
    port,
    setCertificate(certificate) {
      server.setSecureContext(tlsOptions(certificate));
    },
    close: () => close(server),
  };
}

interface Routing {
  readonly handlers: ReadonlyMap<string, AdmissionHandler>;
  readonly maxBodyBytes: number;
  readonly log: Logger;
}

async function serve(request: IncomingMessage, response: ServerResponse, routing: Routing): Promise<void> {
  const path = new URL(request.url ?? "/", "https://webhook.invalid").pathname;
  // A handler's path, or its path with more segments after it (e.g. /write-permission/<namespace>/<tcp>).
  const route = [...routing.handlers.keys()].find((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  const handler = route === undefined ? undefined : routing.handlers.get(route);
  if (handler === undefined) {
    reply(response, 404, `no admission webhook at ${path}`);
    return;
  }
  if (request.method !== "POST") {
    reply(response, 405, `${request.method ?? "?"} is not allowed, only POST`, { allow: "POST" });
    return;
  }
  const contentType = request.headers["content-type"]?.split(";")[0]?.trim();
  if (contentType !== "application/json") {
    reply(response, 400, `expected content-type application/json, got ${contentType ?? "none"}`);
    return;
  }
  let review: AdmissionRequest;
  try {
    review = parseAdmissionReview(await readRequestBody(request, routing.maxBodyBytes));
  } catch (error) {
    if (error instanceof PayloadTooLarge) reply(response, 413, error.message, { connection: "close" });
    else if (error instanceof BadAdmissionReview) reply(response, 400, error.message);
    else throw error;
    return;
  }
  const subpath = decodeURIComponent(path.slice((route ?? "").length + 1));
  const outcome = await decide(handler, review, { subpath }, path, routing.log);
  routing.log.debug(
    {
      path,
      uid: review.uid,
      operation: review.operation,
      namespace: review.namespace,
      name: review.name,
      allowed: "allowed" in outcome,
      ...("message" in outcome ? { message: outcome.message } : {}),
    },
    "admission request answered",
  );
  const body = JSON.stringify(admissionResponse(review.uid, outcome));
  response.writeHead(200, { "content-type": "application/json" }).end(body);
}

/** The handler's verdict; a request it cannot read is refused with 400, and a failure with 500 (and logged). */
async function decide(
  handler: AdmissionHandler,
  review: AdmissionRequest,
  call: AdmissionCall,
  path: string,
  log: Logger,
): Promise<AdmissionVerdict | Refusal> {
  try {
    return await handler(review, call);
  } catch (error) {
    if (error instanceof UnexpectedAdmissionObject) return { code: 400, message: error.message };
    log.error({ error, path, uid: review.uid, operation: review.operation }, "admission handler failed");
    const reason = error instanceof Error ? error.message : String(error);
    return { code: 500, message: `the admission webhook failed: ${reason}` };
  }
}

function reply(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...headers, "content-type": "text/plain; charset=utf-8" }).end(`${message}\n`);
}

function listen(server: Server, address: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      reject(new Error(`webhook server on ${address.host}:${address.port}: ${error.message}`, { cause: error }));
    };
    server.once("error", onError);
    server.listen(address.port, address.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}
