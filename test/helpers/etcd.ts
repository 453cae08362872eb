// Starts a private etcd for one test file, as a DataStore runs it: TLS on 127.0.0.1 with client-certificate
// authentication, auth enabled, and a `root` user (no password, so only its certificate's CN authenticates it).
// Setup goes through etcdctl, independently of the driver under test.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type DaemonSpec, isRunning, logTail, startDaemon, stopDaemon } from "../../tools/cluster/daemon.js";
import { freePort } from "../../tools/cluster/ports.js";
import { waitFor } from "../../tools/cluster/wait.js";
import { binary } from "../../tools/upstream.js";
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

export interface TestEtcd {
  /** `host:port`, as a DataStore lists them. */
  readonly endpoints: string[];
  readonly caPem: string;
  readonly caKeyPem: string;
  /** A client certificate with CN=root: the etcd administrator. */
  readonly rootCertPem: string;
  readonly rootKeyPem: string;
  /** Runs etcdctl against this etcd as the holder of `identity` (default root); rejects with etcdctl's stderr. */
  etcdctl(args: string[], identity?: CertificateKeyPem): Promise<string>;
  /** SIGSTOP: the port stays open but nothing answers, like a hung or partitioned server. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops the etcd process and keeps its data: the port is closed, connections are refused. */
  kill(): Promise<void>;
  /** Starts etcd again on the same data directory and port after kill(); resolves once it is healthy. */
  restart(): Promise<void>;
  /** Stops etcd (by PID) and removes its directory. */
  stop(): Promise<void>;
}

async function issueLeaf(authority: CertificateAuthority, request: CertificateRequest): Promise<CertificateKeyPem> {
  const key = await generateKeyPair("ECDSA");
  return encodeCertificateAndKey({ certificate: await issueCertificate(authority, key.publicKey, request), key });
}

/** GET /health over mTLS; resolves to the HTTP status. */
function healthStatus(endpoint: string, ca: string, client: CertificateKeyPem): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `https://${endpoint}/health`,
      { ca, cert: client.certificatePem, key: client.privateKeyPem, timeout: 2_000 },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

export async function startTestEtcd(): Promise<TestEtcd> {
  const dir = mkdtempSync(join(tmpdir(), "kamaji-etcd-"));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const authority = await createCertificateAuthority({ commonName: "etcd-ca", key: await generateKeyPair("ECDSA") });
  const ca = encodeCertificateAndKey(authority);
  const server = await issueLeaf(authority, {
    commonName: "etcd-server",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    extendedKeyUsages: ["serverAuth", "clientAuth"],
  });
  const root = await issueLeaf(authority, { commonName: "root", extendedKeyUsages: ["clientAuth"] });
  const caFile = file("ca.crt", ca.certificatePem);

  const endpoint = `127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  const logFile = join(dir, "etcd.log");
  const spec: DaemonSpec = {
    name: "etcd",
    command: binary("etcd", "etcd"),
    args: [
      "--name=test",
      `--data-dir=${join(dir, "data")}`,
      `--listen-client-urls=https://${endpoint}`,
      `--advertise-client-urls=https://${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      "--client-cert-auth",
      `--trusted-ca-file=${caFile}`,
      `--cert-file=${file("server.crt", server.certificatePem)}`,
      `--key-file=${file("server.key", server.privateKeyPem)}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    logFile,
  };
  let daemon = startDaemon(spec);
  const healthy = () =>
    waitFor(
      "etcd to be healthy",
      async () => ((await healthStatus(endpoint, ca.certificatePem, root)) === 200 ? true : undefined),
      30_000,
    );

  const identityFiles = new Map<CertificateKeyPem, [string, string]>();
  let counter = 0;
  const etcdctl = async (args: string[], identity: CertificateKeyPem = root) => {
    let files = identityFiles.get(identity);
    if (!files) {
      counter += 1;
      files = [
        file(`client-${counter}.crt`, identity.certificatePem),
        file(`client-${counter}.key`, identity.privateKeyPem),
      ];
      identityFiles.set(identity, files);
    }
    const flags = [`--endpoints=https://${endpoint}`, `--cacert=${caFile}`, `--cert=${files[0]}`, `--key=${files[1]}`];
    try {
      return (await run(binary("etcd", "etcdctl"), [...flags, "--dial-timeout=3s", "--command-timeout=5s", ...args]))
        .stdout;
    } catch (error) {
      const { stderr = "" } = error as { stderr?: string };
      throw new Error(`etcdctl ${args.join(" ")}: ${stderr.trim() || (error as Error).message}`);
    }
  };

  const stop = async () => {
    // A stopped process cannot act on SIGTERM.
    if (isRunning(daemon)) process.kill(daemon.pid, "SIGCONT");
    await stopDaemon(daemon);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await healthy();
    await etcdctl(["user", "add", "root", "--no-password"]);
    await etcdctl(["role", "add", "root"]);
    await etcdctl(["user", "grant-role", "root", "root"]);
    await etcdctl(["auth", "enable"]);
  } catch (error) {
    const message = `${(error as Error).message}\n--- last lines of ${logFile} ---\n${logTail(logFile)}`;
    await stop();
    throw new Error(message, { cause: error });
  }

  return {
    endpoints: [endpoint],
    caPem: ca.certificatePem,
    caKeyPem: ca.privateKeyPem,
    rootCertPem: root.certificatePem,
    rootKeyPem: root.privateKeyPem,
    etcdctl,
    pause: () => {
      if (isRunning(daemon)) process.kill(daemon.pid, "SIGSTOP");
    },
    resume: () => {
      if (isRunning(daemon)) process.kill(daemon.pid, "SIGCONT");
    },
    kill: () => stopDaemon(daemon),
    restart: async () => {
      daemon = startDaemon(spec);
      await healthy();
    },
    stop,
  };
}
