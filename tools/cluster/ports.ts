import { createServer } from "node:net";

/** Resolves when `port` on `host` can be bound; rejects with a message saying what to do otherwise. */
export function assertPortFree(host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `${host}:${port} (${what}) is already in use: stop what listens there, or choose another port`
            : `${host}:${port} (${what}) cannot be bound: ${error.message}`,
        ),
      );
    });
    server.listen(port, host, () =>
      server.close(() => {
        resolve();
      }),
    );
  });
}

/** A port the kernel reports free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}
