// Starts a private api tier (etcd + kube-apiserver + kube-controller-manager on loopback) for one test file,
// on free ports in a temporary directory, and stops it afterwards.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { apiTierSteps, startApiTier, startInOrder } from "../../tools/cluster/api-tier.js";
import { stopDaemon } from "../../tools/cluster/daemon.js";
import { freePort } from "../../tools/cluster/ports.js";
import type { ClusterState } from "../../tools/cluster/state.js";
import { kubernetesBinary } from "../../tools/upstream.js";

const run = promisify(execFile);

export interface ApiTier {
  state: ClusterState;
  kubeconfig: string;
  /** Runs kubectl against this cluster; rejects with kubectl's stderr on failure. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** Stops kube-apiserver, waits `downMs`, starts it again on the same port and data; resolves once it is ready. */
  restartApiServer(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestApiTier(): Promise<ApiTier> {
  const dir = mkdtempSync(join(tmpdir(), "kamaji-api-tier-"));
  const ports = { apiServerPort: await freePort(), etcdClientPort: await freePort(), etcdPeerPort: await freePort() };
  const state = await startApiTier({ dir, ...ports });
  const kubectlPath = kubernetesBinary("kubectl");
  const kubectl = async (args: string[], input?: string) => {
    const child = run(kubectlPath, ["--kubeconfig", state.kubeconfig, ...args], { maxBuffer: 64 << 20 });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    try {
      return (await child).stdout;
    } catch (error) {
      const { stderr = "", stdout = "" } = error as { stderr?: string; stdout?: string };
      throw new Error(`kubectl ${args.join(" ")}: ${stderr.trim() || stdout.trim() || (error as Error).message}`);
    }
  };
  return {
    state,
    kubeconfig: state.kubeconfig,
    kubectl,
    restartApiServer: async (downMs) => {
      const index = state.daemons.findIndex((daemon) => daemon.name === "kube-apiserver");
      const running = state.daemons[index];
      if (running === undefined) throw new Error("the api tier has no kube-apiserver");
      await stopDaemon(running);
      await sleep(downMs);
      const { steps } = await apiTierSteps({ dir, ...ports });
      const step = steps.find((candidate) => candidate.spec.name === "kube-apiserver");
      if (step === undefined) throw new Error("the api tier steps have no kube-apiserver");
      const [restarted] = await startInOrder([step], () => undefined);
      if (restarted !== undefined) state.daemons[index] = restarted;
    },
    stop: async () => {
      for (const daemon of [...state.daemons].reverse()) await stopDaemon(daemon);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
