// Kubernetes versions a TenantControlPlane may run.

/** Highest tenant Kubernetes minor this release supports (patch ignored). Newer versions are rejected. */
export const highestSupportedVersion = "v1.35.0";
