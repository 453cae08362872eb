// Starts a private MariaDB (Debian's mariadb-server) for one test file, as a MySQL DataStore runs it: TCP with TLS
// (server certificate from a test CA), and an administrator with a password and every privilege, grant option
// included. The server runs as the `mysql` user, which owns its directory. Setup goes through the `mariadb` client
// on the unix socket as root (socket authentication), independently of the driver under test.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import { type DaemonSpec, startDaemon, stopDaemon } from "../../tools/cluster/daemon.js";
import { freePort } from "../../tools/cluster/ports.js";
import { waitFor } from "../../tools/cluster/wait.js";
import { createServerDirectory, systemAccount } from "./server-directory.js";
import { withLogTail } from "./server-process.js";
import { createTestServerPki, writeServerTlsFiles } from "./test-pki.js";

const run = promisify(execFile);

export interface TestMariadbOptions {
  /** The address the server listens on (default 127.0.0.1); its certificate names exactly this IP. */
  listenAddress?: string;
  /** Run the server inside this network namespace (by name, under /var/run/netns). */
  netns?: string;
  /** Serve TLS (default true). */
  tls?: boolean;
  /** Refuse connections without TLS (--require-secure-transport). */
  requireTls?: boolean;
}

export interface TestMariadb {
  /** `host:port`, as a DataStore lists it. */
  readonly endpoint: string;
  /** The CA of the server's certificate; made even with `tls: false`, when the server does not use it. */
  readonly caPem: string;
  readonly adminUser: string;
  readonly adminPassword: string;
  /**
   * Runs one statement as the administrator on a connection of its own (over TLS when the server has it): the
   * witness, independent of the driver. `values` are bound on the server (prepared statement).
   */
  query(sql: string, values?: mysql.ExecuteValues[]): Promise<Record<string, unknown>[]>;
  /** Stops the server (by PID) and removes its directory. */
  stop(): Promise<void>;
}

export async function startTestMariadb(options: TestMariadbOptions = {}): Promise<TestMariadb> {
  const { listenAddress = "127.0.0.1", netns, tls = true, requireTls = false } = options;
  const account = systemAccount("mysql");
  // Only the IP, no "localhost": a client that reaches the server by another name must fail verification.
  const pki = await createTestServerPki("mariadb", { ipAddresses: [listenAddress], extendedKeyUsages: ["serverAuth"] });
  const caPem = pki.ca.certificatePem;

  const dir = createServerDirectory("mariadb", account);
  const dataDir = dir.makeDirectory("data");
  // Its own temporary directory: the bootstrap's temporary tables were once found deleted from the shared /tmp.
  const tmpDir = dir.makeDirectory("tmp");
  const socket = join(dir.path, "mysqld.sock");
  const logFile = join(dir.path, "mariadbd.log");
  const tlsFiles = tls ? writeServerTlsFiles(dir.writeFile, pki) : undefined;
  const port = await freePort();
  const endpoint = `${listenAddress}:${port}`;
  const adminUser = "kamaji-admin";
  const adminPassword = randomBytes(18).toString("hex");
  const spec: DaemonSpec = {
    name: "mariadbd",
    command: "/usr/sbin/mariadbd",
    args: [
      "--no-defaults",
      `--datadir=${dataDir}`,
      `--tmpdir=${tmpDir}`,
      `--socket=${socket}`,
      `--pid-file=${join(dir.path, "mariadbd.pid")}`,
      `--bind-address=${listenAddress}`,
      `--port=${port}`,
      "--skip-name-resolve",
      // As Debian's packaged configuration has it (--no-defaults leaves latin1).
      "--character-set-server=utf8mb4",
      ...(tlsFiles === undefined
        ? []
        : [`--ssl-ca=${tlsFiles.caFile}`, `--ssl-cert=${tlsFiles.certFile}`, `--ssl-key=${tlsFiles.keyFile}`]),
      ...(requireTls ? ["--require-secure-transport=ON"] : []),
    ],
    logFile,
    runAs: account,
    ...(netns === undefined ? {} : { netns }),
  };

  /** The mariadb client on the unix socket as root: the server's own administrator, for setup. */
  const asRoot = async (sql: string) => {
    try {
      await run("/usr/bin/mariadb", ["--no-defaults", `--socket=${socket}`, "--user=root", "--batch", "-e", sql]);
    } catch (error) {
      const { stderr = "" } = error as { stderr?: string };
      throw new Error(`mariadb -e ${JSON.stringify(sql)}: ${stderr.trim() || (error as Error).message}`);
    }
  };

  let witness: mysql.Connection | undefined;
  let daemon: ReturnType<typeof startDaemon> | undefined;
  const stop = async () => {
    await witness?.end().catch(() => witness?.destroy());
    if (daemon !== undefined) await stopDaemon(daemon);
    dir.remove();
  };

  try {
    // As `mysql`, so the data files are its own.
    await run(
      "/usr/bin/mariadb-install-db",
      [
        "--no-defaults",
        `--datadir=${dataDir}`,
        `--tmpdir=${tmpDir}`,
        "--auth-root-authentication-method=socket",
        "--skip-test-db",
      ],
      { uid: account.uid, gid: account.gid },
    );
    daemon = startDaemon(spec);
    await waitFor("MariaDB to accept connections on its socket", () => asRoot("SELECT 1").then(() => true), 60_000);
    // The password is hex: no quoting needed here.
    await asRoot(
      `CREATE USER '${adminUser}'@'%' IDENTIFIED BY '${adminPassword}'; ` +
        `GRANT ALL PRIVILEGES ON *.* TO '${adminUser}'@'%' WITH GRANT OPTION`,
    );
    const [host = "", portText = ""] = endpoint.split(":");
    witness = await waitFor(
      `MariaDB to accept the administrator on ${endpoint}`,
      () =>
        mysql.createConnection({
          host,
          port: Number(portText),
          user: adminUser,
          password: adminPassword,
          // The chain only: mysql2 checks an IP endpoint's certificate against "localhost" (see src/datastore/mysql.ts).
          ...(tls ? { ssl: { ca: caPem } } : {}),
        }),
      30_000,
    );
    // An idle connection the server drops must not crash the test process.
    witness.on("error", () => undefined);
  } catch (error) {
    const failure = withLogTail(error, logFile);
    await stop();
    throw failure;
  }
  const connection = witness;

  return {
    endpoint,
    caPem,
    adminUser,
    adminPassword,
    query: async (sql, values) => {
      const [rows] = values === undefined ? await connection.query(sql) : await connection.execute(sql, values);
      return rows as Record<string, unknown>[];
    },
    stop,
  };
}
