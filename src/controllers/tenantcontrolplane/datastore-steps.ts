// The tenant's share of its DataStore: the datastore-config Secret (schema, user, password), the provisioning of
// that schema and user on the server, and the client certificate the API server (or kine) connects with.
import { randomUUID } from "node:crypto";
import { DataStoreError } from "../../datastore/driver.js";
import { issueEtcdClientCertificate } from "../../datastore/etcd-client-certificate.js";
import { certificateProblems, loadCertificateAndKey, parseCertificatePem } from "../../pki/index.js";
import { mapChecksum, secretDataChecksum } from "../../resources/checksum.js";
import { certificateLifecycleLabel, checksumAnnotation } from "../../resources/labels.js";
import { resourceTypes } from "../../runtime/resource-types.js";
import { lastUpdate, renewBefore, type PipelineContext, type PipelineStep } from "./context.js";
import { applySecret, decodeData, readSecret, secretStatus } from "./objects.js";
import { dataStoreErrorReasons } from "../datastore/conditions.js";
import { ReconcileProblem } from "./problem.js";
import { rotationReason } from "./rotation.js";
import type { Driver } from "../../api/v1alpha1/datastore.js";
import type { TenantControlPlane } from "../../api/v1alpha1/kinds.js";

export const dataStoreFinalizer = "finalizer.kamaji.clastix.io";
export const dataStoreSecretFinalizer = "finalizer.kamaji.clastix.io/datastore-secret";

/**
 * Schema and user: what status recorded wins (they never change once used), then the spec, then the UID. On
 * MySQL the default user is the UID without its dashes: MySQL allows 32 characters in a user name, a UID has 36.
 */
export function tenantStorageNames(tcp: TenantControlPlane, driver: Driver): { schema: string; user: string } {
  const uid = tcp.metadata.uid ?? "";
  const setup = tcp.status?.storage?.setup;
  const pick = (recorded: string | undefined, wanted: string | undefined, fallback: string) =>
    recorded !== undefined && recorded !== "" ? recorded : wanted !== undefined && wanted !== "" ? wanted : fallback;
  return {
    schema: pick(setup?.schema, tcp.spec.dataStoreSchema, uid),
    user: pick(setup?.user, tcp.spec.dataStoreUsername, driver === "MySQL" ? uid.replaceAll("-", "") : uid),
  };
}

/**
 * Why kine could not use these names, or undefined. kine takes them inside its endpoint URL
 * (`postgres://user:password@host/schema`, `?bucket=schema`), where anything but letters, digits, "-" and "_"
 * would change the URL's meaning; the drivers themselves quote any name safely.
 */
export function kineNameProblem(names: { schema: string; user: string }): string | undefined {
  const safe = /^[A-Za-z0-9_-]+$/;
  if (!safe.test(names.schema)) {
    return `spec.dataStoreSchema ${JSON.stringify(names.schema)}: kine allows only letters, digits, "-" and "_"`;
  }
  if (!safe.test(names.user)) {
    return `spec.dataStoreUsername ${JSON.stringify(names.user)}: kine allows only letters, digits, "-" and "_"`;
  }
  return undefined;
}

/**
 * The credentials kine connects with. On NATS there are no per-tenant users: kine uses the DataStore's own, so
 * they must survive kine's URL parsing (it does not decode percent-escapes).
 */
