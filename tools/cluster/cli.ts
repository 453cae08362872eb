// npm run cluster -- up [--tier api|node] | down | status | env
// One local management cluster at a time, in $KAMAJI_CLUSTER_DIR (default /var/tmp/kamaji-cluster).
import { parseArgs } from "node:util";
import { isRunning } from "./daemon.js";
import { clusterDir, startCluster, stopCluster } from "./lifecycle.js";
import { loadState } from "./state.js";

const log = (message: string) => {
  console.error(`[cluster ${new Date().toISOString().slice(11, 19)}] ${message}`);
};

function describe(dir: string): string {
  const state = loadState(dir);
  if (!state) return "no cluster";
  const lines = [
    `tier: ${state.tier}`,
    `server: ${state.server}`,
    `kubeconfig: ${state.kubeconfig}`,
    `since: ${state.startedAt}`,
  ];
  for (const daemon of state.daemons)
    lines.push(`  ${daemon.name} (pid ${daemon.pid}): ${isRunning(daemon) ? "running" : "NOT RUNNING"}`);
  return lines.join("\n");
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { tier: { type: "string", default: "node" } },
  });
  const dir = clusterDir();
  switch (positionals[0]) {
    case "up": {
      const tier = values.tier;
      if (tier !== "api" && tier !== "node") throw new Error(`--tier must be api or node, not ${JSON.stringify(tier)}`);
      const begin = Date.now();
      const { state, started } = await startCluster(dir, tier, log);
      if (started) log(`${tier} tier up in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
      console.log(describe(dir));
      console.log(`export KUBECONFIG=${state.kubeconfig}`);
      return 0;
    }
    case "down":
      await stopCluster(dir, log);
      return 0;
    case "status":
      console.log(describe(dir));
      return loadState(dir) ? 0 : 1;
    case "env": {
      const state = loadState(dir);
      if (!state) throw new Error("no cluster is running: `npm run cluster -- up` first");
      console.log(`export KUBECONFIG=${state.kubeconfig}`);
      return 0;
    }
    default:
      console.error("usage: npm run cluster -- up [--tier api|node] | down | status | env");
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`cluster: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
