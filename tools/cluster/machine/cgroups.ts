// The cgroup roots (cgroup v1 with the cgroupfs driver) that each local machine's kubelet puts its pods under, one
// per machine, so that the machines never share a pod cgroup and each can be removed on its own.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pause } from "./commands.js";

const cgroupBase = "/sys/fs/cgroup";

/** Creates `/<root>` in every hierarchy; cpuset needs its cpus and mems copied from the parent. */
export function createCgroupRoot(root: string): void {
  for (const hierarchy of readdirSync(cgroupBase)) {
    const parent = join(cgroupBase, hierarchy);
    if (!statSync(parent).isDirectory()) continue;
    const dir = join(parent, root);
    mkdirSync(dir, { recursive: true });
    for (const file of ["cpuset.cpus", "cpuset.mems"]) {
      if (existsSync(join(parent, file)) && readFileSync(join(dir, file), "utf8").trim() === "")
        writeFileSync(join(dir, file), readFileSync(join(parent, file), "utf8"));
    }
  }
}

/** PIDs under `/<root>` in any hierarchy: the processes of the machine's pods. */
export function cgroupPids(root: string): number[] {
  const pids = new Set<number>();
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(path, entry.name));
      else if (entry.name === "cgroup.procs") {
        for (const line of readFileSync(join(path, entry.name), "utf8").split("\n"))
          if (line.trim() !== "") pids.add(Number(line));
      }
    }
  };
  for (const hierarchy of ["pids", "memory", "freezer"]) walk(join(cgroupBase, hierarchy, root));
  return [...pids];
}

function removeTree(path: string): void {
  if (!existsSync(path)) return;
  for (const entry of readdirSync(path, { withFileTypes: true }))
    if (entry.isDirectory()) removeTree(join(path, entry.name));
  // A cgroup whose last process was just killed stays busy for a moment.
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(path);
      return;
    } catch (error) {
      if (attempt >= 50) throw new Error(`could not remove cgroup ${path}: ${(error as Error).message}`);
      pause(100);
    }
  }
}

/** Removes `/<root>` from every hierarchy (its processes must be gone). */
export function removeCgroupRoot(root: string): void {
  for (const hierarchy of readdirSync(cgroupBase)) removeTree(join(cgroupBase, hierarchy, root));
}
