// Pipeline step `upgrade` (reference §2 step 2): the version asked for must be one the control plane can move to
// from the version it runs (status), by kubeadm's rule: the same minor (any patch) or the next one. The webhook
// checks spec against spec; this catches what got past it (no webhook, an edit of the status, a stale object).
// When the rule fails nothing after this step runs, so the Deployment keeps the version that serves.
import { parseKubernetesVersion, upgradeRuleViolation } from "../../api/v1alpha1/versions.js";
import type { PipelineStep } from "./context.js";
import { ReconcileProblem } from "./problem.js";

/** Why `installed` cannot be upgraded to `desired`, or undefined when it can (or nothing is installed yet). */
export function upgradePlanProblem(installed: string | undefined, desired: string): string | undefined {
  if (installed === undefined || installed === "" || installed === desired) return undefined;
  let violation: ReturnType<typeof upgradeRuleViolation>;
  try {
    violation = upgradeRuleViolation(parseKubernetesVersion(installed), parseKubernetesVersion(desired));
  } catch (error) {
    return `cannot compare the running version ${installed} with spec.kubernetes.version ${desired}: ${(error as Error).message}`;
  }
  if (violation === undefined) return undefined;
  const why = violation === "downgrade" ? "a downgrade" : "more than one minor at once";
  return (
    `the required upgrade plan is not available: the control plane runs ${installed} and ` +
    `spec.kubernetes.version asks for ${desired}, ${why}; set a version of the same or the next minor`
  );
}

export const upgradeStep: PipelineStep = {
  name: "upgrade",
  run(context) {
    const installed = context.status.kubernetesResources?.version?.version;
    const problem = upgradePlanProblem(installed, context.tcp.spec.kubernetes.version);
    return problem === undefined
      ? Promise.resolve()
      : Promise.reject(new ReconcileProblem("UpgradeNotAvailable", problem));
  },
};
