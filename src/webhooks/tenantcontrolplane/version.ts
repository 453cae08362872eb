// Version rule: no version above the supported one, no downgrade, no skipped minor. Versions are compared by
// major and minor only, so patch changes are always allowed.
import { SemVer } from "semver";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { highestSupportedVersion } from "../../api/v1alpha1/versions.js";
import { AdmissionDenied } from "../admission-denied.js";

const versionField = "spec.kubernetes.version";

function parseVersion(text: string): SemVer | AdmissionDenied {
  try {
    return new SemVer(text.replace(/^v/, ""));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return new AdmissionDenied(`unable to parse the desired Kubernetes version: ${reason}`, versionField);
  }
}

/** Negative, zero or positive as `a`'s minor release is older than, equal to or newer than `b`'s. */
const compareMinor = (a: SemVer, b: SemVer): number => a.major - b.major || a.minor - b.minor;

const formatMinor = (version: SemVer): string => `v${version.major}.${version.minor}`;

export function validateVersionOnCreate(
  tcp: TenantControlPlane,
  supported: string = highestSupportedVersion,
): AdmissionDenied | undefined {
  const desired = parseVersion(tcp.spec.kubernetes.version);
  if (desired instanceof AdmissionDenied) return desired;
  const highest = new SemVer(supported.replace(/^v/, ""));
  if (compareMinor(desired, highest) > 0) {
    return new AdmissionDenied(
      `unable to create a TenantControlPlane with a Kubernetes version greater than the supported one, actually ${formatMinor(highest)}`,
      versionField,
    );
  }
  return undefined;
}

export function validateVersionOnUpdate(
  old: TenantControlPlane,
  tcp: TenantControlPlane,
  supported: string = highestSupportedVersion,
): AdmissionDenied | undefined {
  if (tcp.metadata.deletionTimestamp) return undefined;
  const desired = parseVersion(tcp.spec.kubernetes.version);
  if (desired instanceof AdmissionDenied) return desired;
  const highest = new SemVer(supported.replace(/^v/, ""));
  if (compareMinor(desired, highest) > 0) {
    return new AdmissionDenied(
      `unable to upgrade to a version greater than the supported one (${formatMinor(highest)})`,
      versionField,
    );
  }
  // A stored version that does not parse predates this rule: let the update repair it.
  const current = parseVersion(old.spec.kubernetes.version);
  if (current instanceof AdmissionDenied) return undefined;
  if (compareMinor(desired, current) < 0) {
    return new AdmissionDenied(
      `unable to downgrade a TenantControlPlane from ${old.spec.kubernetes.version} to ${tcp.spec.kubernetes.version}`,
      versionField,
    );
  }
  if (desired.major !== current.major || desired.minor - current.minor > 1) {
    return new AdmissionDenied("unable to upgrade to a minor version in a non-sequential mode", versionField);
  }
  return undefined;
}
