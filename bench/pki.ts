// Times generating the full certificate set of one TenantControlPlane, RSA vs ECDSA keys.
import { performance } from "node:perf_hooks";
import { generateTenantCertificateSet, type KeyAlgorithm } from "../src/pki/index.js";

const DEFAULT_RUNS = 7;
const USAGE = "usage: npm run bench -- pki [--runs N]";

// What Kamaji computes for a TCP "tcp" in namespace "ns" with one service CIDR and a LoadBalancer address.
const apiServerSubjectAltNames = {
  dnsNames: [
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
    "localhost",
    "tcp",
    "tcp.ns.svc",
    "tcp.ns.svc.cluster.local",
  ],
  ipAddresses: ["10.96.0.1", "127.0.0.1", "172.18.255.200"],
};

export async function run(args: string[]): Promise<void> {
  const runs = parseRuns(args);
  if (typeof runs === "string") {
    console.error(`${runs}\n${USAGE}`);
    process.exitCode = 1;
    return;
  }
  console.log(
    `pki: certificate set of one TenantControlPlane (2 CAs, service-account key, 8 leaf certificates), ` +
      `${runs} timed runs per algorithm after 1 warm-up run`,
  );
  console.log("note: the service-account key is RSA-2048 in both sets (it must be RSA)");
  const medians = new Map<KeyAlgorithm, number>();
  for (const algorithm of ["RSA", "ECDSA"] as const) {
    await generateTenantCertificateSet({ algorithm, apiServerSubjectAltNames });
    const durations: number[] = [];
    for (let index = 0; index < runs; index += 1) {
      const start = performance.now();
      await generateTenantCertificateSet({ algorithm, apiServerSubjectAltNames });
      durations.push(performance.now() - start);
    }
    const summary = summarize(durations);
    medians.set(algorithm, summary.median);
    console.log(`${algorithm.padEnd(5)}  median ${ms(summary.median)}  min ${ms(summary.min)}  max ${ms(summary.max)}`);
  }
  const ratio = (medians.get("RSA") ?? Number.NaN) / (medians.get("ECDSA") ?? Number.NaN);
  console.log(`RSA/ECDSA median ratio: ${ratio.toFixed(1)}x`);
}

/** The run count, or what is wrong with the arguments. */
function parseRuns(args: readonly string[]): number | string {
  let runs = DEFAULT_RUNS;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? "";
    let value: string;
    if (arg === "--runs") value = args[++index] ?? "";
    else if (arg.startsWith("--runs=")) value = arg.slice("--runs=".length);
    else return `unknown argument "${arg}"`;
    if (!/^[1-9][0-9]*$/.test(value)) return `--runs needs a positive integer, got "${value}"`;
    runs = Number(value);
  }
  return runs;
}

function summarize(durations: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...durations].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0 };
}

function ms(value: number): string {
  return `${value.toFixed(1).padStart(8)} ms`;
}
