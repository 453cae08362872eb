// Kubernetes versions a TenantControlPlane may run.
import pinned from "../../../hack/versions.json" with { type: "json" };

/** Highest tenant Kubernetes minor this release supports (patch ignored). Newer versions are rejected. */
export const highestSupportedVersion = "v1.35.0";

/** Version used by the samples and the demo: the pinned upstream version (hack/versions.json). */
export const defaultKubernetesVersion = pinned.kubernetes;
