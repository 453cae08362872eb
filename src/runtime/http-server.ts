// Plain HTTP endpoints of the manager: /healthz and /readyz on one address, /metrics on another.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export type Check = () => string | undefined;

/** `host:port` or `:port` (all interfaces); "0" disables the endpoint. */
export function parseBindAddress(value: string, flag: string): { host: string; port: number } | undefined {
  if (value === "0") return undefined;
  const match = /^(.*):(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (match === null || !Number.isInteger(port) || port > 65535) {
    throw new Error(`${flag}: expected host:port, :port or 0, got ${JSON.stringify(value)}`);
  }
  const host = (match[1] ?? "").replace(/^\[(.*)\]$/, "$1");
  return { host: host === "" ? "::" : host, port };
}

/** Serves `routes` (path → handler returning [status, body, contentType]) on the address. */
async function serve(
  address: { host: string; port: number },
  routes: Record<string, () => Promise<[number, string, string]>>,
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const route = routes[path];
    if (route === undefined) {
      response.writeHead(404).end("not found\n");
      return;
    }
    route().then(
      ([status, body, contentType]) => response.writeHead(status, { "content-type": contentType }).end(body),
      (error: unknown) => response.writeHead(500).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, resolve);
  });
  return server;
}

/** /healthz answers while the process runs; /readyz fails with the reasons of every failing check. */
export function serveHealth(address: { host: string; port: number }, readiness: Check[]): Promise<Server> {
  const text = "text/plain; charset=utf-8";
  return serve(address, {
    "/healthz": () => Promise.resolve([200, "ok\n", text]),
    "/readyz": () => {
      const failures = readiness.map((check) => check()).filter((reason) => reason !== undefined);
      return Promise.resolve(failures.length === 0 ? [200, "ok\n", text] : [503, `${failures.join("\n")}\n`, text]);
    },
  });
}

export function serveMetrics(address: { host: string; port: number }, registry: Registry): Promise<Server> {
  return serve(address, {
    "/metrics": async () => [200, await registry.metrics(), registry.contentType],
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}
