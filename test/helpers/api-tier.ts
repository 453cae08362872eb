// Starts a private api tier (etcd + kube-apiserver + kube-controller-manager on loopback) for one test file,
// on free ports in a temporary directory, and stops it afterwards.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startApiTier } from "../../tools/cluster/api-tier.js";
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
  stop(): Promise<void>;
}

export async function startTestApiTier(): Promise<ApiTier> {
  const dir = mkdtempSync(join(tmpdir(), "kamaji-api-tier-"));
  const state = await startApiTier({
    dir,
    apiServerPort: await freePort(),
    etcdClientPort: await freePort(),
    etcdPeerPort: await freePort(),
  });
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
    stop: async () => {
      for (const daemon of [...state.daemons].reverse()) await stopDaemon(daemon);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
