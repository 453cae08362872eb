// Building blocks of the controllers' watches: which changes to react to, and what to queue.
import type { TenantControlPlane } from "../api/v1alpha1/kinds.js";
import type { Controller } from "../runtime/controller.js";
import { objectKey, type InformerHandlers } from "../runtime/informer.js";
import type { KubeObject } from "../runtime/kube-client.js";

/** Handlers that pass the current object to `handle` on every add, update and delete. */
export function onEveryChange<T>(handle: (object: T) => void): InformerHandlers<T> {
  return {
    add: handle,
    update: (_old, now) => {
      handle(now);
    },
    delete: handle,
  };
}

/** A handler that queues the object's own key on `controller`. */
export function enqueueKeyOf(controller: Controller): (object: KubeObject) => void {
  return (object) => {
    controller.enqueue(objectKey(object.metadata));
  };
}

export function specOrMetadataChanged(old: TenantControlPlane, now: TenantControlPlane): boolean {
  const a = old.metadata;
  const b = now.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.annotations) !== JSON.stringify(b.annotations) ||
    JSON.stringify(a.labels) !== JSON.stringify(b.labels) ||
    JSON.stringify(a.finalizers) !== JSON.stringify(b.finalizers)
  );
}
