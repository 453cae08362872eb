// npm run cluster -- up [--tier api|node] | down | status | env
//                  | join <namespace>/<tcp> [--workers N] [--name NAME ...] [--kubelet-version V] [--token T]
//                  | leave <namespace>/<tcp> [worker] | follow <namespace>/<tcp>
//                  | images <version ...> | upgrade <namespace>/<tcp> [--kubelet-version V] [worker ...]
// One local management cluster at a time, in $KAMAJI_CLUSTER_DIR (default /var/tmp/kamaji-cluster).
import { parseArgs } from "node:util";
import { isRunning } from "./daemon.js";
import { clusterDir, startCluster, stopCluster } from "./lifecycle.js";
import { loadState } from "./state.js";
import { followEndpoint } from "./workers/follow.js";
import { joinWorkers } from "./workers/join.js";
import { leaveWorkers } from "./workers/leave.js";
import { parseTenantRef } from "./workers/tenant.js";
import { upgradeWorkers } from "./workers/upgrade.js";
import { importTenantVersion } from "./tenant-versions.js";

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
  for (const worker of state.workers ?? []) {
    const down = worker.daemons.filter((d) => !isRunning(d)).map((d) => d.name);
    const health = down.length ? `NOT RUNNING: ${down.join(", ")}` : "running";
    lines.push(
      `worker ${worker.name} of ${worker.tenant} at ${worker.address} (${worker.kubernetesVersion}): ${health}`,
    );
  }
  return lines.join("\n");
}

const usage = `usage: npm run cluster -- up [--tier api|node] | down | status | env
       npm run cluster -- join <namespace>/<tcp> [--workers N] [--name NAME ...] [--kubelet-version V] [--token T]
       npm run cluster -- leave <namespace>/<tcp> [worker]
       npm run cluster -- follow <namespace>/<tcp>   # point the workers' kubelets at a changed endpoint
       npm run cluster -- images <version ...>       # import another tenant version's images (v1.33 ... v1.37)
       npm run cluster -- upgrade <namespace>/<tcp> [--kubelet-version V] [worker ...]   # kubeadm upgrade node`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      tier: { type: "string", default: "node" },
      workers: { type: "string", default: "1" },
      name: { type: "string", multiple: true },
      "kubelet-version": { type: "string" },
      token: { type: "string" },
    },
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
    case "join": {
      const count = Number(values.workers);
      if (!Number.isInteger(count) || count < 1 || count > 8)
        throw new Error(`--workers must be a whole number from 1 to 8, not ${JSON.stringify(values.workers)}`);
      const begin = Date.now();
      const joined = await joinWorkers(dir, {
        tenant: parseTenantRef(positionals[1]),
        count,
        names: values.name,
        kubeletVersion: values["kubelet-version"],
        token: values.token,
        progress: log,
      });
      log(`${joined.map((w) => w.name).join(", ")} joined in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
      return 0;
    }
    case "follow": {
      const moved = await followEndpoint(dir, parseTenantRef(positionals[1]), log);
      log(moved.length ? `${moved.join(", ")} follow the new endpoint` : "every kubelet already uses the endpoint");
      return 0;
    }
    case "images": {
      const wanted = positionals.slice(1);
      if (wanted.length === 0) throw new Error("name at least one tenant version, e.g. `images v1.35`");
      const state = loadState(dir);
      if (state?.tier !== "node") throw new Error("no node tier is running: `npm run cluster -- up` first");
      for (const version of wanted) {
        const imported = await importTenantVersion(state, version);
        log(imported.length ? `imported ${imported.join(", ")}` : `the images of ${version} are already imported`);
      }
      return 0;
    }
    case "upgrade": {
      const begin = Date.now();
      const upgraded = await upgradeWorkers(dir, {
        tenant: parseTenantRef(positionals[1]),
        names: positionals.slice(2),
        kubeletVersion: values["kubelet-version"],
        progress: log,
      });
      const done = upgraded.map((w) => `${w.name} ${w.from} -> ${w.to}`).join(", ");
      log(`${done || "nothing to upgrade"} in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
      return 0;
    }
    case "leave": {
      const left = await leaveWorkers(dir, parseTenantRef(positionals[1]), positionals[2], log);
      log(`${left.join(", ")} left and removed`);
      return 0;
    }
    default:
      console.error(usage);
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
