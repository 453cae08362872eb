// Where the upstream binaries built by hack/build-upstream.sh live, at the versions pinned in hack/versions.json.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import versions from "../hack/versions.json" with { type: "json" };

export { versions };

export const cacheDir = process.env.KAMAJI_CACHE_DIR ?? "/var/cache/kamaji-ts";
export const repoDir = new URL("..", import.meta.url).pathname;

type Component =
  | "kubernetes"
  | "kubernetes-control-plane"
  | "conformance"
  | "busybox"
  | "etcd"
  | "kine"
  | "konnectivity"
  | "coredns"
  | "helm";

const pinned = (component: Component): string =>
  component === "kubernetes-control-plane" || component === "conformance" ? versions.kubernetes : versions[component];

export function binDir(component: Component, version = pinned(component)): string {
  return join(cacheDir, "bin", `${component}-${version}`);
}

/** Path of an upstream binary; a clear error says how to build it when it is missing. */
export function binary(component: Component, name: string, version = pinned(component)): string {
  const path = join(binDir(component, version), name);
  if (!existsSync(path)) {
    throw new Error(
      `${name} ${version} is not built (${path} missing): run \`hack/build-upstream.sh ${component}@${version}\``,
    );
  }
  return path;
}

/**
 * A Kubernetes binary of `version`: from the full build when it exists (the pinned version), else from the
 * control-plane-only build of another version (`hack/build-upstream.sh kubernetes-control-plane@vX.Y.Z`).
 */
export function kubernetesBinary(name: string, version = versions.kubernetes): string {
  const full = join(binDir("kubernetes", version), name);
  return existsSync(full) ? full : binary("kubernetes-control-plane", name, version);
}

/** What a tenant of one Kubernetes minor runs here (the `tenants` table of hack/versions.json). */
export interface TenantRelease {
  readonly kubernetes: string;
  readonly coredns: string;
  readonly konnectivity: string;
}

const tenantTable = versions.tenants as unknown as Record<string, TenantRelease | string>;

/** The tenant minors built here, oldest first: `v1.33`, `v1.34`, ... */
export const tenantMinors: readonly string[] = Object.keys(tenantTable).filter((key) => key !== "$comment");

/** The release of `version`'s minor (`v1.35.8` or `v1.35`); a clear error for a minor not in the table. */
export function tenantRelease(version: string): TenantRelease {
  const minor = /^v?(\d+)\.(\d+)/.exec(version);
  const entry = minor ? tenantTable[`v${minor[1]}.${minor[2]}`] : undefined;
  if (entry === undefined || typeof entry === "string") {
    throw new Error(`no tenant release for ${version} in hack/versions.json (minors: ${tenantMinors.join(", ")})`);
  }
  return entry;
}

/** Builds whatever is missing (seconds when everything is cached), streaming the build's progress. */
export function ensureUpstreamBuilt(components: string[] = []): void {
  const result = spawnSync(join(repoDir, "hack/build-upstream.sh"), components, { stdio: "inherit" });
  if (result.status !== 0) throw new Error(`hack/build-upstream.sh ${components.join(" ")} failed`);
}
