// Builds the control-plane Deployment of a TenantControlPlane (reference §4) as a plain object for server-side
// apply. Pure: the same input gives the same object, so re-applying it only rolls the pods when something changed.
import type { TopologySpreadConstraint } from "../../api/k8s-types.js";
import { apiServerContainer } from "./api-server.js";
import { compact } from "./compact.js";
import { controllerManagerContainer } from "./controller-manager.js";
import type { ControlPlaneDeploymentInput, Deployment } from "./input.js";
import { kinePart } from "./kine.js";
import { konnectivityPart } from "./konnectivity.js";
import { deploymentMetadata, podTemplateMetadata, selectorLabels } from "./metadata.js";
import { schedulerContainer } from "./scheduler.js";
import { resolveSettings, type DeploymentSpec, type Settings } from "./settings.js";
import { coreVolumes } from "./volumes.js";

type Strategy = NonNullable<NonNullable<Deployment["spec"]>["strategy"]>;

/** Blue/green by default: the new pods are all up before an old one goes, so versions never mix. */
function strategy({ strategy: wanted }: DeploymentSpec): Strategy {
  if (wanted?.type === "Recreate") return { type: "Recreate" };
  const rollingUpdate = wanted?.rollingUpdate ?? { maxUnavailable: 0, maxSurge: "100%" };
  return { type: "RollingUpdate", rollingUpdate };
}

/** A constraint without a labelSelector spreads this tenant's pods. */
const topologySpreadConstraints = (settings: Settings): TopologySpreadConstraint[] | undefined =>
  settings.deployment.topologySpreadConstraints?.map((constraint) => ({
    ...constraint,
    labelSelector: constraint.labelSelector ?? { matchLabels: selectorLabels(settings) },
  }));

export function buildControlPlaneDeployment(input: ControlPlaneDeploymentInput): Deployment {
  const settings = resolveSettings(input);
  const { deployment } = settings;
  const kine = kinePart(settings);
  const konnectivity = konnectivityPart(settings);
  const initContainers = [...(deployment.additionalInitContainers ?? []), ...kine.initContainers];
  const built: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: deploymentMetadata(settings),
    spec: {
      replicas: settings.replicas,
      selector: { matchLabels: selectorLabels(settings) },
      strategy: strategy(deployment),
      template: {
        metadata: podTemplateMetadata(settings),
        spec: compact({
          initContainers: initContainers.length > 0 ? initContainers : undefined,
          containers: [
            ...(deployment.additionalContainers ?? []),
            apiServerContainer(settings),
            schedulerContainer(settings),
            controllerManagerContainer(settings),
            ...kine.containers,
            ...konnectivity.containers,
          ],
          volumes: [
            ...(deployment.additionalVolumes ?? []),
            ...coreVolumes(settings),
            ...kine.volumes,
            ...konnectivity.volumes,
          ],
          nodeSelector: deployment.nodeSelector,
          runtimeClassName: deployment.runtimeClassName || undefined,
          tolerations: deployment.tolerations,
          affinity: deployment.affinity,
          topologySpreadConstraints: topologySpreadConstraints(settings),
          serviceAccountName: deployment.serviceAccountName || "default",
          automountServiceAccountToken: deployment.automountServiceAccountToken,
          securityContext: deployment.podSecurityContext,
        }),
      },
    },
  };
  // The user's objects are copied in by reference above: detach them so the caller may mutate either side.
  return structuredClone(built);
}
