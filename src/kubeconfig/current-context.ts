import type { Kubeconfig, KubeconfigCluster, KubeconfigContext, KubeconfigUser } from "./kubeconfig.js";
import { KubeconfigError } from "./errors.js";

export interface ResolvedContext {
  readonly context: KubeconfigContext;
  readonly cluster: KubeconfigCluster;
  readonly user: KubeconfigUser;
}

/** The current context with the cluster and user it names (what a client would connect with). */
export function resolveCurrentContext(config: Kubeconfig): ResolvedContext {
  const context = config.contexts.find((candidate) => candidate.name === config.currentContext);
  if (context === undefined) {
    throw new KubeconfigError(`kubeconfig: current-context "${config.currentContext}" names no entry in contexts`);
  }
  const cluster = config.clusters.find((candidate) => candidate.name === context.cluster);
  if (cluster === undefined) {
    throw new KubeconfigError(`kubeconfig: context "${context.name}" names the unknown cluster "${context.cluster}"`);
  }
  const user = config.users.find((candidate) => candidate.name === context.user);
  if (user === undefined) {
    throw new KubeconfigError(`kubeconfig: context "${context.name}" names the unknown user "${context.user}"`);
  }
  return { context, cluster, user };
}
