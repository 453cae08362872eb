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

/** Builds whatever is missing (seconds when everything is cached), streaming the build's progress. */
export function ensureUpstreamBuilt(components: string[] = []): void {
  const result = spawnSync(join(repoDir, "hack/build-upstream.sh"), components, { stdio: "inherit" });
  if (result.status !== 0) throw new Error(`hack/build-upstream.sh ${components.join(" ")} failed`);
}
