// What the day-2 e2e tests watch in a tenant with workers while they change it: its Nodes' Ready condition, a pod
// that calls the API with its token, a pod that calls a workload through its Service. The pods print one line per
// call (`ok <unix seconds> ...` or `FAIL <unix seconds> ...`), read back through `kubectl logs`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { kubernetesBinary, versions } from "../../tools/upstream.js";
import type { TrafficCounts } from "./tenant-traffic.js";

const run = promisify(execFile);

/** kubectl without blocking the event loop (readers share it); killed after 60 s, so no loop waits forever. */
export async function kubectlAsync(kubeconfig: string, args: string[]): Promise<string> {
  const { stdout } = await run(kubernetesBinary("kubectl"), args, {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 60_000,
  });
  return stdout;
}

export interface NodeSamples {
  samples: number;
  /** Each sample of a Node that was not Ready, or could not be read: time, node and what was seen. */
  notReady: string[];
}

/** Samples the Ready condition of `nodes` every 2 s until stopped. */
export function watchNodes(kubeconfig: () => string, nodes: readonly string[]): { stop(): Promise<NodeSamples> } {
  const stop = new AbortController();
  const result: NodeSamples = { samples: 0, notReady: [] };
  const loop = (async () => {
    while (!stop.signal.aborted) {
      for (const node of nodes) {
        try {
          const out = await kubectlAsync(kubeconfig(), [
            "get",
            "node",
            node,
            "-o",
            'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
          ]);
          result.samples += 1;
          if (out.trim() !== "True") result.notReady.push(`${new Date().toISOString()} ${node} Ready=${out.trim()}`);
        } catch (error) {
          // A failed read is counted here too; the API readers count API failures on their own.
          result.notReady.push(
            `${new Date().toISOString()} ${node} unreadable: ${(error as Error).message.split("\n")[0]}`,
          );
        }
      }
      await sleep(2_000);
    }
  })();
  return {
    async stop() {
      stop.abort();
      await loop;
      return result;
    },
  };
}

/** A shell loop that runs `call` twice a second and prints `ok <time> <output>` or `FAIL <time> <output>`. */
function probeScript(setup: string[], call: string): string {
  return [
    ...setup,
    "while true; do",
    `  if out=$(${call} 2>&1); then`,
    '    echo "ok $(date +%s) $(echo $out | tail -c 200)"',
    "  else",
    '    rc=$?; echo "FAIL $(date +%s) rc=$rc $(echo $out | tail -c 400)"',
    "  fi",
    "  sleep 0.5",
    "done",
  ].join("\n");
}

const probePod = (name: string, image: string, script: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: { containers: [{ name, image, imagePullPolicy: "Never", command: ["/bin/sh", "-c", script] }] },
});

/**
 * `prober`: calls the API through the `kubernetes` Service with its token and the CA it read at start (kept in
 * /tmp/ca-at-start.crt). Runs the kubectl image (`kubectlImage()` imported on the workers).
 */
export function apiProberPod() {
  const sa = "/var/run/secrets/kubernetes.io/serviceaccount";
  const call =
    `kubectl --server="https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT" --certificate-authority=/tmp/ca-at-start.crt ` +
    `--token="$(cat ${sa}/token)" --request-timeout=10s auth whoami -o jsonpath='{.status.userInfo.username}'`;
  return probePod(
    "prober",
    `registry.k8s.io/kubectl:${versions.kubernetes}`,
    probeScript([`cp ${sa}/ca.crt /tmp/ca-at-start.crt`], call),
  );
}

/** `web-client`: fetches `url` (a workload behind a Service) with busybox wget. Runs the test image. */
export function webClientPod(url: string) {
  // Not quiet: on a failure, wget's own message is what the line shows.
  return probePod("web-client", "kamaji.local/test/busybox:1", probeScript([], `timeout 5 wget -O - ${url}`));
}

/**
 * A probe pod's calls since `since` (unix seconds), read through `kubectl logs`, which goes through konnectivity:
 * right after the control plane rolled, the agent may not have reached the new server yet, so it is retried for a
 * minute and the wait printed.
 */
export async function probeCounts(
  kubeconfig: string,
  pod: string,
  since: number,
  log: (message: string) => void,
): Promise<{ ok: number; failed: string[] }> {
  const begin = Date.now();
  let text: string;
  for (;;) {
    try {
      text = await kubectlAsync(kubeconfig, ["logs", pod]);
      break;
    } catch (error) {
      if (Date.now() - begin > 60_000) throw error;
      await sleep(500);
    }
  }
  const waited = (Date.now() - begin) / 1000;
  if (waited > 1) log(`logs of ${pod} through konnectivity answered after ${waited.toFixed(1)} s`);
  const lines = text.split("\n").filter((line) => Number(line.split(" ")[1]) >= since);
  const failed = lines.filter((l) => l.startsWith("FAIL "));
  if (failed.length > 0) log(`${pod}'s failures, first ones: ${failed.slice(0, 3).join(" | ")}`);
  return { ok: lines.filter((l) => l.startsWith("ok ")).length, failed };
}

export const trafficSummary = (name: string, counts: TrafficCounts): string =>
  `${name}: ${counts.ok} ok, ${counts.failed} failed in ${counts.seconds.toFixed(0)} s (${(counts.ok / counts.seconds).toFixed(1)}/s); ` +
  `sent again: ${counts.resentOnClosedConnection} on a closed connection, ${counts.resentAfterRetryAfter} after Retry-After` +
  (counts.retryAfterAnswers.length > 0 ? ` (first: ${counts.retryAfterAnswers[0] ?? ""})` : "");

/** No failed read, at 10 reads a second or more. */
export function assertCleanTraffic(name: string, counts: TrafficCounts): void {
  assert.equal(counts.failed, 0, `${trafficSummary(name, counts)}: ${counts.failures.join("; ")}`);
  assert.ok(counts.ok / counts.seconds >= 10, `${trafficSummary(name, counts)}: fewer than 10 reads/s`);
}
