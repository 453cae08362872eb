// A TCP proxy on loopback that can stall its connections the way a blocked network path does: nothing passes while
// stalled, no connection is closed, and on resume what was sent meanwhile is delivered late, unless the sender gave
// its connection up meanwhile (its bytes then never arrive, as retransmissions stop when a socket is destroyed).
import { readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";

export interface StallProxy {
  readonly port: number;
  /** Stalls every connection, open now or opened later. */
  stall(): void;
  /** Stalls only the connections open now (a path that died under them); new ones pass. */
  stallExisting(): void;
  resume(): void;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  upstream: Socket;
  /** Bytes each way held while stalled. */
  held: { up: Buffer[]; down: Buffer[] };
  clientGone: boolean;
  stalled: boolean;
}

export async function startStallProxy(target: { host: string; port: number }): Promise<StallProxy> {
  let stallNew = false;
  const links = new Set<Link>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const link: Link = { client, upstream, held: { up: [], down: [] }, clientGone: false, stalled: stallNew };
    links.add(link);
    client.on("data", (chunk: Buffer) => {
      if (link.stalled) link.held.up.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (link.stalled) link.held.down.push(chunk);
      else client.write(chunk);
    });
    const clientClosed = () => {
      link.clientGone = true;
      if (!link.stalled) {
        upstream.destroy();
        links.delete(link);
      }
    };
    client.on("close", clientClosed);
    client.on("error", clientClosed);
    const upstreamClosed = () => {
      if (!link.stalled) {
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
      stallNew = true;
      for (const link of links) link.stalled = true;
    },
    stallExisting: () => {
      for (const link of links) link.stalled = true;
    },
    resume: () => {
      stallNew = false;
      for (const link of links) {
        link.stalled = false;
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

/** A stall proxy in front of the API server of `kubeconfigPath`, and a copy of that kubeconfig that goes through it. */
export async function proxyKubeconfig(kubeconfigPath: string): Promise<{ proxy: StallProxy; kubeconfig: string }> {
  const direct = readFileSync(kubeconfigPath, "utf8");
  const port = Number(/server: https:\/\/127\.0\.0\.1:(\d+)/.exec(direct)?.[1]);
  if (!Number.isInteger(port) || port === 0)
    throw new Error(`${kubeconfigPath}: no server at https://127.0.0.1:<port>`);
  const proxy = await startStallProxy({ host: "127.0.0.1", port });
  const kubeconfig = `${kubeconfigPath}.proxied`;
  writeFileSync(kubeconfig, direct.replace(`https://127.0.0.1:${port}`, `https://127.0.0.1:${proxy.port}`));
  return { proxy, kubeconfig };
}
