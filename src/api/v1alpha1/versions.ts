// Kubernetes versions a TenantControlPlane may run, the upgrade rule between two of them, and what kubeadm pairs
// with each minor. Compared by major and minor only: patch changes are always allowed.
import { SemVer } from "semver";

/** Each supported tenant minor with the CoreDNS release its kubeadm installs (kubeadm's constants.CoreDNSVersion). */
const supportedMinors: readonly { readonly minor: number; readonly coreDns: string }[] = [
  { minor: 33, coreDns: "v1.12.0" },
  { minor: 34, coreDns: "v1.12.1" },
  { minor: 35, coreDns: "v1.13.1" },
  { minor: 36, coreDns: "v1.14.2" },
  { minor: 37, coreDns: "v1.14.6" },
];

/** Lowest tenant Kubernetes minor this release runs (patch ignored): older versions are refused on create. */
export const lowestSupportedVersion = "v1.33.0";
/** Highest tenant Kubernetes minor this release supports (patch ignored). Newer versions are refused. */
export const highestSupportedVersion = "v1.36.0";

/** `v1.34.10` or `1.34.10` as a SemVer; throws on anything else. */
export const parseKubernetesVersion = (text: string): SemVer => new SemVer(text.replace(/^v/, ""));

/** Negative, zero or positive as `a`'s minor release is older than, equal to or newer than `b`'s. */
export const compareMinor = (a: SemVer, b: SemVer): number => a.major - b.major || a.minor - b.minor;

export const formatMinor = (version: SemVer): string => `v${version.major}.${version.minor}`;

/** `v1.33 to v1.37`: the range messages quote. */
export function supportedRange(lowest = lowestSupportedVersion, highest = highestSupportedVersion): string {
  return `${formatMinor(parseKubernetesVersion(lowest))} to ${formatMinor(parseKubernetesVersion(highest))}`;
}

/**
 * Why going from `current` to `desired` is not an upgrade kubeadm can plan (a downgrade of the minor, or a skipped
 * minor), or undefined when it is one (same minor, any patch, or the next minor).
 */
export function upgradeRuleViolation(current: SemVer, desired: SemVer): "downgrade" | "non-sequential" | undefined {
  if (compareMinor(desired, current) < 0) return "downgrade";
  if (desired.major !== current.major || desired.minor - current.minor > 1) return "non-sequential";
  return undefined;
}

/**
 * The CoreDNS release kubeadm pairs with `kubernetesVersion`'s minor; for a minor outside the table (a stored object
 * older than the supported range) the nearest supported one.
 */
export function coreDnsVersionFor(kubernetesVersion: string): string {
  let minor: number;
  try {
    minor = parseKubernetesVersion(kubernetesVersion).minor;
  } catch {
    minor = 0;
  }
  // The table is sorted: the last entry at or below the minor, else the first.
  const atOrBelow = supportedMinors.filter((entry) => entry.minor <= minor);
  return (atOrBelow[atOrBelow.length - 1] ?? supportedMinors[0])?.coreDns ?? "";
}
