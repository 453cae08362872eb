// A TCP server on loopback that accepts connections and then says nothing (or only a greeting): a hung server, or
// something other than the server a driver expects.
import { createServer, type Socket } from "node:net";

export interface SilentServer {
  /** `127.0.0.1:port`. */
  readonly endpoint: string;
  /** Drops the open connections and stops listening. */
  close(): Promise<void>;
}

/** Listens on a free loopback port; writes `greeting`, if any, to each client, and nothing else. */
export async function startSilentServer(greeting?: Buffer): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (greeting !== undefined) socket.write(greeting);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
