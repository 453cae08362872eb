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

type ProbeKind = "liveness" | "readiness" | "startup";

/**
 * Default timings: kubeadm's tolerance with short periods. Upstream Kamaji probes every 10 s with a 1 s timeout and
 * a 30 s startup budget: an API server up in 3 s waits ~10-20 s for the next probes, and on a busy node (measured:
 * 10 control planes starting at once on 2 cores) the 1 s timeouts and 30 s budget kill every API server before it is
 * up, in a loop that never converges. Here: startup every second with kubeadm's 4 min budget, readiness every 2 s,
 * liveness as kubeadm (8 failures), and kubeadm's 15 s timeout everywhere.
 */
const defaultTimings: Record<ProbeKind, Required<ProbeSpec>> = {
  liveness: { initialDelaySeconds: 0, timeoutSeconds: 15, periodSeconds: 10, successThreshold: 1, failureThreshold: 8 },
  readiness: { initialDelaySeconds: 0, timeoutSeconds: 15, periodSeconds: 2, successThreshold: 1, failureThreshold: 3 },
  startup: { initialDelaySeconds: 0, timeoutSeconds: 15, periodSeconds: 1, successThreshold: 1, failureThreshold: 240 },
};

function httpsProbe(kind: ProbeKind, path: string, port: number, global?: ProbeSpec, own?: ProbeSpec): Probe {
  const timing = (field: keyof ProbeSpec) => own?.[field] ?? global?.[field] ?? defaultTimings[kind][field];
  return {
    httpGet: { path, port, scheme: "HTTPS" },
    initialDelaySeconds: timing("initialDelaySeconds"),
    timeoutSeconds: timing("timeoutSeconds"),
    periodSeconds: timing("periodSeconds"),
    successThreshold: timing("successThreshold"),
    failureThreshold: timing("failureThreshold"),
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
    livenessProbe: httpsProbe("liveness", paths.liveness, port, probes.liveness, own.liveness),
    readinessProbe: httpsProbe("readiness", paths.readiness, port, probes.readiness, own.readiness),
    startupProbe: httpsProbe("startup", paths.startup, port, probes.startup, own.startup),
  };
}
