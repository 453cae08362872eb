// Objects only some specs want (the konnectivity addon's now; ingress and gateway later). A step whose spec part is
// gone names its objects instead of applying them, and the pipeline's last step removes those this TenantControlPlane
// controls: after the Deployment step, so the pods that mount them are already being replaced by pods that do not.
import type { KubeObject } from "../../runtime/kube-client.js";
import type { ResourceType } from "../../runtime/resource-types.js";
import type { PipelineContext, PipelineStep } from "./context.js";

export interface OptionalObject {
  readonly type: ResourceType;
  readonly name: (context: PipelineContext) => string;
}

export interface OptionalStep extends PipelineStep {
  /** Whether the spec wants this step's objects. */
  wanted(context: PipelineContext): boolean;
  /** What the step would have applied: removed when the spec no longer wants them. */
  readonly objects: readonly OptionalObject[];
  /** Status bookkeeping when not wanted (e.g. the addon recorded as disabled). */
  whenUnwanted?(context: PipelineContext): void;
}

/** Runs the step when its objects are wanted; otherwise marks them for removal. */
export function optionalStep(step: OptionalStep): PipelineStep {
  return {
    name: step.name,
    async run(context) {
      if (step.wanted(context)) return step.run(context);
      for (const object of step.objects) context.unwanted.push({ type: object.type, name: object.name(context) });
      step.whenUnwanted?.(context);
    },
  };
}

const controlledBy = (object: KubeObject, uid: string | undefined): boolean =>
  uid !== undefined &&
  (object.metadata.ownerReferences ?? []).some((ref) => ref.controller === true && ref.uid === uid);

/** Deletes the unwanted objects that exist and that this TenantControlPlane controls (never a user's own). */
export const removeUnwantedStep: PipelineStep = {
  name: "remove-unwanted",
  async run(context) {
    const { client, tcp, log } = context;
    for (const { type, name } of context.unwanted) {
      const found = await client.get<KubeObject>(type, name, tcp.metadata.namespace);
      if (found === undefined || !controlledBy(found, tcp.metadata.uid)) continue;
      await client.delete(type, name, tcp.metadata.namespace);
      log.info({ kind: type.kind, name }, "removed an object the spec no longer wants");
    }
  },
};
