// Removing a finalizer without clobbering a concurrent writer: a JSON patch whose test op fails if the list moved.
import { isNotFound, type KubeClient } from "./kube-client.js";
import type { ResourceType } from "./resource-types.js";

export async function removeFinalizer(
  client: KubeClient,
  type: ResourceType,
  object: { metadata: { name?: string; namespace?: string; finalizers?: string[] } },
  finalizer: string,
): Promise<void> {
  const finalizers = object.metadata.finalizers ?? [];
  const index = finalizers.indexOf(finalizer);
  if (index < 0) return;
  try {
    await client.patch(type, object.metadata.name ?? "", object.metadata.namespace, [
      { op: "test", path: `/metadata/finalizers/${index}`, value: finalizer },
      { op: "remove", path: `/metadata/finalizers/${index}` },
    ]);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
