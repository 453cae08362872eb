// Finding and stopping the processes a local machine left behind: always by PID, recognised by what they are
// (a pod's cgroup, our containerd's socket, the machine's own mount namespace), never by name or pattern.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { pause } from "./commands.js";
import { mountsUnder } from "./network.js";

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

export const alive = (pid: number): boolean =>
  existsSync(`/proc/${pid}`) && !/State:\s+Z/.test(safeRead(`/proc/${pid}/status`));

/** SIGKILL, then waits (up to 10 s) until every one is gone. */
export function killAndWait(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) pause(100);
}

const processIds = (): number[] =>
  readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number);

/** containerd shims started by the containerd listening on `socket`: their `-address` argument names it. */
export function shimsOf(socket: string): { pid: number; id: string }[] {
  const shims: { pid: number; id: string }[] = [];
  for (const pid of processIds()) {
    const argv = safeRead(`/proc/${pid}/cmdline`).split("\0");
    const at = argv.indexOf("-address");
    if ((argv[0] ?? "").includes("containerd-shim") && at >= 0 && argv[at + 1] === socket)
      shims.push({ pid, id: argv[argv.indexOf("-id") + 1] ?? "" });
  }
  return shims;
}

/** Every process whose mount namespace is the one bound at `mountNamespaceFile` (a worker machine's). */
export function processesInMountNamespace(mountNamespaceFile: string): number[] {
  // Only while the namespace is bound there: the plain file left after an unmount names no namespace.
  if (!mountsUnder([mountNamespaceFile]).includes(mountNamespaceFile)) return [];
  const { ino, dev } = statSync(mountNamespaceFile);
  return processIds().filter((pid) => {
    try {
      const ns = statSync(`/proc/${pid}/ns/mnt`);
      return pid !== process.pid && ns.ino === ino && ns.dev === dev;
    } catch {
      return false;
    }
  });
}

/** The inodes of the network namespaces of `pids` (to find the pods' netns files). */
export function netnsInodes(pids: number[]): Set<number> {
  const inodes = new Set<number>();
  for (const pid of pids) {
    try {
      inodes.add(statSync(`/proc/${pid}/ns/net`).ino);
    } catch {
      // gone meanwhile
    }
  }
  return inodes;
}

/** The network namespaces any process of this host is in. */
export function netnsInodesInUse(): Set<number> {
  return netnsInodes(processIds());
}
