// Continuous reads against a tenant API server with a certificate kubeconfig, counting what succeeded and what
// failed (and why): the traffic a rotation or an upgrade must not disturb.
import { Agent, request } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { parseKubeconfig } from "../../src/kubeconfig/index.js";

export interface TrafficCounts {
  readonly ok: number;
  /** Requests sent again, once, because a kept-alive connection was closed under them (see `once`). */
  readonly retried: number;
  readonly failed: number;
  /** The first few failures: time and message. */
  readonly failures: readonly string[];
  readonly seconds: number;
}

export interface Reader {
  /** Counts so far. */
  counts(): TrafficCounts;
  /** Stops after the request in flight; the final counts. */
  stop(): Promise<TrafficCounts>;
}

/**
 * Reads `path` over and over (one request at a time, `pauseMs` apart) with the kubeconfig `kubeconfig()` returns; a
 * changed kubeconfig (say, fetched again from its Secret) is used from the next request on.
 */
export function startReader(kubeconfig: () => string, path: string, pauseMs = 20): Reader {
  let ok = 0;
  let failed = 0;
  let retried = 0;
  const failures: string[] = [];
  const begin = Date.now();
  const stopped = new AbortController();
  let agentFor: { text: string; agent: Agent; server: string } | undefined;

  const agent = () => {
    const text = kubeconfig();
    if (agentFor?.text !== text) {
      agentFor?.agent.destroy();
      const config = parseKubeconfig(text);
      const cluster = config.clusters[0];
      const user = config.users[0];
      if (cluster === undefined || user === undefined) throw new Error("the kubeconfig has no cluster or user");
      agentFor = {
        text,
        server: cluster.server,
        agent: new Agent({
          keepAlive: true,
          ca: cluster.certificateAuthorityPem,
          cert: user.clientCertificatePem,
          key: user.clientKeyPem,
        }),
      };
    }
    return agentFor;
  };

  /**
   * One GET. A request that fails on a reused kept-alive connection before any answer (the server closed it, as a
   * stopping API server does) is sent again once on a new connection: what Go's HTTP transport, and so every
   * Kubernetes client, does for idempotent requests.
   */
  const once = (retry = true): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const { agent: httpsAgent, server } = agent();
      let answered = false;
      const req = request(new URL(path, server), { agent: httpsAgent, timeout: 10_000 }, (res) => {
        answered = true;
        res.resume();
        res.on("end", () => {
          if (res.statusCode === 200) resolve();
          else reject(new Error(`HTTP ${String(res.statusCode)}`));
        });
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error("no answer in 10 s")));
      req.on("error", (error) => {
        if (retry && req.reusedSocket && !answered) {
          retried += 1;
          once(false).then(resolve, reject);
        } else reject(error);
      });
      req.end();
    });

  const loop = (async () => {
    while (!stopped.signal.aborted) {
      try {
        await once();
        ok += 1;
      } catch (error) {
        failed += 1;
        if (failures.length < 10) failures.push(`${new Date().toISOString()} ${(error as Error).message}`);
      }
      await sleep(pauseMs);
    }
  })();

  const counts = () => ({ ok, failed, retried, failures: [...failures], seconds: (Date.now() - begin) / 1000 });
  return {
    counts,
    async stop() {
      stopped.abort();
      await loop;
      agentFor?.agent.destroy();
      return counts();
    },
  };
}
