// Test helpers: run the real openssl binary on files in a throw-away directory.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const OPENSSL = "/usr/bin/openssl";

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function openssl(args: readonly string[], cwd: string): CommandResult {
  const result = spawnSync(OPENSSL, args, { cwd, encoding: "utf8" });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs openssl and returns stdout; a non-zero exit fails with openssl's own output. */
export function opensslOk(args: readonly string[], cwd: string): string {
  const result = openssl(args, cwd);
  if (result.status !== 0) {
    throw new Error(`openssl ${args.join(" ")} exited ${result.status}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** Writes `files` into a fresh directory under the OS temp dir, runs `body`, then removes the directory. */
export async function withFiles<T>(files: Record<string, string>, body: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "kamaji-pki-test-"));
  try {
    await Promise.all(Object.entries(files).map(([name, content]) => writeFile(join(dir, name), content)));
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
