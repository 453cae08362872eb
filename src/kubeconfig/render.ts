import { stringify } from "yaml";
import type { Kubeconfig } from "./kubeconfig.js";

/** The YAML kubeconfig, fields in the order `kubectl config view` prints them; same input, same bytes. */
export function renderKubeconfig(config: Kubeconfig): string {
  const document = {
    apiVersion: "v1",
    kind: "Config",
    clusters: config.clusters.map((cluster) => ({
      name: cluster.name,
      cluster: { "certificate-authority-data": base64(cluster.certificateAuthorityPem), server: cluster.server },
    })),
    contexts: config.contexts.map((context) => ({
      name: context.name,
      context: {
        cluster: context.cluster,
        user: context.user,
        ...(context.namespace === undefined ? {} : { namespace: context.namespace }),
      },
    })),
    "current-context": config.currentContext,
    preferences: {},
    users: config.users.map((user) => ({
      name: user.name,
      user: {
        "client-certificate-data": base64(user.clientCertificatePem),
        "client-key-data": base64(user.clientKeyPem),
      },
    })),
  };
  // lineWidth 0: never fold the long base64 scalars.
  return stringify(document, { lineWidth: 0 });
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}
