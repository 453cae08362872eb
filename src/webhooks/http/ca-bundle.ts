// Writes the CA bundle the API server trusts the webhook through into webhooks[*].clientConfig.caBundle.
import type { KubeClient, KubeObject } from "../../runtime/kube-client.js";
import type { Logger } from "../../runtime/logger.js";
import type { ResourceType } from "../../runtime/resource-types.js";

interface WebhookConfiguration extends KubeObject {
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}

type PatchOperation = { op: "test" | "add"; path: string; value: string };

/**
 * Sets the caBundle of every webhook of the named configuration that lacks it or has another one, in one JSON
 * patch. Each change first tests the webhook's name at its index, so a list reordered meanwhile fails the patch
 * rather than getting a bundle in the wrong place. Returns false when the configuration does not exist.
 */
export async function injectCaBundle(
  client: KubeClient,
  type: ResourceType,
  name: string,
  caBundlePem: string,
  log: Logger,
): Promise<boolean> {
  const configuration = await client.get<WebhookConfiguration>(type, name);
  if (configuration === undefined) return false;
  const caBundle = Buffer.from(caBundlePem, "utf8").toString("base64");
  const stale = (configuration.webhooks ?? []).flatMap((webhook, index) =>
    webhook.clientConfig?.caBundle === caBundle ? [] : [{ webhook: webhook.name, index }],
  );
  if (stale.length === 0) return true;
  const patch: PatchOperation[] = stale.flatMap(({ webhook, index }) => [
    { op: "test", path: `/webhooks/${index}/name`, value: webhook },
    { op: "add", path: `/webhooks/${index}/clientConfig/caBundle`, value: caBundle },
  ]);
  try {
    await client.patch(type, name, undefined, patch);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`writing the CA bundle into ${type.kind} ${name}: ${reason}`, { cause: error });
  }
  log.info({ kind: type.kind, name, webhooks: stale.map((s) => s.webhook) }, "wrote the CA bundle into webhooks");
  return true;
}
