// Unmounting what a local machine mounted (pod volumes, containerd's snapshots, netns bind mounts).
import { existsSync, lstatSync, readdirSync, readlinkSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { succeeds } from "./commands.js";
import { mountsUnder } from "./network.js";

export function unmountAll(prefixes: string[]): void {
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(prefixes);
    if (points.length === 0) return;
    for (const point of points) {
      if (!succeeds("umount", [point])) succeeds("umount", ["-l", point]);
    }
  }
  const left = mountsUnder(prefixes);
  if (left.length > 0) throw new Error(`could not unmount: ${left.join(", ")}`);
}

/** Unmounts and removes the netns files under `dir` whose namespace is one of `inodes` (pods' netns). */
export function removeNetnsFiles(dir: string, inodes: Set<number>, keep: string[] = []): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    let ino: number;
    try {
      ino = statSync(path).ino;
    } catch {
      continue;
    }
    if (!keep.includes(name) && inodes.has(ino)) {
      if (!succeeds("umount", [path])) succeeds("umount", ["-l", path]);
      unlinkSync(path);
    }
  }
}

/** Removes the links in `linkDir` that point into `targetDir` (the kubelet's /var/log/containers links). */
export function removeLinksInto(linkDir: string, targetDir: string): void {
  if (!existsSync(linkDir)) return;
  for (const name of readdirSync(linkDir)) {
    const path = join(linkDir, name);
    try {
      if (lstatSync(path).isSymbolicLink() && readlinkSync(path).startsWith(`${targetDir}/`)) unlinkSync(path);
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * Pod network namespaces that outlived their pods: `cni-*` files under `dir` made since `sinceMs` whose namespace no
 * process is in (a sandbox torn down halfway when the cluster stopped).
 */
export function orphanPodNetns(dir: string, sinceMs: number, inUse: Set<number>): Set<number> {
  const orphans = new Set<number>();
  if (!existsSync(dir)) return orphans;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith("cni-")) continue;
    try {
      const stat = statSync(join(dir, name));
      if (stat.mtimeMs >= sinceMs && !inUse.has(stat.ino)) orphans.add(stat.ino);
    } catch {
      // gone meanwhile
    }
  }
  return orphans;
}
