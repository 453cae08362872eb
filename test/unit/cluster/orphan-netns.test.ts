import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { orphanPodNetns } from "../../../tools/cluster/machine/mounts.js";

test("orphan pod netns: cni-* files made since the cluster started whose namespace no process is in", () => {
  const dir = mkdtempSync(join(tmpdir(), "netns-"));
  try {
    for (const name of ["cni-orphan", "cni-in-use", "cni-before", "kamaji-node"]) writeFileSync(join(dir, name), "");
    const start = Date.now() - 60_000;
    utimesSync(join(dir, "cni-before"), new Date(start - 60_000), new Date(start - 60_000));
    const inode = (name: string) => statSync(join(dir, name)).ino;
    const orphans = orphanPodNetns(dir, start, new Set([inode("cni-in-use")]));
    assert.deepEqual([...orphans], [inode("cni-orphan")]);
    assert.equal(orphanPodNetns(join(dir, "missing"), start, new Set()).size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
