// The kine sidecar (etcd API over MySQL, PostgreSQL or NATS), its TLS init container and volumes.
import type { Container, Volume } from "../../api/k8s-types.js";
import type { Driver } from "../../api/v1alpha1/datastore.js";
import { mergeFlags, parseFlags, renderFlags } from "./args.js";
import { compact } from "./compact.js";
import type { Settings } from "./settings.js";
import { memoryVolume, mount, secretVolume, volumeNames } from "./volumes.js";

const udsDir = "/uds";
const certsDir = "/certs";
/** kube-apiserver reaches kine over this Unix socket (`--etcd-servers`). */
export const kineEtcdServers = `unix://${udsDir}/kine`;
export const kineUdsMount = mount(volumeNames.kineUds, udsDir);
const kineCertsMount = mount(volumeNames.kineCerts, certsDir);

/**
 * kine's --endpoint for `driver`, with $(VAR) references the kubelet expands from the container's environment: the
 * datastore-config Secret's keys, each name after `prefix` (the migration's kine sidecars use SOURCE_ and TARGET_).
 */
export function kineEndpointTemplate(driver: Exclude<Driver, "etcd">, prefix = ""): string {
  const v = (name: string) => `$(${prefix}${name})`;
  const credentials = `${v("DB_USER")}:${v("DB_PASSWORD")}`;
  switch (driver) {
    case "MySQL":
      return `mysql://${credentials}@tcp(${v("DB_CONNECTION_STRING")})/${v("DB_SCHEMA")}`;
    case "PostgreSQL":
      return `postgres://${credentials}@${v("DB_CONNECTION_STRING")}/${v("DB_SCHEMA")}`;
    case "NATS":
      return `nats://${credentials}@${v("DB_CONNECTION_STRING")}?bucket=${v("DB_SCHEMA")}&noEmbed`;
  }
}

function kineArgs(settings: Settings, driver: Exclude<Driver, "etcd">): string[] {
  const { tls } = settings.input.dataStore;
  const defaults = new Map([["--listen-address", kineEtcdServers]]);
  if (tls) {
    defaults.set("--ca-file", `${certsDir}/ca.crt`);
    if (tls.clientCertificate) {
      defaults.set("--cert-file", `${certsDir}/server.crt`);
      defaults.set("--key-file", `${certsDir}/server.key`);
    }
  }
  const user = parseFlags(settings.deployment.extraArgs?.kine);
  return renderFlags(mergeFlags(defaults, user, new Map([["--endpoint", kineEndpointTemplate(driver)]])));
}

function kineContainer(settings: Settings, driver: Exclude<Driver, "etcd">): Container {
  const { deployment } = settings;
  return compact({
    name: "kine",
    image: settings.input.kineImage,
    imagePullPolicy: settings.imagePullPolicy,
    command: ["/bin/kine"],
    args: kineArgs(settings, driver),
    env: [{ name: "GODEBUG", value: "x509ignoreCN=0" }],
    envFrom: [{ secretRef: { name: settings.names.dataStoreConfig } }],
    ports: [{ name: "server", containerPort: 2379, protocol: "TCP" }],
    resources: deployment.resources?.kine,
    volumeMounts: [kineCertsMount, kineUdsMount],
    securityContext: deployment.containerSecurityContexts?.kine,
  });
}

/** Copies the datastore certificates with the 0600 mode PostgreSQL insists on for a private key. */
function chmodContainer(settings: Settings): Container {
  return compact({
    name: "chmod",
    image: settings.input.kineImage,
    imagePullPolicy: settings.imagePullPolicy,
    command: ["sh"],
    args: ["-c", `cp /kine/*.* ${certsDir} && chmod -R 600 ${certsDir}/*.*`],
    volumeMounts: [mount(volumeNames.kineConfig, "/kine", true), kineCertsMount],
    securityContext: settings.deployment.containerSecurityContexts?.kineInit,
  });
}

export interface KinePart {
  readonly initContainers: Container[];
  readonly containers: Container[];
  readonly volumes: Volume[];
}

/** Nothing for etcd; otherwise the sidecar, the init container when TLS is on, and their volumes. */
export function kinePart(settings: Settings): KinePart {
  const { driver, tls } = settings.input.dataStore;
  if (driver === "etcd") return { initContainers: [], containers: [], volumes: [] };
  return {
    initContainers: tls ? [chmodContainer(settings)] : [],
    containers: [kineContainer(settings, driver)],
    volumes: [
      memoryVolume(volumeNames.kineUds),
      secretVolume(volumeNames.kineConfig, settings.names.dataStoreCertificate),
      { name: volumeNames.kineCerts, emptyDir: {} },
    ],
  };
}
