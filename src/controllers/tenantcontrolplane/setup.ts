// The TenantControlPlane controller and its watches: the TCPs, the objects they own, their control-plane pods.
import { nameLabel, projectLabel } from "../../resources/labels.js";
import { Controller } from "../../runtime/controller.js";
import { Informer } from "../../runtime/informer.js";
import type { KubeObject } from "../../runtime/kube-client.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import type { SharedControllerDeps } from "../shared-deps.js";
import { enqueueKeyOf, onEveryChange, specOrMetadataChanged } from "../watches.js";
import { TenantControlPlaneReconciler, type TenantControlPlaneReconcilerDeps } from "./reconciler.js";

export interface TenantControlPlaneControllerDeps
  extends SharedControllerDeps, Pick<TenantControlPlaneReconcilerDeps, "options" | "observeStep" | "certificates"> {
  readonly workers: number;
}

export function setupTenantControlPlaneController(deps: TenantControlPlaneControllerDeps): Controller {
  const { manager, client, log, tenantControlPlanes } = deps;
  const controller = new Controller({
    name: "tenantcontrolplane",
    workers: deps.workers,
    reconcileTimeoutMs: deps.reconcileTimeoutMs,
    log,
    metrics: deps.metrics,
    reconciler: new TenantControlPlaneReconciler({
      client,
      events: deps.events,
      connections: deps.connections,
      dataStores: deps.dataStores,
      options: deps.options,
      observeStep: deps.observeStep,
      certificates: deps.certificates,
    }),
  });
  manager.addController(controller);

  const enqueue = enqueueKeyOf(controller);
  tenantControlPlanes.on({
    add: enqueue,
    update: (old, tcp) => {
      // Status-only changes are this controller's own writes; reacting to them would only loop. The bootstrap token
      // is the exception: the per-tenant controller's bootstrap is what turns a new tenant Ready.
      if (
        specOrMetadataChanged(old, tcp) ||
        old.status?.kubeadmPhase?.bootstrapToken.checksum !== tcp.status?.kubeadmPhase?.bootstrapToken.checksum
      ) {
        enqueue(tcp);
      }
    },
    // A tenant nobody touches is still looked at now and then (its certificates also schedule their own renewal).
    resync: enqueue,
  });

  const enqueueOwner = (object: KubeObject) => {
    const owner = object.metadata.ownerReferences?.find(
      (ref) => ref.controller === true && ref.kind === "TenantControlPlane",
    );
    if (owner !== undefined && object.metadata.namespace !== undefined) {
      controller.enqueue(`${object.metadata.namespace}/${owner.name}`);
    }
  };
  const informerLog = log.child({ logger: "informer" });
  for (const type of [resourceTypes.deployment, resourceTypes.service, resourceTypes.configMap]) {
    manager
      .addInformer(
        new Informer<KubeObject>(client, type, informerLog, {
          labelSelector: `${projectLabel}=kamaji`,
          metadataOnly: true,
        }),
      )
      .on(onEveryChange(enqueueOwner));
  }
  deps.secrets.on(onEveryChange(enqueueOwner));

  // Control-plane pods (labelled with their TCP's name): their states feed the Ready condition's diagnosis.
  const enqueuePodOwner = (pod: KubeObject) => {
    const tcp = pod.metadata.labels?.[nameLabel];
    if (tcp !== undefined && pod.metadata.namespace !== undefined)
      controller.enqueue(`${pod.metadata.namespace}/${tcp}`);
  };
  manager
    .addInformer(
      new Informer<KubeObject>(client, resourceTypes.pod, informerLog, {
        labelSelector: nameLabel,
        metadataOnly: true,
      }),
    )
    .on(onEveryChange(enqueuePodOwner));

  return controller;
}
