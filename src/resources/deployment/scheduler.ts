// The kube-scheduler container: the user's extra args, then the flags it cannot run without.
import type { Container } from "../../api/k8s-types.js";
import { mergeFlags, parseFlags, renderFlags } from "./args.js";
import { compact } from "./compact.js";
import { componentProbes } from "./probes.js";
import type { Settings } from "./settings.js";
import { mount, volumeNames } from "./volumes.js";

const kubeconfig = "/etc/kubernetes/scheduler.conf";

function schedulerArgs(settings: Settings): string[] {
  const forced = new Map([
    ["--authentication-kubeconfig", kubeconfig],
    ["--authorization-kubeconfig", kubeconfig],
    ["--bind-address", "0.0.0.0"],
    ["--kubeconfig", kubeconfig],
    ["--leader-elect", "true"],
  ]);
  return renderFlags(mergeFlags(parseFlags(settings.deployment.extraArgs?.scheduler), forced));
}

export function schedulerContainer(settings: Settings): Container {
  const { deployment } = settings;
  return compact({
    name: "kube-scheduler",
    image: settings.images.scheduler,
    imagePullPolicy: settings.imagePullPolicy,
    command: ["kube-scheduler"],
    args: schedulerArgs(settings),
    resources: deployment.resources?.scheduler,
    volumeMounts: [
      ...(deployment.additionalVolumeMounts?.scheduler ?? []),
      mount(volumeNames.schedulerKubeconfig, "/etc/kubernetes", true),
    ],
    ...componentProbes(
      "scheduler",
      { liveness: "/healthz", readiness: "/healthz", startup: "/healthz" },
      10259,
      deployment.probes,
    ),
    securityContext: deployment.containerSecurityContexts?.scheduler,
  });
}
