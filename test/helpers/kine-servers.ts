// The three kine-backed DataStore servers (PostgreSQL, MariaDB, nats-server, all with TLS) started together, the
// DataStore objects that point at them, and direct access to them as their administrators: the witnesses of what
// the operator did, independent of its drivers.
import mysql from "mysql2/promise";
import pg from "pg";
import { dataStoreWithSecret } from "./operator.js";
import { startTestMariadb } from "./mariadb.js";
import { startTestNats } from "./nats.js";
import { startTestPostgres } from "./postgres.js";

export type KineDriver = "PostgreSQL" | "MySQL" | "NATS";

export interface KineServer {
  readonly endpoint: string;
  readonly caPem: string;
  /** The administrator (on NATS, the only user). */
  readonly user: string;
  readonly password: string;
  /** Bucket names on NATS; undefined elsewhere. */
  readonly buckets?: () => Promise<string[]>;
  /** Keys of a bucket on NATS; undefined elsewhere. */
  readonly keys?: (bucket: string) => Promise<string[]>;
  stop(): Promise<void>;
}

export type KineServers = ReadonlyMap<KineDriver, KineServer>;

/** Starts the three servers; with `netns` and `listenAddress`, inside that network namespace at that address. */
export async function startKineServers(place: { netns?: string; listenAddress?: string } = {}): Promise<KineServers> {
  const started = await Promise.allSettled([startTestPostgres(place), startTestMariadb(place), startTestNats(place)]);
  const [postgres, mariadb, nats] = started;
  if (postgres.status === "rejected" || mariadb.status === "rejected" || nats.status === "rejected") {
    await Promise.allSettled(started.flatMap((s) => (s.status === "fulfilled" ? [s.value.stop()] : [])));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    throw failed?.reason;
  }
  return new Map<KineDriver, KineServer>([
    [
      "PostgreSQL",
      {
        endpoint: postgres.value.endpoint,
        caPem: postgres.value.caPem,
        user: postgres.value.adminUser,
        password: postgres.value.adminPassword,
        stop: () => postgres.value.stop(),
      },
    ],
    [
      "MySQL",
      {
        endpoint: mariadb.value.endpoint,
        caPem: mariadb.value.caPem,
        user: mariadb.value.adminUser,
        password: mariadb.value.adminPassword,
        stop: () => mariadb.value.stop(),
      },
    ],
    [
      "NATS",
      {
        endpoint: nats.value.endpoint,
        caPem: nats.value.caPem,
        user: nats.value.user,
        password: nats.value.password,
        buckets: () => nats.value.witness.buckets(),
        keys: (bucket) => nats.value.witness.keys(bucket),
        stop: () => nats.value.stop(),
      },
    ],
  ]);
}

export function serverOf(servers: KineServers, driver: KineDriver): KineServer {
  const found = servers.get(driver);
  if (found === undefined) throw new Error(`no ${driver} server`);
  return found;
}

/** A DataStore with basic auth and a CA, its credentials in a Secret of kamaji-system. */
export function kineDataStore(name: string, driver: KineDriver, server: KineServer, endpoint = server.endpoint) {
  const credentials = { "ca.crt": server.caPem, username: server.user, password: server.password };
  return dataStoreWithSecret(name, `${name}-credentials`, credentials, (ref) => ({
    driver,
    endpoints: [endpoint],
    basicAuth: { username: ref("username"), password: ref("password") },
    tlsConfig: { certificateAuthority: { certificate: ref("ca.crt") } },
  }));
}

/** Runs one query on a SQL server over TLS, as its administrator or as `login`, in `database`. */
export async function sqlQuery(
  driver: "PostgreSQL" | "MySQL",
  server: KineServer,
  query: string,
  values: string[] = [],
  options: { database?: string; login?: { user: string; password: string } } = {},
): Promise<Record<string, unknown>[]> {
  const [host = "", port = ""] = server.endpoint.split(":");
  const { user, password } = options.login ?? server;
  if (driver === "PostgreSQL") {
    const client = new pg.Client({
      host,
      port: Number(port),
      user,
      password,
      database: options.database ?? "postgres",
      ssl: { ca: server.caPem },
    });
    await client.connect();
    try {
      return (await client.query(query, values)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  }
  const connection = await mysql.createConnection({
    host,
    port: Number(port),
    user,
    password,
    ...(options.database === undefined ? {} : { database: options.database }),
    ssl: { ca: server.caPem },
  });
  try {
    const [rows] = await connection.execute(query, values);
    return rows as Record<string, unknown>[];
  } finally {
    await connection.end();
  }
}

/** Base58 (Bitcoin alphabet), as kine encodes each segment of a key into a NATS subject token. */
export function base58(text: string): string {
  const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  const bytes = Buffer.from(text, "utf8");
  let value = BigInt(`0x${bytes.toString("hex") || "0"}`);
  let encoded = "";
  while (value > 0n) {
    encoded = (alphabet[Number(value % 58n)] ?? "") + encoded;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    encoded = `1${encoded}`;
  }
  return encoded;
}

/** The NATS subject kine stores an etcd key under. */
export function kineNatsKey(key: string): string {
  return key.replace(/^\//, "").split("/").map(base58).join(".");
}
