// Another tenant Kubernetes version on the running node tier: the images its control plane and addons run (from the
// `tenants` table of hack/versions.json, built by `hack/build-upstream.sh tenant@<minor>`), imported into the
// management node's containerd. Worker machines get theirs at join and upgrade.
import { tenantVersionImages } from "../images/catalog.js";
import { importImages } from "../images/containerd-import.js";
import { containerdSocket } from "./node-tier.js";
import type { ClusterState } from "./state.js";

/** Imports what a tenant of `version`'s minor runs; returns the images that were missing. */
export async function importTenantVersion(state: ClusterState, version: string): Promise<string[]> {
  return importImages(containerdSocket(state.dir), tenantVersionImages(version));
}
