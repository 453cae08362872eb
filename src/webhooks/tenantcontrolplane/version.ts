// Version rule: within the supported range, no downgrade, no skipped minor (patch changes are always allowed).
// Beyond upstream, an update is also checked against the version the control plane runs (status), so that a second
// minor cannot be asked for while the first upgrade still rolls: the reconciler would refuse it, and the webhook
// would then refuse going back.
import type { SemVer } from "semver";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import {
  compareMinor,
  formatMinor,
  highestSupportedVersion,
  lowestSupportedVersion,
  parseKubernetesVersion,
  supportedRange,
  upgradeRuleViolation,
} from "../../api/v1alpha1/versions.js";
import { AdmissionDenied } from "../admission-denied.js";

const versionField = "spec.kubernetes.version";

export interface SupportedVersions {
  readonly lowest: string;
  readonly highest: string;
}

const projectVersions: SupportedVersions = { lowest: lowestSupportedVersion, highest: highestSupportedVersion };

function parseVersion(text: string): SemVer | AdmissionDenied {
  try {
    return parseKubernetesVersion(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return new AdmissionDenied(`unable to parse the desired Kubernetes version: ${reason}`, versionField);
  }
}

function belowLowest(
  desired: SemVer,
  tcp: TenantControlPlane,
  supported: SupportedVersions,
): AdmissionDenied | undefined {
  if (compareMinor(desired, parseKubernetesVersion(supported.lowest)) >= 0) return undefined;
  return new AdmissionDenied(
    `Kubernetes ${tcp.spec.kubernetes.version} is not supported: the supported versions are ` +
      supportedRange(supported.lowest, supported.highest),
    versionField,
  );
}

export function validateVersionOnCreate(
  tcp: TenantControlPlane,
  supported: SupportedVersions = projectVersions,
): AdmissionDenied | undefined {
  const desired = parseVersion(tcp.spec.kubernetes.version);
  if (desired instanceof AdmissionDenied) return desired;
  const highest = parseKubernetesVersion(supported.highest);
  if (compareMinor(desired, highest) > 0) {
    return new AdmissionDenied(
      `unable to create a TenantControlPlane with a Kubernetes version greater than the supported one, actually ${formatMinor(highest)}`,
      versionField,
    );
  }
  return belowLowest(desired, tcp, supported);
}

export function validateVersionOnUpdate(
  old: TenantControlPlane,
  tcp: TenantControlPlane,
  supported: SupportedVersions = projectVersions,
): AdmissionDenied | undefined {
  if (tcp.metadata.deletionTimestamp) return undefined;
  if (tcp.spec.kubernetes.version === old.spec.kubernetes.version) return undefined;
  const desired = parseVersion(tcp.spec.kubernetes.version);
  if (desired instanceof AdmissionDenied) return desired;
  const highest = parseKubernetesVersion(supported.highest);
  if (compareMinor(desired, highest) > 0) {
    return new AdmissionDenied(
      `unable to upgrade to a version greater than the supported one (${formatMinor(highest)})`,
      versionField,
    );
  }
  const tooOld = belowLowest(desired, tcp, supported);
  if (tooOld) return tooOld;
  // A stored version that does not parse predates this rule: let the update repair it.
  const current = parseVersion(old.spec.kubernetes.version);
  if (current instanceof AdmissionDenied) return undefined;
  const violation = upgradeRuleViolation(current, desired);
  if (violation === "downgrade" && !rollsBackUnfinishedUpgrade(old, desired)) {
    return new AdmissionDenied(
      `unable to downgrade a TenantControlPlane from ${old.spec.kubernetes.version} to ${tcp.spec.kubernetes.version}`,
      versionField,
    );
  }
  if (violation === "non-sequential") {
    return new AdmissionDenied("unable to upgrade to a minor version in a non-sequential mode", versionField);
  }
  return againstInstalled(old, tcp, desired);
}

const installedVersion = (tcp: TenantControlPlane): SemVer | undefined => {
  const text = tcp.status?.kubernetesResources?.version?.version;
  if (!text) return undefined;
  try {
    return parseKubernetesVersion(text);
  } catch {
    return undefined;
  }
};

/**
 * Back to the minor the control plane still runs, while an upgrade has not finished (e.g. the new images cannot be
 * pulled): allowed, so that a stuck upgrade can be called off.
 */
function rollsBackUnfinishedUpgrade(old: TenantControlPlane, desired: SemVer): boolean {
  const installed = installedVersion(old);
  return installed !== undefined && compareMinor(desired, installed) === 0;
}

/** The control plane still runs an older minor (an upgrade rolls): the next minor waits until it is done. */
function againstInstalled(
  old: TenantControlPlane,
  tcp: TenantControlPlane,
  desired: SemVer,
): AdmissionDenied | undefined {
  const installed = installedVersion(old);
  if (installed === undefined || upgradeRuleViolation(installed, desired) !== "non-sequential") return undefined;
  return new AdmissionDenied(
    `unable to upgrade to ${tcp.spec.kubernetes.version} while the control plane still runs ` +
      `${old.status?.kubernetesResources?.version?.version}: ` +
      `wait until the upgrade to ${old.spec.kubernetes.version} is done (status.kubernetesResources.version.version)`,
    versionField,
  );
}
