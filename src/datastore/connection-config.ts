// Resolves a DataStore's credentials (inline content or Secret references) into a connection configuration, and
// says exactly which field is wrong when it cannot (upstream's BasicAuth/TLSConfigurationValidationFailed reasons).
import type { DataStore } from "../api/v1alpha1/kinds.js";
import type { DataStoreSpec } from "../api/v1alpha1/datastore.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import { resourceTypes } from "../runtime/resource-types.js";
import { parseHostPort } from "./config-checks.js";
import type { DataStoreConnectionConfig } from "./driver.js";

type ContentRef = NonNullable<DataStoreSpec["basicAuth"]>["username"];

export type DataStoreValidationReason =
  "BasicAuthValidationFailed" | "TLSConfigurationValidationFailed" | "EndpointValidationFailed";

export class DataStoreValidationError extends Error {
  constructor(
    readonly dataStore: string,
    readonly reason: DataStoreValidationReason,
    readonly field: string,
    message: string,
  ) {
    super(`DataStore ${dataStore}: ${field}: ${message}`);
    this.name = "DataStoreValidationError";
  }
}

interface Secret extends KubeObject {
  data?: Record<string, string>;
}

/** `namespace/name` of every Secret the DataStore refers to (the key of the Secret → DataStore index). */
export function referencedSecrets(dataStore: DataStore): string[] {
  const { basicAuth, tlsConfig } = dataStore.spec;
  const refs = [
    basicAuth?.username,
    basicAuth?.password,
    tlsConfig?.certificateAuthority.certificate,
    tlsConfig?.certificateAuthority.privateKey,
    tlsConfig?.clientCertificate?.certificate,
    tlsConfig?.clientCertificate?.privateKey,
  ].flatMap((ref) => (ref?.secretReference === undefined ? [] : [secretKey(ref.secretReference)]));
  return [...new Set(refs)].sort();
}

const secretKey = (ref: { namespace?: string; name?: string }) => `${ref.namespace ?? ""}/${ref.name ?? ""}`;

export async function resolveConnectionConfig(
  client: KubeClient,
  dataStore: DataStore,
): Promise<DataStoreConnectionConfig> {
  const name = dataStore.metadata.name ?? "";
  const { spec } = dataStore;
  const secrets = new Map<string, Promise<Secret | undefined>>();
  const read = async (
    ref: ContentRef | undefined,
    field: string,
    reason: DataStoreValidationReason,
  ): Promise<string | undefined> => {
    if (ref === undefined) return undefined;
    if (ref.content !== undefined && ref.content !== "") return Buffer.from(ref.content, "base64").toString("utf8");
    const secretRef = ref.secretReference;
    if (secretRef === undefined) {
      throw new DataStoreValidationError(name, reason, field, "neither content nor secretReference is set");
    }
    if (!secretRef.name || !secretRef.namespace) {
      throw new DataStoreValidationError(name, reason, `${field}.secretReference`, "name and namespace are required");
    }
    const key = secretKey(secretRef);
    let secret = secrets.get(key);
    if (secret === undefined) {
      secret = client.get<Secret>(resourceTypes.secret, secretRef.name, secretRef.namespace);
      secrets.set(key, secret);
    }
    const found = await secret;
    if (found === undefined) {
      throw new DataStoreValidationError(name, reason, `${field}.secretReference`, `Secret ${key} does not exist`);
    }
    const value = found.data?.[secretRef.keyPath];
    if (value === undefined || value === "") {
      throw new DataStoreValidationError(
        name,
        reason,
        `${field}.secretReference.keyPath`,
        `Secret ${key} has no key ${JSON.stringify(secretRef.keyPath)}`,
      );
    }
    return Buffer.from(value, "base64").toString("utf8");
  };

  const basic = "BasicAuthValidationFailed";
  const tls = "TLSConfigurationValidationFailed";
  const [username, password, ca, caKey, clientCert, clientKey] = await Promise.all([
    read(spec.basicAuth?.username, "spec.basicAuth.username", basic),
    read(spec.basicAuth?.password, "spec.basicAuth.password", basic),
    read(spec.tlsConfig?.certificateAuthority.certificate, "spec.tlsConfig.certificateAuthority.certificate", tls),
    read(spec.tlsConfig?.certificateAuthority.privateKey, "spec.tlsConfig.certificateAuthority.privateKey", tls),
    read(spec.tlsConfig?.clientCertificate?.certificate, "spec.tlsConfig.clientCertificate.certificate", tls),
    read(spec.tlsConfig?.clientCertificate?.privateKey, "spec.tlsConfig.clientCertificate.privateKey", tls),
  ]);

  if (spec.driver === "etcd") {
    // etcd tenants authenticate with client certificates this operator signs, so it needs the CA key.
    if (caKey === undefined) {
      throw new DataStoreValidationError(
        name,
        tls,
        "spec.tlsConfig.certificateAuthority.privateKey",
        "etcd needs the CA private key",
      );
    }
    if (clientCert === undefined || clientKey === undefined) {
      throw new DataStoreValidationError(
        name,
        tls,
        "spec.tlsConfig.clientCertificate",
        "etcd needs a client certificate and key",
      );
    }
  }
  for (const endpoint of spec.endpoints) {
    if (parseHostPort(endpoint) === undefined) {
      throw new DataStoreValidationError(
        name,
        "EndpointValidationFailed",
        "spec.endpoints",
        `${JSON.stringify(endpoint)} is not host:port`,
      );
    }
  }
  return {
    name,
    driver: spec.driver,
    endpoints: spec.endpoints,
    ...(ca === undefined
      ? {}
      : {
          tls: {
            certificateAuthorityPem: ca,
            ...(caKey === undefined ? {} : { certificateAuthorityKeyPem: caKey }),
            ...(clientCert === undefined ? {} : { clientCertificatePem: clientCert }),
            ...(clientKey === undefined ? {} : { clientKeyPem: clientKey }),
          },
        }),
    ...(username === undefined || password === undefined ? {} : { basicAuth: { username, password } }),
  };
}
