// Starts the cluster's daemons as detached processes with their output in log files, and stops them by PID,
// checking that the PID still runs the program we started (never by name or pattern).
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { namespaceArgs } from "./machine/commands.js";

export interface DaemonSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  /** Join this network namespace (by name, under /var/run/netns) and nothing else. */
  netns?: string;
  /** With `netns`: also join this persistent mount namespace (a worker machine's). */
  mountNamespace?: string;
  env?: Record<string, string>;
  /** Run as this user instead of root (servers such as PostgreSQL refuse to run as root). */
  runAs?: { uid: number; gid: number };
}

export interface RunningDaemon {
  name: string;
  pid: number;
  /** The program's path, to recognise the PID later. */
  command: string;
  /** Its start time (clock ticks since boot), to tell it from a later process with the same PID. */
  startTicks?: number;
}

/**
 * nsenter joins only the network namespace (and a worker's mount namespace), drops to `runAs` (which it must do
 * itself: joining a netns needs root) and then execs the program, so the PID is the program's.
 */
function commandLine(spec: DaemonSpec): [string, string[]] {
  if (!spec.netns) return [spec.command, spec.args];
  const user = spec.runAs ? [`--setuid=${String(spec.runAs.uid)}`, `--setgid=${String(spec.runAs.gid)}`] : [];
  return ["nsenter", [...namespaceArgs(spec.netns, spec.mountNamespace), ...user, "--", spec.command, ...spec.args]];
}

export function startDaemon(spec: DaemonSpec): RunningDaemon {
  const log = openSync(spec.logFile, "a");
  const [command, args] = commandLine(spec);
  const child = spawn(command, args, {
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, ...spec.env },
    ...(spec.runAs && !spec.netns ? { uid: spec.runAs.uid, gid: spec.runAs.gid } : {}),
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}`);
  child.unref();
  return { name: spec.name, pid: child.pid, command: spec.command, startTicks: startTicks(child.pid) };
}

/** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22): with the PID, who it is. */
function startTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is alive, runs `command` (after nsenter's exec, its argv[0] is the program) and, when recorded,
 * started when ours did: a PID reused by another process (after a reboot, say) is never taken for ours.
 */
export function isRunning(daemon: RunningDaemon): boolean {
  try {
    const argv0 = readFileSync(`/proc/${daemon.pid}/cmdline`, "utf8").split("\0")[0] ?? "";
    const state = /State:\s+(\S)/.exec(readFileSync(`/proc/${daemon.pid}/status`, "utf8"))?.[1];
    if (daemon.startTicks !== undefined && startTicks(daemon.pid) !== daemon.startTicks) return false;
    return state !== "Z" && (argv0 === daemon.command || argv0 === "nsenter");
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; waits until the process is gone. */
export async function stopDaemon(daemon: RunningDaemon, graceMs = 10_000): Promise<void> {
  if (!isRunning(daemon)) return;
  process.kill(daemon.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isRunning(daemon)) {
    if (Date.now() > deadline) {
      process.kill(daemon.pid, "SIGKILL");
      await sleep(200);
      if (!isRunning(daemon)) return;
    }
    await sleep(100);
  }
}

/** The last lines of a daemon's log, for error messages. */
export function logTail(logFile: string, lines = 15): string {
  try {
    return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
