// The kube-controller-manager container: Kamaji's flags, which the user's extra args may override.
import type { Container } from "../../api/k8s-types.js";
import { mergeFlags, parseFlags, renderFlags } from "./args.js";
import { compact } from "./compact.js";
import { componentProbes } from "./probes.js";
import type { Settings } from "./settings.js";
import { certificateMounts, mount, pkiPath, signingCaFile, volumeNames } from "./volumes.js";

const kubeconfig = "/etc/kubernetes/controller-manager.conf";

function controllerManagerArgs(settings: Settings): string[] {
  const defaults = new Map([
    ["--allocate-node-cidrs", "true"],
    ["--authentication-kubeconfig", kubeconfig],
    ["--authorization-kubeconfig", kubeconfig],
    ["--bind-address", "0.0.0.0"],
    ["--client-ca-file", pkiPath("ca.crt")],
    ["--cluster-cidr", settings.podCidrs.join(",")],
    ["--cluster-name", settings.name],
    ["--cluster-signing-cert-file", pkiPath(signingCaFile)],
    ["--cluster-signing-key-file", pkiPath("ca.key")],
    ["--controllers", "*,bootstrapsigner,tokencleaner"],
    ["--kubeconfig", kubeconfig],
    ["--leader-elect", "true"],
    ["--requestheader-client-ca-file", pkiPath("front-proxy-ca.crt")],
    ["--root-ca-file", pkiPath("ca.crt")],
    ["--service-account-private-key-file", pkiPath("sa.key")],
    ["--service-cluster-ip-range", settings.serviceCidrs.join(",")],
    ["--use-service-account-credentials", "true"],
  ]);
  return renderFlags(mergeFlags(defaults, parseFlags(settings.deployment.extraArgs?.controllerManager)));
}

export function controllerManagerContainer(settings: Settings): Container {
  const { deployment } = settings;
  return compact({
    name: "kube-controller-manager",
    image: settings.images.controllerManager,
    imagePullPolicy: settings.imagePullPolicy,
    command: ["kube-controller-manager"],
    args: controllerManagerArgs(settings),
    resources: deployment.resources?.controllerManager,
    volumeMounts: [
      ...(deployment.additionalVolumeMounts?.controllerManager ?? []),
      mount(volumeNames.controllerManagerKubeconfig, "/etc/kubernetes", true),
      ...certificateMounts,
    ],
    ...componentProbes(
      "controllerManager",
      { liveness: "/healthz", readiness: "/healthz", startup: "/healthz" },
      10257,
      deployment.probes,
    ),
    securityContext: deployment.containerSecurityContexts?.controllerManager,
  });
}
