// Starts a private etcd for one test file, as a DataStore runs it: TLS on 127.0.0.1 with client-certificate
// authentication, auth enabled, and a `root` user (no password, so only its certificate's CN authenticates it).
// Setup goes through etcdctl, independently of the driver under test.
import { execFile } from "node:child_process";
import { request } from "node:https";
import { join } from "node:path";
import { promisify } from "node:util";
import type { DaemonSpec } from "../../tools/cluster/daemon.js";
import { freePort } from "../../tools/cluster/ports.js";
import { waitFor } from "../../tools/cluster/wait.js";
import { binary } from "../../tools/upstream.js";
import type { CertificateKeyPem } from "../../src/pki/index.js";
import { createServerDirectory } from "./server-directory.js";
import { type ServerFaults, startServerProcess, withLogTail } from "./server-process.js";
import { createTestServerPki, issueTestClientCertificate, writeServerTlsFiles } from "./test-pki.js";

const run = promisify(execFile);

export interface TestEtcd extends ServerFaults {
  /** `host:port`, as a DataStore lists them. */
  readonly endpoints: string[];
  readonly caPem: string;
  readonly caKeyPem: string;
  /** A client certificate with CN=root: the etcd administrator. */
  readonly rootCertPem: string;
  readonly rootKeyPem: string;
  /** Runs etcdctl against this etcd as the holder of `identity` (default root); rejects with etcdctl's stderr. */
  etcdctl(args: string[], identity?: CertificateKeyPem): Promise<string>;
  /** Stops etcd (by PID) and removes its directory. */
  stop(): Promise<void>;
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
  const dir = createServerDirectory("etcd");
  const pki = await createTestServerPki("etcd", {
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    extendedKeyUsages: ["serverAuth", "clientAuth"],
  });
  const { ca } = pki;
  const root = await issueTestClientCertificate(pki.authority, "root");
  const { caFile, certFile, keyFile } = writeServerTlsFiles(dir.writeFile, pki);

  const endpoint = `127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  const logFile = join(dir.path, "etcd.log");
  const spec: DaemonSpec = {
    name: "etcd",
    command: binary("etcd", "etcd"),
    args: [
      "--name=test",
      `--data-dir=${join(dir.path, "data")}`,
      `--listen-client-urls=https://${endpoint}`,
      `--advertise-client-urls=https://${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      "--client-cert-auth",
      `--trusted-ca-file=${caFile}`,
      `--cert-file=${certFile}`,
      `--key-file=${keyFile}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    logFile,
  };
  const healthy = () =>
    waitFor(
      "etcd to be healthy",
      async () => ((await healthStatus(endpoint, ca.certificatePem, root)) === 200 ? true : undefined),
      30_000,
    );
  const server = startServerProcess(spec, healthy);

  const identityFiles = new Map<CertificateKeyPem, [string, string]>();
  let counter = 0;
  const etcdctl = async (args: string[], identity: CertificateKeyPem = root) => {
    let files = identityFiles.get(identity);
    if (!files) {
      counter += 1;
      files = [
        dir.writeFile(`client-${counter}.crt`, identity.certificatePem),
        dir.writeFile(`client-${counter}.key`, identity.privateKeyPem),
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
    await server.stop();
    dir.remove();
  };

  try {
    await healthy();
    await etcdctl(["user", "add", "root", "--no-password"]);
    await etcdctl(["role", "add", "root"]);
    await etcdctl(["user", "grant-role", "root", "root"]);
    await etcdctl(["auth", "enable"]);
  } catch (error) {
    const failure = withLogTail(error, logFile);
    await stop();
    throw failure;
  }

  return {
    endpoints: [endpoint],
    caPem: ca.certificatePem,
    caKeyPem: ca.privateKeyPem,
    rootCertPem: root.certificatePem,
    rootKeyPem: root.privateKeyPem,
    etcdctl,
    ...server, // pause, resume, kill and restart
    stop,
  };
}
