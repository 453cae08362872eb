// Continuous reads against a tenant API server with a certificate kubeconfig, counting what succeeded and what
// failed (and why): the traffic a rotation or an upgrade must not disturb.
import { Agent, request } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { parseKubeconfig } from "../../src/kubeconfig/index.js";

export interface TrafficCounts {
  readonly ok: number;
  /** Requests sent again because a kept-alive connection was closed under them before any answer (see `attempt`). */
  readonly resentOnClosedConnection: number;
  /** Requests sent again because the server answered 429 or 5xx with Retry-After (see `attempt`). */
  readonly resentAfterRetryAfter: number;
  /** The first few answers that were sent again after Retry-After: time, status and body. */
  readonly retryAfterAnswers: readonly string[];
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
  let resentOnClosedConnection = 0;
  let resentAfterRetryAfter = 0;
  const retryAfterAnswers: string[] = [];
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
   * One GET, sent again the way Go's HTTP transport and client-go (so every Kubernetes client) do, at most
   * `resends` times: a request that fails on a reused kept-alive connection before any answer (the server closed it,
   * as a stopping API server does) goes at once on a new connection; a 429 or 5xx that carries Retry-After (a stopping
   * API server answers requests that arrive after its shutdown delay with 503 "apiserver is shutting down" and
   * Retry-After: 1) goes again after the seconds it names.
   */
  const attempt = (resends = 2): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const { agent: httpsAgent, server } = agent();
      let answered = false;
      const req = request(new URL(path, server), { agent: httpsAgent, timeout: 10_000 }, (res) => {
        answered = true;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 300) body += chunk;
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          if (status === 200) {
            resolve();
            return;
          }
          const retryAfter = Number(res.headers["retry-after"]);
          if (resends > 0 && (status === 429 || status >= 500) && Number.isInteger(retryAfter) && retryAfter >= 0) {
            resentAfterRetryAfter += 1;
            if (retryAfterAnswers.length < 5) {
              retryAfterAnswers.push(
                `${new Date().toISOString()} HTTP ${String(status)}: ${body.trim().slice(0, 200)}`,
              );
            }
            void sleep(Math.min(retryAfter, 10) * 1000).then(() => attempt(resends - 1).then(resolve, reject));
            return;
          }
          const detail =
            res.headers["retry-after"] === undefined ? "" : ` (Retry-After: ${res.headers["retry-after"]})`;
          reject(new Error(`HTTP ${String(status)}${detail}: ${body.trim().slice(0, 300)}`));
        });
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error("no answer in 10 s")));
      req.on("error", (error) => {
        if (resends > 0 && req.reusedSocket && !answered) {
          resentOnClosedConnection += 1;
          attempt(resends - 1).then(resolve, reject);
        } else reject(error);
      });
      req.end();
    });

  const loop = (async () => {
    while (!stopped.signal.aborted) {
      try {
        await attempt();
        ok += 1;
      } catch (error) {
        failed += 1;
        if (failures.length < 10) failures.push(`${new Date().toISOString()} ${(error as Error).message}`);
      }
      await sleep(pauseMs);
    }
  })();

  const counts = (): TrafficCounts => ({
    ok,
    failed,
    resentOnClosedConnection,
    resentAfterRetryAfter,
    retryAfterAnswers: [...retryAfterAnswers],
    failures: [...failures],
    seconds: (Date.now() - begin) / 1000,
  });
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
