// Starts a private PostgreSQL (Debian's server) for one test file, as a DataStore runs it: a password-protected
// superuser (scram-sha-256), TLS with a server certificate from a test CA, on a free port. The query helper uses
// its own pg Client, independently of the driver under test.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { type DaemonSpec, isRunning, startDaemon, stopDaemon } from "../../tools/cluster/daemon.js";
import { freePort } from "../../tools/cluster/ports.js";
import { waitFor } from "../../tools/cluster/wait.js";
import type { CertificateKeyPem } from "../../src/pki/index.js";
import { createServerDirectory, systemAccount } from "./server-directory.js";
import { withLogTail } from "./server-process.js";
import { createTestServerPki, issueTestClientCertificate, writeServerTlsFiles } from "./test-pki.js";

const run = promisify(execFile);
const BIN = "/usr/lib/postgresql/15/bin";

export interface TestPostgresOptions {
  /** Default 127.0.0.1; also the server certificate's IP address. */
  readonly listenAddress?: string;
  /** Run the server in this network namespace (the address must be reachable from here, for the readiness wait). */
  readonly netns?: string;
  /** Default true. */
  readonly tls?: boolean;
  /** Refuse connections without TLS (pg_hba `hostssl` lines only). */
  readonly requireTls?: boolean;
  /** Users who must also present a client certificate from the test CA with their name as CN (needs tls). */
  readonly clientCertificateUsers?: readonly string[];
}

export interface TestPostgres {
  /** `host:port`, as a DataStore lists it. */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  /** The CA of the server certificate (also issued when tls is false, to test clients that insist on TLS). */
  readonly caPem: string;
  /** A client certificate and key from the test CA, e.g. for a user in `clientCertificateUsers`. */
  issueClientCertificate(commonName: string): Promise<CertificateKeyPem>;
  /** The superuser. */
  readonly adminUser: string;
  readonly adminPassword: string;
  /** Runs `text` with bound `values` as the superuser in `database` (default `postgres`); resolves to the rows. */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
    database?: string,
  ): Promise<Row[]>;
  /** Stops the server (by PID) and removes its directory. */
  stop(): Promise<void>;
}

export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const host = options.listenAddress ?? "127.0.0.1";
  const tls = options.tls ?? true;
  const account = systemAccount("postgres");
  const dir = createServerDirectory("postgres", account);
  const pki = await createTestServerPki("postgres", {
    dnsNames: ["localhost"],
    ipAddresses: [host],
    extendedKeyUsages: ["serverAuth"],
  });
  const caPem = pki.ca.certificatePem;

  const adminUser = "kamaji-admin";
  const adminPassword = randomUUID();
  const data = join(dir.path, "data");
  const sockets = dir.makeDirectory("sockets");
  await run(
    join(BIN, "initdb"),
    [
      `--pgdata=${data}`,
      `--username=${adminUser}`,
      `--pwfile=${dir.writeFile("password", adminPassword)}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
    ],
    { uid: account.uid, gid: account.gid },
  );
  const connection = options.requireTls ? "hostssl" : "host";
  const lines = (users: string, type: string, method: string) =>
    ["0.0.0.0/0", "::/0"].map((address) => `${type} all ${users} ${address} ${method}\n`).join("");
  // pg_hba takes the first line that matches: users named here need the password and a certificate.
  const certificateUsers = (options.clientCertificateUsers ?? []).map((user) => `"${user}"`).join(",");
  const hba = dir.writeFile(
    "pg_hba.conf",
    (certificateUsers === "" ? "" : lines(certificateUsers, "hostssl", "scram-sha-256 clientcert=verify-full")) +
      lines("all", connection, "scram-sha-256"),
  );

  const port = await freePort();
  const logFile = join(dir.path, "postgres.log");
  const { caFile, certFile, keyFile } = writeServerTlsFiles(dir.writeFile, pki);
  const settings = {
    listen_addresses: host,
    port,
    unix_socket_directories: sockets,
    hba_file: hba,
    ssl: tls ? "on" : "off",
    ssl_cert_file: certFile,
    ssl_key_file: keyFile,
    ssl_ca_file: caFile,
    fsync: "off",
  };
  const spec: DaemonSpec = {
    name: "postgres",
    command: join(BIN, "postgres"),
    args: ["-D", data, ...Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`])],
    logFile,
    netns: options.netns,
    runAs: account,
  };
  const daemon = startDaemon(spec);

  const client = (database: string) =>
    new pg.Client({
      host,
      port,
      user: adminUser,
      password: adminPassword,
      database,
      ssl: tls ? { ca: caPem } : false,
      connectionTimeoutMillis: 5_000,
    });
  const query = async <Row extends Record<string, unknown>>(
    text: string,
    values: unknown[] = [],
    database = "postgres",
  ) => {
    const witness = client(database);
    await witness.connect();
    try {
      return (await witness.query<Row>(text, values)).rows;
    } finally {
      await witness.end();
    }
  };

  const stop = async () => {
    // SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client to disconnect; SIGINT ("fast")
    // disconnects them. stopDaemon's SIGTERM then changes nothing.
    if (isRunning(daemon)) process.kill(daemon.pid, "SIGINT");
    await stopDaemon(daemon);
    dir.remove();
  };

  try {
    await waitFor("PostgreSQL to accept connections", () => query("SELECT 1").then(() => true), 30_000);
  } catch (error) {
    const failure = withLogTail(error, logFile);
    await stop();
    throw failure;
  }

  return {
    endpoint: `${host}:${port}`,
    host,
    port,
    caPem,
    issueClientCertificate: (commonName) => issueTestClientCertificate(pki.authority, commonName),
    adminUser,
    adminPassword,
    query,
    stop,
  };
}
