// The builder input for the Deployment dry-run: what the reconciler would resolve, recovered from the stored
// Deployment and the TenantControlPlane's status, since the webhook has no datastore connection or Secrets.
import { drivers, type Driver } from "../../api/v1alpha1/datastore.js";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import {
  componentSecrets,
  optionalComponentSecrets,
  secretChecksumLabel,
  type ControlPlaneDeploymentInput,
  type Deployment,
  type DeploymentDataStore,
  type SecretChecksums,
} from "../../resources/deployment/index.js";

/** Any non-empty image passes validation; used when no kine container is stored to copy it from. */
const placeholderKineImage = "kine";

const isDriver = (value: string | undefined): value is Driver => drivers.some((driver) => driver === value);

const containerOf = (deployment: Deployment | undefined, name: string, init = false) => {
  const spec = deployment?.spec?.template.spec;
  return (init ? spec?.initContainers : spec?.containers)?.find((container) => container.name === name);
};

/** `host` of status.controlPlaneEndpoint (`host:port`, IPv6 in brackets). */
const hostOf = (endpoint: string): string => endpoint.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");

/**
 * Kine's TLS decides whether the `chmod` init container exists, so it is read from the stored Deployment (the
 * reconciler takes it from the DataStore's connection); no stored Deployment: no TLS assumed.
 */
function kineTls(existing: Deployment | undefined): DeploymentDataStore["tls"] {
  if (containerOf(existing, "chmod", true) === undefined) return undefined;
  const kineArgs = containerOf(existing, "kine")?.args ?? [];
  return { clientCertificate: kineArgs.some((arg) => arg.startsWith("--cert-file=")) };
}

/**
 * The API server validates which containers, init containers, volumes and mounts the pod has (names, mount
 * paths, references), not flag values, label or annotation values, or image names. So the inputs that shape the
 * pod are exact: the driver from status.storage, kine's TLS from the stored Deployment, the rest from the spec.
 * The others take the stored or status value when there is one, else a placeholder that is valid wherever it
 * lands (an empty label value, no etcd endpoints in the args). Undefined when the TenantControlPlane was never
 * reconciled as far as its datastore: the operator could not build the Deployment either, so there is nothing
 * to check against.
 */
export function dryRunDeploymentInput(
  tcp: TenantControlPlane,
  existing: Deployment | undefined,
): ControlPlaneDeploymentInput | undefined {
  const storage = tcp.status?.storage;
  const driver = storage?.driver;
  if (!isDriver(driver)) return undefined;
  const podLabels = existing?.spec?.template.metadata?.labels ?? {};
  const secretChecksums = Object.fromEntries([
    ...componentSecrets.map((secret) => [secret, podLabels[secretChecksumLabel(secret)] ?? ""]),
    ...optionalComponentSecrets.flatMap((secret) => {
      const checksum = podLabels[secretChecksumLabel(secret)];
      return checksum === undefined ? [] : [[secret, checksum]];
    }),
  ]) as SecretChecksums;
  const tls = driver === "etcd" ? undefined : kineTls(existing);
  return {
    tenantControlPlane: tcp,
    secretChecksums,
    dataStore: {
      name: storage?.dataStoreName ?? tcp.spec.dataStore ?? "",
      driver,
      endpoints: [],
      ...(tls === undefined ? {} : { tls }),
    },
    storageSchema: storage?.setup?.schema ?? "",
    storageChecksums: { config: storage?.config?.checksum ?? "", certificate: storage?.certificate?.checksum ?? "" },
    address: hostOf(tcp.status?.controlPlaneEndpoint ?? ""),
    kineImage: containerOf(existing, "kine")?.image ?? placeholderKineImage,
    ...(existing === undefined ? {} : { existing }),
  };
}
