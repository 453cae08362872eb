// The real kine on a datastore a driver test provisioned, its etcd API on a free loopback port: the proof that what
// the driver made is enough for kine. Stopped by PID.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Etcd3 } from "etcd3";
import { isRunning, startDaemon, stopDaemon } from "../../tools/cluster/daemon.js";
import { freePort } from "../../tools/cluster/ports.js";
import { waitFor } from "../../tools/cluster/wait.js";
import { binary } from "../../tools/upstream.js";
import { createServerDirectory } from "./server-directory.js";
import { withLogTail } from "./server-process.js";

export interface TestKine {
  /** `127.0.0.1:port` of kine's etcd API (plain HTTP). */
  readonly listen: string;
  readonly logFile: string;
  /** Whether kine still runs. */
  isRunning(): boolean;
  /** kine's log so far. */
  log(): string;
  /** Stops kine (by PID) and removes its directory. */
  stop(): Promise<void>;
}

/** Starts kine on `endpoint` (its --endpoint: the datastore's URL with credentials), trusting `caPem`; does not wait. */
export async function startKine(endpoint: string, caPem: string): Promise<TestKine> {
  // First: it throws when kine is not built, and then no directory is left behind.
  const command = binary("kine", "kine");
  const dir = createServerDirectory("kine");
  const listen = `127.0.0.1:${await freePort()}`;
  const logFile = join(dir.path, "kine.log");
  const daemon = startDaemon({
    name: "kine",
    command,
    args: [
      `--endpoint=${endpoint}`,
      `--ca-file=${dir.writeFile("ca.crt", caPem)}`,
      `--listen-address=${listen}`,
      "--metrics-bind-address=0",
    ],
    logFile,
  });
  return {
    listen,
    logFile,
    isRunning: () => isRunning(daemon),
    log: () => readFileSync(logFile, "utf8"),
    stop: async () => {
      await stopDaemon(daemon);
      dir.remove();
    },
  };
}

/** Puts `value` at `key` through `client` until kine takes it (it connects to its datastore first); rejects with its log. */
export async function putWhenReady(kine: TestKine, client: Etcd3, key: string, value: string): Promise<void> {
  try {
    await waitFor(
      "kine to accept a write",
      () =>
        client
          .put(key)
          .value(value)
          .then(() => true),
      30_000,
    );
  } catch (error) {
    throw withLogTail(error, kine.logFile);
  }
}
