// Times what the datastore-setup step and a deletion cost per tenant on each driver, against real servers on
// loopback (etcd with client certificates; Debian's PostgreSQL, MariaDB and nats-server with TLS): provisioning a
// new tenant, re-provisioning an existing one (what every reconcile does), and teardown.
import { performance } from "node:perf_hooks";
import { openDataStoreConnection } from "../src/datastore/connections.js";
import type { DataStoreConnection, TenantStorage } from "../src/datastore/driver.js";
import { startTestEtcd } from "../test/helpers/etcd.js";
import { type KineDriver, type KineServer, serverOf, startKineServers } from "../test/helpers/kine-servers.js";

const DEFAULT_TENANTS = 20;
const USAGE = "usage: npm run bench -- provision [--tenants N]";

/** One driver's administrative connection as a DataStore with basic auth and the server's CA configures it. */
function kineConnection(driver: KineDriver, server: KineServer): DataStoreConnection {
  return openDataStoreConnection({
    name: `bench-${driver.toLowerCase()}`,
    driver,
    endpoints: [server.endpoint],
    tls: { certificateAuthorityPem: server.caPem },
    basicAuth: { username: server.user, password: server.password },
  });
}

export async function run(args: string[]): Promise<void> {
  const tenants = parseTenants(args);
  if (typeof tenants === "string") {
    console.error(`${tenants}\n${USAGE}`);
    process.exitCode = 1;
    return;
  }
  console.log(
    `provision: ${String(tenants)} tenants per driver, one after another on one administrative connection ` +
      "(the connection is opened and checked before timing)",
  );
  console.log("driver       provision (new)      re-provision         teardown");
  const etcd = await startTestEtcd();
  try {
    const connection = openDataStoreConnection({
      name: "bench-etcd",
      driver: "etcd",
      endpoints: etcd.endpoints,
      tls: {
        certificateAuthorityPem: etcd.caPem,
        certificateAuthorityKeyPem: etcd.caKeyPem,
        clientCertificatePem: etcd.rootCertPem,
        clientKeyPem: etcd.rootKeyPem,
      },
    });
    await measure("etcd", connection, tenants);
  } finally {
    await etcd.stop();
  }
  const servers = await startKineServers();
  try {
    for (const driver of servers.keys())
      await measure(driver, kineConnection(driver, serverOf(servers, driver)), tenants);
  } finally {
    await Promise.allSettled([...servers.values()].map((server) => server.stop()));
  }
  console.log("cells: median per tenant (slowest)");
}

/** Prints one driver's row; closes the connection afterwards. */
async function measure(driver: string, connection: DataStoreConnection, tenants: number): Promise<void> {
  try {
    await connection.check();
    const names = Array.from({ length: tenants }, (_, index) => `bench-${String(index).padStart(3, "0")}`);
    const storage = names.map((name): TenantStorage => ({ schema: name, user: name, password: `${name}-pw` }));
    const provision = await timeEach(storage, (tenant) => connection.provision(tenant));
    const again = await timeEach(storage, (tenant) => connection.provision(tenant));
    const teardown = await timeEach(storage, (tenant) => connection.teardown(tenant));
    console.log(`${driver.padEnd(10)} ${cell(provision)} ${cell(again)} ${cell(teardown)}`);
  } finally {
    await connection.close();
  }
}

async function timeEach<T>(items: readonly T[], action: (item: T) => Promise<unknown>): Promise<number[]> {
  const durations: number[] = [];
  for (const item of items) {
    const start = performance.now();
    await action(item);
    durations.push(performance.now() - start);
  }
  return durations;
}

function cell(durations: readonly number[]): string {
  const sorted = [...durations].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return `${median.toFixed(1).padStart(7)} ms (${(sorted.at(-1) ?? 0).toFixed(0).padStart(4)})`.padEnd(20);
}

/** The tenant count, or what is wrong with the arguments. */
function parseTenants(args: readonly string[]): number | string {
  let tenants = DEFAULT_TENANTS;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? "";
    let value: string;
    if (arg === "--tenants") value = args[++index] ?? "";
    else if (arg.startsWith("--tenants=")) value = arg.slice("--tenants=".length);
    else return `unknown argument "${arg}"`;
    if (!/^[1-9][0-9]*$/.test(value)) return `--tenants needs a positive integer, got "${value}"`;
    tenants = Number(value);
  }
  return tenants;
}
