// Benchmark dispatcher: `npm run bench -- <name> [args...]`. Add a benchmark by adding an entry to `benchmarks`.
interface Benchmark {
  readonly description: string;
  readonly load: () => Promise<{ run(args: string[]): Promise<void> }>;
}

const benchmarks: Record<string, Benchmark> = {
  pki: {
    description: "certificate set of one TenantControlPlane, RSA vs ECDSA [--runs N]",
    load: () => import("./pki.js"),
  },
  reconcile: {
    description:
      "N TenantControlPlanes on one etcd DataStore, api tier [--tcps N] [--runs N] [--key-algorithm ECDSA|RSA]",
    load: () => import("./reconcile.js"),
  },
  provision: {
    description: "per-tenant provisioning and teardown on etcd, PostgreSQL, MariaDB and NATS [--tenants N]",
    load: () => import("./provision.js"),
  },
  ready: {
    description:
      "apply-to-Ready of 1 TCP and of a batch on the node tier, beside a bare kube-apiserver [--runs N] [--batch N]",
    load: () => import("./ready.js"),
  },
  join: {
    description: "worker machines: kubeadm join to Node Ready and to the first pod Running, node tier [--runs N]",
    load: () => import("./join.js"),
  },
};

function usage(): string {
  const lines = Object.entries(benchmarks).map(([name, { description }]) => `  ${name.padEnd(10)} ${description}`);
  return ["usage: npm run bench -- <benchmark> [args...]", "benchmarks:", ...lines].join("\n");
}

const [name, ...args] = process.argv.slice(2);
const benchmark = name === undefined ? undefined : benchmarks[name];
if (benchmark === undefined) {
  console.error(name === undefined ? usage() : `unknown benchmark "${name}"\n${usage()}`);
  process.exitCode = 1;
} else {
  await (await benchmark.load()).run(args);
}
