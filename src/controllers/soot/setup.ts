// The per-tenant ("soot") controller and its watch: a tenant is reconciled when its TenantControlPlane's spec or the
// access to its API changes.
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";
import { Controller } from "../../runtime/controller.js";
import type { SharedControllerDeps } from "../shared-deps.js";
import { enqueueKeyOf, specOrMetadataChanged } from "../watches.js";
import { SootReconciler, type TenantGuardSettings } from "./reconciler.js";

export interface SootControllerDeps extends SharedControllerDeps {
  readonly workers: number;
  readonly fieldManager: string;
  readonly guard?: TenantGuardSettings;
}

/** Returns the reconciler, whose tenant sessions are to be closed once the manager stops. */
export function setupSootController(deps: SootControllerDeps): SootReconciler {
  const { manager, tenantControlPlanes } = deps;
  const log = deps.log.child({ logger: "soot" });
  const soot = new SootReconciler({
    client: deps.client,
    tenantControlPlanes,
    fieldManager: deps.fieldManager,
    ...(deps.guard === undefined ? {} : { guard: deps.guard }),
    log,
    enqueue: (key) => {
      controller.enqueue(key);
    },
  });
  const controller = new Controller({
    name: "soot",
    workers: deps.workers,
    reconcileTimeoutMs: deps.reconcileTimeoutMs,
    log,
    metrics: deps.metrics,
    // An unreachable tenant is retried from 1 s up to 1 min apart, on its own key: the others go on.
    backoff: { baseMs: 1_000, maxMs: 60_000 },
    reconciler: soot,
  });
  manager.addController(controller);

  const enqueue = enqueueKeyOf(controller);
  tenantControlPlanes.on({
    add: enqueue,
    update: (old, tcp) => {
      if (specOrMetadataChanged(old, tcp) || tenantAccessChanged(old, tcp)) enqueue(tcp);
    },
    delete: enqueue,
  });
  return soot;
}

/** What the per-tenant controller depends on besides the spec: whether the API serves, where, with what keys. */
function tenantAccessChanged(old: TenantControlPlane, now: TenantControlPlane): boolean {
  const a = old.status;
  const b = now.status;
  return (
    a?.kubernetesResources?.version?.status !== b?.kubernetesResources?.version?.status ||
    a?.kubernetesResources?.deployment?.readyReplicas !== b?.kubernetesResources?.deployment?.readyReplicas ||
    a?.controlPlaneEndpoint !== b?.controlPlaneEndpoint ||
    a?.kubeconfig?.admin?.checksum !== b?.kubeconfig?.admin?.checksum
  );
}
