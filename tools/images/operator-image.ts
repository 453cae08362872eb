// The operator's own image: Node.js (with the shared libraries it links against), the compiled dist/ and the
// production dependencies. node_modules is installed once per package-lock.json into the cache, outside the repo.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, repoDir } from "../upstream.js";
import type { ImageSpec } from "./oci-image.js";

const packageJson = JSON.parse(readFileSync(join(repoDir, "package.json"), "utf8")) as { version: string };

/** The image reference the chart and the demo use: built here, never pulled. */
export const operatorImageRepository = "kamaji.local/kamaji";
export const operatorImageTag = `v${packageJson.version}`;
export const operatorImageName = `${operatorImageRepository}:${operatorImageTag}`;

/** `npm ci --omit=dev` into a directory keyed by the lockfile, reused while the lockfile is unchanged. */
function productionDependencies(): string {
  const lock = readFileSync(join(repoDir, "package-lock.json"));
  const key = createHash("sha256").update(lock).digest("hex").slice(0, 16);
  const dir = join(cacheDir, "operator", `dependencies-${key}`);
  if (existsSync(join(dir, "node_modules"))) return join(dir, "node_modules");
  const staging = `${dir}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  copyFileSync(join(repoDir, "package.json"), join(staging, "package.json"));
  copyFileSync(join(repoDir, "package-lock.json"), join(staging, "package-lock.json"));
  execFileSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: staging,
    stdio: ["ignore", "ignore", "inherit"],
  });
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return join(dir, "node_modules");
}

/** Compiles src/ into dist/ (incremental enough: tsc rewrites only what changed) and describes the image. */
export function operatorImage(): ImageSpec {
  execFileSync("npm", ["run", "-s", "build"], { cwd: repoDir, stdio: ["ignore", "ignore", "inherit"] });
  return {
    name: operatorImageName,
    files: [
      { source: process.execPath, target: "/usr/local/bin/node", withLibraries: true },
      { source: join(repoDir, "package.json"), target: "/app/package.json" },
    ],
    trees: [
      { source: join(repoDir, "dist"), target: "/app/dist" },
      { source: productionDependencies(), target: "/app/node_modules" },
    ],
    entrypoint: ["/usr/local/bin/node", "/app/dist/cli/main.js"],
    cmd: ["manager"],
    env: ["PATH=/usr/local/bin:/usr/bin:/bin", "NODE_ENV=production"],
    user: "65532:65532",
  };
}
