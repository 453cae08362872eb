// Server-side apply of the objects a TenantControlPlane owns, with its labels and controller owner reference.
import { kamajiLabels } from "../../resources/labels.js";
import type { KubeObject } from "../../runtime/kube-client.js";
import type { ResourceType } from "../../runtime/resource-types.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import { secretDataChecksum } from "../../resources/checksum.js";
import { lastUpdate, type PipelineContext } from "./context.js";

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export interface Applied<T> {
  readonly object: T;
  /** Whether the apply changed the stored object (a no-op apply keeps its resourceVersion). */
  readonly changed: boolean;
}

export async function applyOwned<T extends KubeObject>(
  context: PipelineContext,
  type: ResourceType,
  object: KubeObject,
  component: string,
  /** The stored object, read by the caller before deciding what to apply (undefined: none, or not read). */
  previous: KubeObject | undefined,
): Promise<Applied<T>> {
  const { tcp, owner, client, options } = context;
  const desired: KubeObject = {
    ...object,
    metadata: {
      ...object.metadata,
      namespace: tcp.metadata.namespace,
      labels: { ...object.metadata.labels, ...kamajiLabels(tcp.metadata.name ?? "", component) },
      ownerReferences: [owner],
    },
  };
  const applied = await client.apply<T>(type, desired, options.fieldManager);
  return { object: applied, changed: previous?.metadata.resourceVersion !== applied.metadata.resourceVersion };
}

export const encodeData = (data: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, "utf8").toString("base64")]));

export const decodeData = (secret: Secret | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(secret?.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]),
  );

/** Applies a Secret of the TenantControlPlane with `data` (plain text values). */
export function applySecret(
  context: PipelineContext,
  name: string,
  component: string,
  data: Record<string, string>,
  previous: Secret | undefined,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] } = {},
): Promise<Applied<Secret>> {
  return applyOwned<Secret>(
    context,
    resourceTypes.secret,
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, labels: extra.labels, annotations: extra.annotations, finalizers: extra.finalizers },
      type: "Opaque",
      data: encodeData(data),
    } as Secret,
    component,
    previous,
  );
}

export type SecretStatus = { secretName?: string; checksum?: string; lastUpdate?: string };

/** The stored Secret of the TenantControlPlane's namespace, or undefined. */
export async function readSecret(context: PipelineContext, name: string): Promise<Secret | undefined> {
  return context.client.get<Secret>(resourceTypes.secret, name, context.tcp.metadata.namespace);
}

/** Status entry for a Secret: lastUpdate moves only when the Secret changed. */
export function secretStatus(context: PipelineContext, secret: Secret, changed: boolean, previous?: SecretStatus) {
  return {
    secretName: secret.metadata.name,
    checksum: secretDataChecksum(secret.data),
    lastUpdate: lastUpdate(context, changed, previous?.lastUpdate),
  };
}
