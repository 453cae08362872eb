// Starts a private nats-server (Debian's) for one test file, as a NATS DataStore runs it: JetStream with its store in
// a temporary directory, a user with a password, and TLS with a server certificate from a test CA, on a free port.
// The witness is its own NATS connection, independent of the driver under test.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type JetStreamManager, jetstreamManager, type StreamConfig } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { DaemonSpec } from "../../tools/cluster/daemon.js";
import { freePort } from "../../tools/cluster/ports.js";
import { waitFor } from "../../tools/cluster/wait.js";
import type { CertificateKeyPem } from "../../src/pki/index.js";
import { createServerDirectory } from "./server-directory.js";
import { type ServerFaults, startServerProcess, withLogTail } from "./server-process.js";
import { createTestServerPki, issueTestClientCertificate, writeServerTlsFiles } from "./test-pki.js";

const NATS_SERVER = "/usr/sbin/nats-server";

export interface TestNatsOptions {
  /** Default 127.0.0.1; also the server certificate's IP address. */
  readonly listenAddress?: string;
  /** Run the server in this network namespace (the address must be reachable from here, for the readiness wait). */
  readonly netns?: string;
  /** Default true: clients must use TLS. */
  readonly tls?: boolean;
  /** Default true; false starts a server without JetStream, which kine cannot use. */
  readonly jetstream?: boolean;
  /** Require a client certificate signed by the test CA (TLS only); see `clientCertificate`. */
  readonly verifyClients?: boolean;
}

/** Reads the server as an administrator would, through its own connection. */
export interface NatsWitness {
  readonly connection: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly kvm: Kvm;
  /** The names of the key-value buckets, sorted. */
  buckets(): Promise<string[]>;
  /** The configuration of the bucket's stream, or undefined when there is no such bucket. */
  bucketConfig(bucket: string): Promise<StreamConfig | undefined>;
  /** The bucket's keys, sorted. */
  keys(bucket: string): Promise<string[]>;
}

export interface TestNats extends ServerFaults {
  /** `host:port`, as a DataStore lists it. */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  /** The CA of the server certificate (also issued when tls is false, to test clients that insist on TLS). */
  readonly caPem: string;
  /** A client certificate from the test CA, for `verifyClients`. */
  readonly clientCertificate: CertificateKeyPem;
  /** The only user, and its password (letters and digits: kine takes them from a URL). */
  readonly user: string;
  readonly password: string;
  readonly witness: NatsWitness;
  /** Stops the server (by PID) and removes its directory. */
  stop(): Promise<void>;
}

export async function startTestNats(options: TestNatsOptions = {}): Promise<TestNats> {
  const host = options.listenAddress ?? "127.0.0.1";
  const tls = options.tls ?? true;
  if (!existsSync(NATS_SERVER)) throw new Error(`${NATS_SERVER} is not installed (hack/install-packages.sh)`);
  const dir = createServerDirectory("nats");
  const pki = await createTestServerPki("nats", {
    dnsNames: ["localhost"],
    ipAddresses: [host],
    extendedKeyUsages: ["serverAuth"],
  });
  const clientCertificate = await issueTestClientCertificate(pki.authority, "nats-client");
  const caPem = pki.ca.certificatePem;

  const user = "kamaji";
  const password = `nats${Math.random().toString(36).slice(2)}`;
  const port = await freePort();
  const tlsFiles = tls ? writeServerTlsFiles(dir.writeFile, pki) : undefined;
  // nats-server's configuration format takes JSON values.
  const value = (v: unknown) => JSON.stringify(v);
  const config = [
    `host: ${value(host)}`,
    `port: ${port}`,
    `authorization { user: ${value(user)}, password: ${value(password)} }`,
    ...(options.jetstream === false ? [] : [`jetstream { store_dir: ${value(join(dir.path, "jetstream"))} }`]),
    ...(tlsFiles === undefined
      ? []
      : [
          `tls { cert_file: ${value(tlsFiles.certFile)}, key_file: ${value(tlsFiles.keyFile)}, ca_file: ${value(tlsFiles.caFile)}, verify: ${options.verifyClients === true}, timeout: 5 }`,
        ]),
  ];
  const logFile = join(dir.path, "nats-server.log");
  const spec: DaemonSpec = {
    name: "nats-server",
    command: NATS_SERVER,
    args: ["-c", dir.writeFile("nats-server.conf", `${config.join("\n")}\n`)],
    logFile,
    netns: options.netns,
  };

  const endpoint = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const connectWitness = () =>
    connect({
      servers: endpoint,
      user,
      pass: password,
      timeout: 2_000,
      // Across restart(), until stop().
      maxReconnectAttempts: -1,
      reconnectTimeWait: 200,
      ...(tls
        ? {
            tls: {
              ca: caPem,
              ...(options.verifyClients === true
                ? { cert: clientCertificate.certificatePem, key: clientCertificate.privateKeyPem }
                : {}),
            },
          }
        : {}),
    });
  /** Resolves once a client can connect (its own connection, closed again), with the server's log on failure. */
  const ready = async () => {
    try {
      await waitFor(
        "nats-server to accept connections",
        async () => {
          await (await connectWitness()).close();
          return true;
        },
        30_000,
      );
    } catch (error) {
      throw withLogTail(error, logFile);
    }
  };
  const server = startServerProcess(spec, ready);
  let connection: NatsConnection | undefined;
  const stop = async () => {
    await connection?.close();
    await server.stop();
    dir.remove();
  };

  try {
    await ready();
    connection = await connectWitness();
  } catch (error) {
    await stop();
    throw error;
  }

  const jsm = await jetstreamManager(connection, { checkAPI: false });
  const kvm = new Kvm(connection);
  const witness: NatsWitness = {
    connection,
    jsm,
    kvm,
    buckets: async () => {
      const names: string[] = [];
      for await (const status of kvm.list()) names.push(status.bucket);
      return names.sort();
    },
    bucketConfig: async (bucket) => {
      try {
        return (await jsm.streams.info(`KV_${bucket}`)).config;
      } catch (error) {
        if ((error as { code?: unknown }).code === 10059) return undefined; // stream not found
        throw error;
      }
    },
    keys: async (bucket) => {
      const keys: string[] = [];
      for await (const key of await (await kvm.open(bucket)).keys()) keys.push(key);
      return keys.sort();
    },
  };
  return {
    endpoint,
    host,
    port,
    caPem,
    clientCertificate,
    user,
    password,
    witness,
    ...server, // pause, resume and kill
    restart: async () => {
      await server.restart();
      // The witness reconnects on its own; a flush (PING) succeeds once it has.
      await waitFor(
        "the witness to reconnect",
        async () => {
          await witness.connection.flush();
          return true;
        },
        30_000,
        100,
      );
    },
    stop,
  };
}