function natsCredentials(context: PipelineContext): { user: string; password: string } {
  const basicAuth = context.connectionConfig.basicAuth;
  if (basicAuth === undefined) return { user: "", password: "" };
  const urlSafe = /^[A-Za-z0-9._~!$&'()*+,;=-]*$/;
  if (!urlSafe.test(basicAuth.username) || !urlSafe.test(basicAuth.password) || basicAuth.username.includes(":")) {
    throw new ReconcileProblem(
      "DataStoreInvalid",
      `DataStore ${context.connectionConfig.name}: spec.basicAuth: kine cannot use a NATS user name or password with characters such as "@", ":", "/", "%", "?" or "#" in its URL`,
    );
  }
  return { user: basicAuth.username, password: basicAuth.password };
}

export const dataStoreConfigStep: PipelineStep = {
  name: "datastore-config",
  async run(context) {
    const name = context.names.dataStoreConfig;
    const stored = await readSecret(context, name);
    const data = decodeData(stored);
    const { driver, endpoints } = context.connectionConfig;
    // From the status being built: a migration's switch to another driver sets the names that driver takes.
    const { schema, user } = tenantStorageNames({ ...context.tcp, status: context.status }, driver);
    if (driver !== "etcd") {
      const problem = kineNameProblem({ schema, user });
      if (problem !== undefined) throw new ReconcileProblem("DataStoreInvalid", problem);
    }
    // The password survives as long as nobody tampered with the Secret (its checksum annotation still matches).
    const untouched = stored !== undefined && stored.metadata.annotations?.[checksumAnnotation] === mapChecksum(data);
    const password = untouched && data.DB_PASSWORD ? data.DB_PASSWORD : randomUUID();
    const credentials = driver === "NATS" ? natsCredentials(context) : { user, password };
    const payload = {
      // kine gets the first endpoint only: its NATS driver reads `?bucket=` from the first URL of a list.
      DB_CONNECTION_STRING: driver === "etcd" ? "" : (endpoints[0] ?? ""),
      DB_SCHEMA: schema,
      DB_USER: credentials.user,
      DB_PASSWORD: credentials.password,
    };
    const checksum = mapChecksum(payload);
    const { object } = await applySecret(context, name, "datastore-config", payload, stored, {
      annotations: { [checksumAnnotation]: checksum },
      finalizers: [dataStoreSecretFinalizer],
    });
    context.storage = { schema, user, password: credentials.password };
    context.status.storage = {
      ...context.status.storage,
      driver,
      dataStoreName: context.connectionConfig.name,
      config: { secretName: object.metadata.name, checksum },
    };
  },
};

export const dataStoreSetupStep: PipelineStep = {
  name: "datastore-setup",
  async run(context) {
    const storage = context.storage;
    if (storage === undefined) throw new Error("datastore-setup: the datastore-config step must run first");
    // The finalizer goes on before anything exists on the server, so a deletion at any moment still cleans up.
    await ensureFinalizer(context);
    try {
      await context.connection.provision(storage);
    } catch (error) {
      throw asProblem(error, `provisioning schema ${storage.schema} for user ${storage.user}`);
    }
    const previous = context.status.storage?.setup;
    const checksum = context.status.storage?.config?.checksum;
    const unchanged =
      previous?.schema === storage.schema && previous.user === storage.user && previous.checksum === checksum;
    context.status.storage = {
      ...context.status.storage,
      setup: {
        schema: storage.schema,
        user: storage.user,
        checksum,
        lastUpdate: lastUpdate(context, !unchanged, previous?.lastUpdate),
      },
    };
  },
};

export const dataStoreCertificateStep: PipelineStep = {
  name: "datastore-certificate",
  async run(context) {
    const storage = context.storage;
    if (storage === undefined) throw new Error("datastore-certificate: the datastore-config step must run first");
    const name = context.names.dataStoreCertificate;
    const stored = await readSecret(context, name);
    const data = decodeData(stored);
    const tls = context.connectionConfig.tls;
    let payload: Record<string, string> = {};
    if (tls !== undefined && context.connectionConfig.driver === "etcd") {
      const caKey = tls.certificateAuthorityKeyPem;
      if (caKey === undefined)
        throw new ReconcileProblem("DataStoreInvalid", "the etcd DataStore has no CA private key");
      const ca = parseCertificatePem(tls.certificateAuthorityPem, `DataStore ${context.connectionConfig.name} CA`);
      const current = await loadCertificateAndKey(
        { certificatePem: data["server.crt"] ?? "", privateKeyPem: data["server.key"] ?? "" },
        name,
      ).catch(() => undefined);
      const rotation = rotationReason(context, stored);
      const valid =
        current !== undefined &&
        rotation === undefined &&
        data["ca.crt"]?.trim() === tls.certificateAuthorityPem.trim() &&
        current.certificate.commonName === storage.user &&
        certificateProblems(current.certificate, {
          now: context.now,
          expiryThresholdMs: context.options.certificateExpirationDeadlineMs,
          signedBy: ca,
        }).length === 0;
      if (valid) {
        payload = data;
        renewBefore(context, current.certificate.notAfter, name, "x509");
      } else {
        const issued = await issueEtcdClientCertificate({
          authority: { certificatePem: tls.certificateAuthorityPem, privateKeyPem: caKey },
          user: storage.user,
          algorithm: context.options.keyAlgorithm,
          now: context.now,
          validityMs: context.options.caCertificateValidityMs,
        });
        payload = {
          "ca.crt": tls.certificateAuthorityPem,
          "server.crt": issued.certificatePem,
          "server.key": issued.privateKeyPem,
        };
        renewBefore(context, parseCertificatePem(issued.certificatePem, name).notAfter, name, "x509");
      }
    } else if (tls !== undefined) {
      // SQL and NATS: kine connects with the DataStore's own client certificate, when it has one.
      payload = {
        "ca.crt": tls.certificateAuthorityPem,
        ...(tls.clientCertificatePem === undefined ? {} : { "server.crt": tls.clientCertificatePem }),
        ...(tls.clientKeyPem === undefined ? {} : { "server.key": tls.clientKeyPem }),
      };
    }
    const { object, changed } = await applySecret(context, name, "datastore-certificate", payload, stored, {
      labels: { [certificateLifecycleLabel]: "x509" },
    });
    const previous = context.status.storage?.certificate;
    context.status.storage = {
      ...context.status.storage,
      certificate: secretStatus(context, object, changed, previous),
    };
    context.storageCertificateChecksum = secretDataChecksum(object.data);
  },
};

async function ensureFinalizer(context: PipelineContext): Promise<void> {
  const { tcp, client } = context;
  const finalizers = tcp.metadata.finalizers ?? [];
  if (finalizers.includes(dataStoreFinalizer)) return;
  // The test op makes the patch fail instead of dropping a finalizer someone added meanwhile.
  const patch =
    tcp.metadata.finalizers === undefined
      ? [
          { op: "test", path: "/metadata/resourceVersion", value: tcp.metadata.resourceVersion },
          { op: "add", path: "/metadata/finalizers", value: [dataStoreFinalizer] },
        ]
      : [
          { op: "test", path: "/metadata/finalizers", value: finalizers },
          { op: "add", path: "/metadata/finalizers/-", value: dataStoreFinalizer },
        ];
  const updated = await client.patch(
    resourceTypes.tenantControlPlane,
    tcp.metadata.name ?? "",
    tcp.metadata.namespace,
    patch,
  );
  tcp.metadata.finalizers = updated.metadata.finalizers;
  tcp.metadata.resourceVersion = updated.metadata.resourceVersion;
}

/** A driver failure as a condition reason the user can act on. */
export function asProblem(error: unknown, doing: string): unknown {
  if (!(error instanceof DataStoreError)) return error;
  return new ReconcileProblem(dataStoreErrorReasons[error.reason], `${doing}: ${error.message}`, undefined, {
    cause: error,
  });
}
