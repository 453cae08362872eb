// Starts a private PostgreSQL (Debian's server) for one test file, as a DataStore runs it: a password-protected
// superuser (scram-sha-256), TLS with a server certificate from a test CA, on a free port. The query helper uses
// its own pg Client, independently of the driver under test.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { type DaemonSpec, isRunning, logTail, startDaemon, stopDaemon } from "../../tools/cluster/daemon.js";
import { freePort } from "../../tools/cluster/ports.js";
import { waitFor } from "../../tools/cluster/wait.js";
import {
  type CertificateAuthority,
  type CertificateKeyPem,
  type CertificateRequest,
  createCertificateAuthority,
  encodeCertificateAndKey,
  generateKeyPair,
  issueCertificate,
} from "../../src/pki/index.js";

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

async function issueLeaf(authority: CertificateAuthority, request: CertificateRequest): Promise<CertificateKeyPem> {
  const key = await generateKeyPair("ECDSA");
  return encodeCertificateAndKey({ certificate: await issueCertificate(authority, key.publicKey, request), key });
}

/** The uid and gid of the `postgres` account: the server refuses to run as root. */
function postgresAccount(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) throw new Error("no postgres account in /etc/passwd");
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const host = options.listenAddress ?? "127.0.0.1";
  const tls = options.tls ?? true;
  const account = postgresAccount();
  const dir = mkdtempSync(join(tmpdir(), "kamaji-postgres-"));
  chownSync(dir, account.uid, account.gid);
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    chownSync(path, account.uid, account.gid);
    return path;
  };

  const authority = await createCertificateAuthority({
    commonName: "postgres-ca",
    key: await generateKeyPair("ECDSA"),
  });
  const server = await issueLeaf(authority, {
    commonName: "postgres-server",
    dnsNames: ["localhost"],
    ipAddresses: [host],
    extendedKeyUsages: ["serverAuth"],
  });
  const caPem = encodeCertificateAndKey(authority).certificatePem;

  const adminUser = "kamaji-admin";
  const adminPassword = randomUUID();
  const data = join(dir, "data");
  const sockets = join(dir, "sockets");
  mkdirSync(sockets, { mode: 0o700 });
  chownSync(sockets, account.uid, account.gid);
  await run(
    join(BIN, "initdb"),
    [
      `--pgdata=${data}`,
      `--username=${adminUser}`,
      `--pwfile=${file("password", adminPassword)}`,
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
  const hba = file(
    "pg_hba.conf",
    (certificateUsers === "" ? "" : lines(certificateUsers, "hostssl", "scram-sha-256 clientcert=verify-full")) +
      lines("all", connection, "scram-sha-256"),
  );

  const port = await freePort();
  const logFile = join(dir, "postgres.log");
  const spec: DaemonSpec = {
    name: "postgres",
    command: join(BIN, "postgres"),
    args: [
      "-D",
      data,
      "-c",
      `listen_addresses=${host}`,
      "-c",
      `port=${port}`,
      "-c",
      `unix_socket_directories=${sockets}`,
      "-c",
      `hba_file=${hba}`,
      "-c",
      `ssl=${tls ? "on" : "off"}`,
      "-c",
      `ssl_cert_file=${file("server.crt", server.certificatePem)}`,
      "-c",
      `ssl_key_file=${file("server.key", server.privateKeyPem)}`,
      "-c",
      `ssl_ca_file=${file("ca.crt", caPem)}`,
      "-c",
      "fsync=off",
    ],
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
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor("PostgreSQL to accept connections", () => query("SELECT 1").then(() => true), 30_000);
  } catch (error) {
    const message = `${(error as Error).message}\n--- last lines of ${logFile} ---\n${logTail(logFile)}`;
    await stop();
    throw new Error(message, { cause: error });
  }

  return {
    endpoint: `${host}:${port}`,
    host,
    port,
    caPem,
    issueClientCertificate: (commonName) => issueLeaf(authority, { commonName, extendedKeyUsages: ["clientAuth"] }),
    adminUser,
    adminPassword,
    query,
    stop,
  };
}
