// The process of a test server: what the driver tests do to it (hang it, kill it, start it again), stopping it by
// PID, and the error that says why it did not come up.
import { type DaemonSpec, isRunning, logTail, startDaemon, stopDaemon } from "../../tools/cluster/daemon.js";

/** `error` with the last lines of `logFile` appended: make it before the log is removed. */
export function withLogTail(error: unknown, logFile: string): Error {
  return new Error(`${(error as Error).message}\n--- last lines of ${logFile} ---\n${logTail(logFile)}`, {
    cause: error,
  });
}

/** What a test does to a server to see how its client copes. */
export interface ServerFaults {
  /** SIGSTOP: the port stays open but nothing answers, like a hung or partitioned server. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops the process and keeps its data: the port is closed, connections are refused. */
  kill(): Promise<void>;
  /** Starts the server again on the same data and port after kill(); resolves once it is ready. */
  restart(): Promise<void>;
}

export interface ServerProcess extends ServerFaults {
  /** Stops the process (by PID), paused or not. */
  stop(): Promise<void>;
}

/** Starts `spec` now; `ready` resolves once the server answers, which restart() waits for. */
export function startServerProcess(spec: DaemonSpec, ready: () => Promise<unknown>): ServerProcess {
  let daemon = startDaemon(spec);
  const signal = (name: "SIGSTOP" | "SIGCONT") => {
    if (isRunning(daemon)) process.kill(daemon.pid, name);
  };
  return {
    pause: () => {
      signal("SIGSTOP");
    },
    resume: () => {
      signal("SIGCONT");
    },
    kill: () => stopDaemon(daemon),
    restart: async () => {
      daemon = startDaemon(spec);
      await ready();
    },
    stop: async () => {
      // A stopped process cannot act on SIGTERM.
      signal("SIGCONT");
      await stopDaemon(daemon);
    },
  };
}
