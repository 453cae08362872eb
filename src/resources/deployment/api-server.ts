// The kube-apiserver container: managed flags, safe defaults, the user's extras and flags found on the stored container.
import type { Container } from "../../api/k8s-types.js";
import { argsChecksum, flagName, mergeApiServerFlags } from "./args.js";
import { compact } from "./compact.js";
import { kineEtcdServers, kineUdsMount } from "./kine.js";
import { egressSelectorConfigFile, konnectivityApiServerMounts } from "./konnectivity.js";
import { componentProbes } from "./probes.js";
import type { Settings } from "./settings.js";
import { certificateMounts, pkiPath } from "./volumes.js";

const apiServerContainerName = "kube-apiserver";
/** Deployment annotation: checksum of the user's apiserver extra args; a change resets the args. */
export const apiServerArgsAnnotation = "kube-apiserver.kamaji.clastix.io/args";

/** Flags Kamaji sets only in some configurations; a stale copy on the stored container must go too. */
const conditionalFlags: ReadonlySet<string> = new Set([
  "--authorization-mode",
  "--etcd-servers",
  "--etcd-prefix",
  "--etcd-compaction-interval",
  "--etcd-cafile",
  "--etcd-certfile",
  "--etcd-keyfile",
  "--etcd-servers-overrides",
  "--egress-selector-config-file",
  "--feature-gates",
]);

/**
 * On a shared etcd the tenant's API server does not compact (the datastore compacts itself), so it never learns of
 * compactions; from v1.34 its watch cache serves paginated lists from snapshots it trims only on its own compactions,
 * and a continue token then never expires (conformance: "should support continue listing from the last key if the
 * original version has been compacted away"). Without the snapshots, such lists go to etcd and expire as they must.
 */
const listFromCacheSnapshotMinors: ReadonlySet<number> = new Set([34]);

const userArgs = (settings: Settings): readonly string[] => settings.deployment.extraArgs?.apiServer ?? [];

export const apiServerArgsChecksum = (settings: Settings): string => argsChecksum(userArgs(settings));

/** How long a stopping API server keeps serving; well within the pod's 30 s termination grace period. */
export const shutdownDelay = "10s";

function safeDefaults(settings: Settings): Map<string, string> {
  const flags = new Map([
    ["--allow-privileged", "true"],
    ["--enable-bootstrap-token-auth", "true"],
    ["--requestheader-extra-headers-prefix", "X-Remote-Extra-"],
    ["--requestheader-group-headers", "X-Remote-Group"],
    ["--requestheader-username-headers", "X-Remote-User"],
    ["--service-account-issuer", "https://kubernetes.default.svc.cluster.local"],
    // A replaced pod keeps serving while the Service stops sending it connections (kube-proxy on every node of the
    // management cluster must see the endpoint go): without it, a rollout refuses or cuts clients' requests.
    ["--shutdown-delay-duration", shutdownDelay],
    // Every replica advertises the same address; the per-tenant controller keeps the `kubernetes` Service's
    // endpoints (see resources/tenant/kubernetes-endpoints.ts).
    ["--endpoint-reconciler-type", "none"],
  ]);
  if (!settings.usesKine && listFromCacheSnapshotMinors.has(settings.kubernetesMinor)) {
    flags.set("--feature-gates", "ListFromCacheSnapshot=false");
  }
  // The apiserver refuses --authorization-mode together with --authorization-config.
  if (!userArgs(settings).some((arg) => flagName(arg) === "--authorization-config")) {
    flags.set("--authorization-mode", "Node,RBAC");
  }
  return flags;
}

const httpsEndpoints = (endpoints: readonly string[], separator: string) =>
  endpoints.map((endpoint) => `https://${endpoint}`).join(separator);

function managedFlags(settings: Settings): Map<string, string> {
  const { input } = settings;
  const flags = new Map([
    ["--advertise-address", settings.advertiseAddress],
    ["--client-ca-file", pkiPath("ca.crt")],
    ["--enable-admission-plugins", settings.admissionControllers.join(",")],
    ["--kubelet-client-certificate", pkiPath("apiserver-kubelet-client.crt")],
    ["--kubelet-client-key", pkiPath("apiserver-kubelet-client.key")],
    ["--kubelet-preferred-address-types", settings.preferredAddressTypes.join(",")],
    ["--proxy-client-cert-file", pkiPath("front-proxy-client.crt")],
    ["--proxy-client-key-file", pkiPath("front-proxy-client.key")],
    ["--requestheader-allowed-names", "front-proxy-client"],
    ["--requestheader-client-ca-file", pkiPath("front-proxy-ca.crt")],
    ["--secure-port", String(settings.port)],
    ["--service-account-key-file", pkiPath("sa.pub")],
    ["--service-account-signing-key-file", pkiPath("sa.key")],
    ["--service-cluster-ip-range", settings.serviceCidrs.join(",")],
    ["--tls-cert-file", pkiPath("apiserver.crt")],
    ["--tls-private-key-file", pkiPath("apiserver.key")],
  ]);
  if (settings.usesKine) {
    flags.set("--etcd-servers", kineEtcdServers);
  } else {
    flags.set("--etcd-servers", httpsEndpoints(input.dataStore.endpoints, ","));
    flags.set("--etcd-prefix", `/${input.storageSchema}`);
    flags.set("--etcd-compaction-interval", "0");
    flags.set("--etcd-cafile", pkiPath("etcd/ca.crt"));
    flags.set("--etcd-certfile", pkiPath("etcd/server.crt"));
    flags.set("--etcd-keyfile", pkiPath("etcd/server.key"));
  }
  const overrides = input.dataStoreOverrides ?? [];
  if (overrides.length > 0) {
    const value = overrides.map((o) => `${o.resource}#${httpsEndpoints(o.endpoints, ";")}`).join(",");
    flags.set("--etcd-servers-overrides", value);
  }
  if (settings.konnectivity) flags.set("--egress-selector-config-file", egressSelectorConfigFile);
  return flags;
}

/** The stored container's args, or none when the user's extra args changed since they were written. */
function currentArgs(settings: Settings): readonly string[] {
  const existing = settings.input.existing;
  if (existing?.metadata?.annotations?.[apiServerArgsAnnotation] !== apiServerArgsChecksum(settings)) return [];
  const container = existing.spec?.template.spec?.containers.find((c) => c.name === apiServerContainerName);
  return container?.args ?? [];
}

function apiServerArgs(settings: Settings): string[] {
  return mergeApiServerFlags({
    current: currentArgs(settings),
    user: userArgs(settings),
    safeDefaults: safeDefaults(settings),
    managed: managedFlags(settings),
    kamajiOnly: conditionalFlags,
  });
}

export function apiServerContainer(settings: Settings): Container {
  const { deployment } = settings;
  return compact({
    name: apiServerContainerName,
    image: settings.images.apiServer,
    imagePullPolicy: settings.imagePullPolicy,
    command: ["kube-apiserver"],
    args: apiServerArgs(settings),
    resources: deployment.resources?.apiServer,
    volumeMounts: [
      ...(deployment.additionalVolumeMounts?.apiServer ?? []),
      ...(settings.usesKine ? [kineUdsMount] : []),
      ...certificateMounts,
      ...(settings.konnectivity ? konnectivityApiServerMounts : []),
    ],
    ...componentProbes(
      "apiServer",
      { liveness: "/livez", readiness: "/readyz", startup: "/livez" },
      settings.port,
      deployment.probes,
    ),
    securityContext: deployment.containerSecurityContexts?.apiServer,
  });
}
