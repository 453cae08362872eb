// Deployment rule (update only): when the user's containers, init containers, volumes or volume mounts change, the
// Deployment the operator would apply must pass the API server's validation. It is dry-run to find out.
import { isDeepStrictEqual } from "node:util";
import { apiVersion, type TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { buildControlPlaneDeployment, type Deployment } from "../../resources/deployment/index.js";
import { AdmissionDenied } from "../admission-denied.js";
import { dryRunDeploymentInput } from "./deployment-input.js";

/** What the rule asks of the management cluster. */
export interface DeploymentDryRun {
  /** The stored Deployment, undefined when there is none. */
  deployment(namespace: string, name: string): Promise<Deployment | undefined>;
  /**
   * Server-side applies `deployment` with `dryRun=All` as the operator's field manager (creating it when absent):
   * the API server's reason to reject the result, or undefined when it accepts it.
   */
  dryRunDeployment(deployment: Deployment): Promise<string | undefined>;
}

/** The fields of spec.controlPlane.deployment the user adds to the pod, whose change triggers the dry-run. */
const deploymentAdditions = [
  "additionalInitContainers",
  "additionalContainers",
  "additionalVolumes",
  "additionalVolumeMounts",
] as const;
export type DeploymentAddition = (typeof deploymentAdditions)[number];

const isEmpty = (value: object | undefined): boolean => value === undefined || Object.keys(value).length === 0;

/** The additions that differ between the stored and the new object; absent and empty count as the same. */
export function changedDeploymentAdditions(old: TenantControlPlane, tcp: TenantControlPlane): DeploymentAddition[] {
  const before = old.spec.controlPlane.deployment ?? {};
  const after = tcp.spec.controlPlane.deployment ?? {};
  return deploymentAdditions.filter((field) => {
    const [a, b] = [before[field], after[field]];
    return !(isEmpty(a) && isEmpty(b)) && !isDeepStrictEqual(a, b);
  });
}

export const deploymentConfigurationError = (reason: string): AdmissionDenied =>
  new AdmissionDenied(
    `the resulting Deployment will generate a configuration error, cannot proceed: ${reason}`,
    "spec.controlPlane.deployment",
  );

/**
 * The built Deployment with the controller reference the operator adds when it applies it (see applyOwned).
 * Without it the dry-run would drop the stored one, which admission may refuse (OwnerReferencesPermissionEnforcement
 * wants the delete verb for that, which the operator does not have).
 */
function withOwner(deployment: Deployment, tcp: TenantControlPlane, name: string): Deployment {
  const owner = { apiVersion, kind: "TenantControlPlane", name, uid: tcp.metadata.uid ?? "" };
  const ownerReferences = [{ ...owner, controller: true, blockOwnerDeletion: true }];
  return { ...deployment, metadata: { ...deployment.metadata, ownerReferences } };
}

/**
 * Dry-runs the Deployment built for the new spec onto the stored one. Skipped (allowed) when the additions did
 * not change, or when the TenantControlPlane was never reconciled far enough to build it (see
 * dryRunDeploymentInput).
 */
export async function validateDeploymentOnUpdate(
  old: TenantControlPlane,
  tcp: TenantControlPlane,
  cluster: DeploymentDryRun,
): Promise<AdmissionDenied | undefined> {
  if (changedDeploymentAdditions(old, tcp).length === 0) return undefined;
  const { name, namespace } = tcp.metadata;
  if (!name || !namespace) throw new Error("the Deployment dry-run needs the TenantControlPlane's name and namespace");
  const input = dryRunDeploymentInput(tcp, await cluster.deployment(namespace, name));
  if (input === undefined) return undefined;
  const rejection = await cluster.dryRunDeployment(withOwner(buildControlPlaneDeployment(input), tcp, name));
  return rejection === undefined ? undefined : deploymentConfigurationError(rejection);
}
