// Labels and annotations of the Deployment and of its pod template.
import type { ObjectMeta } from "../../api/v1alpha1/kinds.js";
import { componentLabel, kamajiLabels, nameLabel } from "../labels.js";
import { apiServerArgsAnnotation, apiServerArgsChecksum } from "./api-server.js";
import { componentSecrets, optionalComponentSecrets } from "./input.js";
import type { Settings } from "./settings.js";

export const dataStoreLabel = "component.kamaji.clastix.io/datastore";
export const storageConfigAnnotation = "storage.kamaji.clastix.io/config";
export const storageCertificateAnnotation = "storage.kamaji.clastix.io/certificate";
/** Pod-template label carrying the checksum of one of the Secrets the pods mount. */
export const secretChecksumLabel = (secret: string): string => `component.kamaji.clastix.io/${secret}`;

/** The user's entries under Kamaji's (Kamaji's win: the selector and the rollout triggers depend on them), sorted. */
function merged(user: Readonly<Record<string, string>> | undefined, kamaji: Readonly<Record<string, string>>) {
  // Keys are unique, so the comparator never sees two equal ones.
  return Object.fromEntries(Object.entries({ ...user, ...kamaji }).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export const selectorLabels = (settings: Settings): Record<string, string> => ({ [nameLabel]: settings.name });

export function deploymentMetadata(settings: Settings): ObjectMeta {
  const additional = settings.deployment.additionalMetadata ?? {};
  return {
    name: settings.name,
    namespace: settings.namespace,
    labels: merged(additional.labels, kamajiLabels(settings.name, "deployment")),
    annotations: merged(additional.annotations, { [apiServerArgsAnnotation]: apiServerArgsChecksum(settings) }),
  };
}

export function podTemplateMetadata(settings: Settings): ObjectMeta {
  const { input } = settings;
  const additional = settings.deployment.podAdditionalMetadata ?? {};
  const checksums = Object.fromEntries(
    [...componentSecrets, ...optionalComponentSecrets].flatMap((secret): [string, string][] => {
      const checksum = input.secretChecksums[secret];
      return checksum === undefined ? [] : [[secretChecksumLabel(secret), checksum]];
    }),
  );
  return {
    labels: merged(additional.labels, {
      ...selectorLabels(settings),
      [componentLabel]: "deployment",
      ...checksums,
      [dataStoreLabel]: input.dataStore.name,
    }),
    annotations: merged(additional.annotations, {
      [storageConfigAnnotation]: input.storageChecksums.config,
      [storageCertificateAnnotation]: input.storageChecksums.certificate,
    }),
  };
}
