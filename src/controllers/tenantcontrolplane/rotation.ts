// Rotation on demand (`certs.kamaji.clastix.io/rotate`, as upstream): on the TenantControlPlane it re-issues every
// leaf certificate and kubeconfig; on one of their Secrets, only that one. The RFC 3339 time it was done is written
// back by the pipeline's last step, once the Deployment has been given the new credentials. CA and service-account
// key rotation are not done this way: replacing those at once would cut off every client.
import { rotateAnnotation, rotationRequested } from "../../resources/labels.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import { rfc3339 } from "../../runtime/time.js";
import type { PipelineContext, PipelineStep } from "./context.js";
import type { Secret } from "./objects.js";

/** The stage of a staged rotation (service-account key, CA), recorded on its Secret. */
export const rotationStageAnnotation = "kamaji.clastix.io/rotation-stage";

/** The PEM blocks of `text` (any label), as text. */
export const pemBlocks = (text: string): string[] =>
  [...text.matchAll(/-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g)].map((match) => match[0]);

/** PEM blocks one after the other, each ending with a newline. */
export const joinPem = (...blocks: string[]): string => blocks.map((block) => `${block.trim()}\n`).join("");

/** Why the certificate or kubeconfig in `stored` must be re-issued now on request, or undefined. */
export function rotationReason(context: PipelineContext, stored: Secret | undefined): string | undefined {
  if (rotationRequested(stored?.metadata)) {
    context.rotatedSecrets.push(stored?.metadata.name ?? "");
    return "rotation requested on the Secret";
  }
  return rotationRequested(context.tcp.metadata) ? "rotation requested on the TenantControlPlane" : undefined;
}

/** Writes the rotation time back on each Secret and on the TenantControlPlane that asked for one. */
export const recordRotationsStep: PipelineStep = {
  name: "rotation",
  async run(context) {
    const { client, tcp, log } = context;
    const done = { metadata: { annotations: { [rotateAnnotation]: rfc3339(context.now) } } };
    for (const name of context.rotatedSecrets) {
      await client.patch(resourceTypes.secret, name, tcp.metadata.namespace, done);
      log.info({ secret: name }, "rotated on request");
    }
    if (rotationRequested(tcp.metadata)) {
      await client.patch(resourceTypes.tenantControlPlane, tcp.metadata.name ?? "", tcp.metadata.namespace, done);
      log.info("rotated every leaf certificate and kubeconfig on request");
    }
  },
};
