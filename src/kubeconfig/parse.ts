import { parseDocument } from "yaml";
import { KubeconfigError } from "./errors.js";
import type { Kubeconfig, KubeconfigCluster, KubeconfigContext, KubeconfigUser } from "./kubeconfig.js";

type Mapping = Record<string, unknown>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Parses and validates a kubeconfig with embedded client certificates (see Kubeconfig). Every error is a
 * KubeconfigError naming the offending field; `source` (e.g. `secret ns/tcp-admin-kubeconfig key admin.conf`)
 * is added to the message when given.
 */
export function parseKubeconfig(input: string | Uint8Array, source?: string): Kubeconfig {
  const fail = (message: string): never => {
    throw new KubeconfigError(`kubeconfig${source === undefined ? "" : ` in ${source}`}: ${message}`);
  };
  const text = typeof input === "string" ? input : Buffer.from(input).toString("utf8");
  const document = readYaml(text, fail);

  const mapping = (value: unknown, path: string): Mapping => {
    if (value === undefined || value === null) return fail(`${path} is missing`);
    if (typeof value !== "object" || Array.isArray(value)) return fail(`${path} must be a mapping`);
    return value as Mapping;
  };
  const list = (value: unknown, path: string): unknown[] => {
    if (value === undefined || value === null) return fail(`${path} is missing`);
    if (!Array.isArray(value)) return fail(`${path} must be a list`);
    return value;
  };
  const string = (value: unknown, path: string): string => {
    if (value === undefined || value === null) return fail(`${path} is missing`);
    if (typeof value !== "string") return fail(`${path} must be a string`);
    if (value === "") return fail(`${path} is empty`);
    return value;
  };
  const base64Text = (value: unknown, path: string): string => {
    const encoded = string(value, path).replace(/\s+/g, "");
    if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) return fail(`${path} is not valid base64`);
    return Buffer.from(encoded, "base64").toString("utf8");
  };
  const uniqueNames = (entries: readonly { name: string }[], path: string): void => {
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
      if (seen.has(entry.name)) fail(`${path}[${index}].name "${entry.name}" is a duplicate`);
      seen.add(entry.name);
    });
  };

  if (document === undefined || document === null) return fail("the document is empty");
  const root = mapping(document, "the document");
  const apiVersion = string(root.apiVersion, "apiVersion");
  if (apiVersion !== "v1") fail(`apiVersion is "${apiVersion}", expected "v1"`);
  const kind = string(root.kind, "kind");
  if (kind !== "Config") fail(`kind is "${kind}", expected "Config"`);

  const clusters = list(root.clusters, "clusters").map((item, index): KubeconfigCluster => {
    const path = `clusters[${index}]`;
    const entry = mapping(item, path);
    const cluster = mapping(entry.cluster, `${path}.cluster`);
    const server = string(cluster.server, `${path}.cluster.server`);
    if (!URL.canParse(server)) fail(`${path}.cluster.server "${server}" is not a URL`);
    return {
      name: string(entry.name, `${path}.name`),
      server,
      certificateAuthorityPem: base64Text(
        cluster["certificate-authority-data"],
        `${path}.cluster.certificate-authority-data`,
      ),
    };
  });
  const users = list(root.users, "users").map((item, index): KubeconfigUser => {
    const path = `users[${index}]`;
    const entry = mapping(item, path);
    const user = mapping(entry.user, `${path}.user`);
    return {
      name: string(entry.name, `${path}.name`),
      clientCertificatePem: base64Text(user["client-certificate-data"], `${path}.user.client-certificate-data`),
      clientKeyPem: base64Text(user["client-key-data"], `${path}.user.client-key-data`),
    };
  });
  const contexts = list(root.contexts, "contexts").map((item, index): KubeconfigContext => {
    const path = `contexts[${index}]`;
    const entry = mapping(item, path);
    const context = mapping(entry.context, `${path}.context`);
    const cluster = string(context.cluster, `${path}.context.cluster`);
    const user = string(context.user, `${path}.context.user`);
    if (!clusters.some((candidate) => candidate.name === cluster)) {
      fail(`${path}.context.cluster "${cluster}" names no entry in clusters`);
    }
    if (!users.some((candidate) => candidate.name === user)) {
      fail(`${path}.context.user "${user}" names no entry in users`);
    }
    const namespace =
      context.namespace === undefined || context.namespace === null
        ? undefined
        : string(context.namespace, `${path}.context.namespace`);
    return {
      name: string(entry.name, `${path}.name`),
      cluster,
      user,
      ...(namespace === undefined ? {} : { namespace }),
    };
  });
  uniqueNames(clusters, "clusters");
  uniqueNames(users, "users");
  uniqueNames(contexts, "contexts");

  const currentContext = string(root["current-context"], "current-context");
  if (!contexts.some((context) => context.name === currentContext)) {
    fail(`current-context "${currentContext}" names no entry in contexts`);
  }
  return { clusters, users, contexts, currentContext };
}

/**
 * The YAML as plain data. Errors carry the position but not yaml's source excerpt: kubeconfigs hold private keys,
 * and error messages end up in logs and events.
 */
function readYaml(text: string, fail: (message: string) => never): unknown {
  const document = parseDocument(text, { prettyErrors: false });
  const [error] = document.errors;
  if (error !== undefined) {
    const before = text.slice(0, error.pos[0]);
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    return fail(`not valid YAML at line ${line}, column ${column}: ${error.message}`);
  }
  try {
    return document.toJS();
  } catch (cause) {
    return fail(`not valid YAML: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
