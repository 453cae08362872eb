// A TCP proxy on loopback that can stall its connections the way a blocked network path does: nothing passes while
// stalled, no connection is closed, and on resume what was sent meanwhile is delivered late, unless the sender gave
// its connection up meanwhile (its bytes then never arrive, as retransmissions stop when a socket is destroyed).
import { connect, createServer, type Socket } from "node:net";

export interface StallProxy {
  readonly port: number;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  upstream: Socket;
  /** Bytes each way held while stalled. */
  held: { up: Buffer[]; down: Buffer[] };
  clientGone: boolean;
}

export async function startStallProxy(target: { host: string; port: number }): Promise<StallProxy> {
  let stalled = false;
  const links = new Set<Link>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const link: Link = { client, upstream, held: { up: [], down: [] }, clientGone: false };
    links.add(link);
    client.on("data", (chunk: Buffer) => {
      if (stalled) link.held.up.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (stalled) link.held.down.push(chunk);
      else client.write(chunk);
    });
    const clientClosed = () => {
      link.clientGone = true;
      if (!stalled) {
        upstream.destroy();
        links.delete(link);
      }
    };
    client.on("close", clientClosed);
    client.on("error", clientClosed);
    const upstreamClosed = () => {
      if (!stalled) {
        client.destroy();
        links.delete(link);
      }
    };
    upstream.on("close", upstreamClosed);
    upstream.on("error", upstreamClosed);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no TCP address");
  return {
    port: address.port,
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const link of links) {
        if (link.clientGone) {
          link.upstream.destroy();
          links.delete(link);
          continue;
        }
        for (const chunk of link.held.up) link.upstream.write(chunk);
        for (const chunk of link.held.down) link.client.write(chunk);
        link.held = { up: [], down: [] };
      }
    },
    close: async () => {
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
