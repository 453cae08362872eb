// The private directory of one test server (its data, configuration, TLS files and log), owned by the account the
// server runs as, and that account.
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Account {
  readonly uid: number;
  readonly gid: number;
}

/** The account its Debian package creates for a server that refuses to run as root (`postgres`, `mysql`). */
export function systemAccount(name: string): Account {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(`no ${name} account in /etc/passwd: install the server (hack/install-packages.sh)`);
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/** Writes `content` to `name` in the directory, readable by its owner only; returns the file's path. */
export type WriteFile = (name: string, content: string) => string;

export interface ServerDirectory {
  readonly path: string;
  readonly writeFile: WriteFile;
  /** Creates the subdirectory `name`, for the owner only; returns its path. */
  makeDirectory(name: string): string;
  remove(): void;
}

/** A new directory under the system's temporary one, owned by `owner` (default: this process's user). */
export function createServerDirectory(server: string, owner?: Account): ServerDirectory {
  const path = mkdtempSync(join(tmpdir(), `kamaji-${server}-`));
  const own = (entry: string) => {
    if (owner !== undefined) chownSync(entry, owner.uid, owner.gid);
    return entry;
  };
  own(path);
  return {
    path,
    writeFile: (name, content) => {
      const file = join(path, name);
      writeFileSync(file, content, { mode: 0o600 });
      return own(file);
    },
    makeDirectory: (name) => {
      const directory = join(path, name);
      mkdirSync(directory, { mode: 0o700 });
      return own(directory);
    },
    remove: () => {
      rmSync(path, { recursive: true, force: true });
    },
  };
}
