// Health probes of the control-plane containers: fixed endpoints, timings from spec.controlPlane.deployment.probes.
import type { V1Probe } from "@kubernetes/client-node";
import type { Json } from "../../api/k8s-types.js";
import type { DeploymentSpec } from "./settings.js";

type Probe = Json<V1Probe>;
type ControlPlaneProbes = NonNullable<DeploymentSpec["probes"]>;
type ProbeSpec = NonNullable<ControlPlaneProbes["liveness"]>;
type Component = "apiServer" | "controllerManager" | "scheduler";

interface ContainerProbes {
  livenessProbe: Probe;
  readinessProbe: Probe;
  startupProbe: Probe;
}

function httpsProbe(path: string, port: number, global?: ProbeSpec, own?: ProbeSpec): Probe {
  const timing = (field: keyof ProbeSpec, fallback: number) => own?.[field] ?? global?.[field] ?? fallback;
  return {
    httpGet: { path, port, scheme: "HTTPS" },
    initialDelaySeconds: timing("initialDelaySeconds", 0),
    timeoutSeconds: timing("timeoutSeconds", 1),
    periodSeconds: timing("periodSeconds", 10),
    successThreshold: timing("successThreshold", 1),
    failureThreshold: timing("failureThreshold", 3),
  };
}

/** The three HTTPS probes of a component: defaults, then the global values, then the component's own. */
export function componentProbes(
  component: Component,
  paths: { liveness: string; readiness: string; startup: string },
  port: number,
  probes: ControlPlaneProbes = {},
): ContainerProbes {
  const own = probes[component] ?? {};
  return {
    livenessProbe: httpsProbe(paths.liveness, port, probes.liveness, own.liveness),
    readinessProbe: httpsProbe(paths.readiness, port, probes.readiness, own.readiness),
    startupProbe: httpsProbe(paths.startup, port, probes.startup, own.startup),
  };
}
