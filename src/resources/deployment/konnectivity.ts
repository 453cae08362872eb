// The konnectivity-server sidecar (addons.konnectivity): its container, volumes and the apiserver's mounts.
import { dirname } from "node:path";
import type { Container, Volume } from "../../api/k8s-types.js";
import { mergeFlags, parseFlags, renderFlags } from "./args.js";
import { konnectivitySocket } from "../konnectivity-egress.js";
import { compact } from "./compact.js";
import type { KonnectivityServerSpec, Settings } from "./settings.js";
import { defaultMode, memoryVolume, mount, pkiDir, pkiPath, secretVolume, volumeNames } from "./volumes.js";

const udsDir = dirname(konnectivitySocket);
const egressSelectorDir = "/etc/kubernetes/konnectivity/configurations";
const kubeconfigFile = "konnectivity-server.conf";
const adminPort = 8133;
const healthPort = 8134;

/** The kube-apiserver `--egress-selector-config-file`, from the egress-selector ConfigMap. */
export const egressSelectorConfigFile = `${egressSelectorDir}/egress-selector-configuration.yaml`;

export const konnectivityApiServerMounts = [
  mount(volumeNames.konnectivityUds, udsDir),
  mount(volumeNames.egressSelectorConfiguration, egressSelectorDir),
] as const;

function serverArgs(server: KonnectivityServerSpec, replicas: number): string[] {
  const forced = new Map([
    ["--uds-name", konnectivitySocket],
    ["--cluster-cert", pkiPath("apiserver.crt")],
    ["--cluster-key", pkiPath("apiserver.key")],
    ["--mode", "grpc"],
    ["--server-port", "0"],
    ["--agent-port", String(server.port)],
    ["--admin-port", String(adminPort)],
    ["--health-port", String(healthPort)],
    ["--agent-namespace", "kube-system"],
    ["--agent-service-account", "konnectivity-agent"],
    ["--kubeconfig", `/etc/kubernetes/${kubeconfigFile}`],
    ["--authentication-audience", "system:konnectivity-server"],
    ["--server-count", String(replicas)],
  ]);
  return renderFlags(mergeFlags(parseFlags(server.extraArgs), forced));
}

function serverContainer(settings: Settings, server: KonnectivityServerSpec, image: string): Container {
  return compact({
    name: "konnectivity-server",
    image,
    imagePullPolicy: settings.imagePullPolicy,
    command: ["/proxy-server"],
    args: serverArgs(server, settings.replicas),
    ports: [
      { name: "agentport", containerPort: server.port, protocol: "TCP" },
      { name: "adminport", containerPort: adminPort, protocol: "TCP" },
      { name: "healthport", containerPort: healthPort, protocol: "TCP" },
    ],
    resources: server.resources,
    volumeMounts: [
      mount(volumeNames.pki, pkiDir, true),
      {
        ...mount(volumeNames.konnectivityServerKubeconfig, `/etc/kubernetes/${kubeconfigFile}`, true),
        subPath: kubeconfigFile,
      },
      mount(volumeNames.konnectivityUds, udsDir),
    ],
    livenessProbe: {
      httpGet: { path: "/healthz", port: healthPort, scheme: "HTTP" },
      initialDelaySeconds: 30,
      timeoutSeconds: 60,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    },
    securityContext: server.securityContext,
  });
}

export interface KonnectivityPart {
  readonly containers: Container[];
  readonly volumes: Volume[];
}

/** Nothing without the addon; otherwise the server sidecar and the volumes it and the apiserver mount. */
export function konnectivityPart(settings: Settings): KonnectivityPart {
  if (!settings.konnectivity) return { containers: [], volumes: [] };
  const { server, image } = settings.konnectivity;
  return {
    containers: [serverContainer(settings, server, image)],
    volumes: [
      memoryVolume(volumeNames.konnectivityUds),
      {
        name: volumeNames.egressSelectorConfiguration,
        configMap: { name: settings.names.konnectivityEgressSelector, defaultMode },
      },
      secretVolume(volumeNames.konnectivityServerKubeconfig, settings.names.konnectivityKubeconfig),
    ],
  };
}
