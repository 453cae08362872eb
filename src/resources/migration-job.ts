// The Job that copies a tenant's data to another DataStore (reference §2 step 1), `migrate-<tcp uid>` in the
// operator's namespace, and the Secret beside it. The `migrate` container runs `kamaji migrate` with upstream's flags;
// for each side on a kine driver a kine sidecar (a native sidecar: it stops when the copy ends) serves that side's
// etcd API on localhost, so the copy speaks one protocol to any pair of drivers. The sidecars' credentials are the
// tenant's own (user, password, schema), from the Secret; etcd sides are reached directly as their administrator.
import type { V1Job, V1Secret } from "@kubernetes/client-node";
import type { Container, Json } from "../api/k8s-types.js";
import type { Driver } from "../api/v1alpha1/datastore.js";
import { kineEndpointTemplate } from "./deployment/kine.js";

export type MigrationSide = "source" | "target";

/** Where the copy finds a kine side's etcd API. */
export const migrationKinePorts: Record<MigrationSide, number> = { source: 2381, target: 2382 };

export const migrationComponent = "migrate";
export const migrationSourceAnnotation = "kamaji.clastix.io/migration-source";
export const migrationTargetAnnotation = "kamaji.clastix.io/migration-target";
export const tcpNameLabel = "tcp.kamaji.clastix.io/name";
export const tcpNamespaceLabel = "tcp.kamaji.clastix.io/namespace";

/** `migrate-<uid>`: the Job's and the Secret's name. */
export const migrationJobName = (tcpUid: string): string => `migrate-${tcpUid}`;

/** One side's tenant storage as kine connects to it (the datastore-config Secret's keys). */
export interface MigrationSideConfig {
  /** The DataStore's name. */
  readonly dataStore: string;
  readonly driver: Driver;
  readonly connectionString: string;
  readonly schema: string;
  readonly user: string;
  readonly password: string;
  readonly tls?: { readonly caPem: string; readonly certificatePem?: string; readonly privateKeyPem?: string };
}

export interface MigrationJobInput {
  readonly tcp: { readonly namespace: string; readonly name: string; readonly uid: string };
  /** The operator's namespace. */
  readonly namespace: string;
  readonly image: string;
  readonly kineImage: string;
  readonly imagePullPolicy: string;
  readonly serviceAccountName: string;
  readonly source: MigrationSideConfig;
  readonly target: MigrationSideConfig;
  readonly cleanupPriorMigration: boolean;
  /** A Go duration (`5m`), passed as --timeout; absent: the command's default. */
  readonly timeout?: string;
}

const envPrefix = (side: MigrationSide) => `${side.toUpperCase()}_`;

/** The Secret's data: each side's DB_* keys with its prefix, and its TLS files as `<side>-ca.crt` etc. */
export function migrationSecretData(input: Pick<MigrationJobInput, "source" | "target">): Record<string, string> {
  const data: Record<string, string> = {};
  for (const side of ["source", "target"] as const) {
    const config = input[side];
    if (config.driver === "etcd") continue;
    const prefix = envPrefix(side);
    data[`${prefix}DB_CONNECTION_STRING`] = config.connectionString;
    data[`${prefix}DB_SCHEMA`] = config.schema;
    data[`${prefix}DB_USER`] = config.user;
    data[`${prefix}DB_PASSWORD`] = config.password;
    if (config.tls !== undefined) {
      data[`${side}-ca.crt`] = config.tls.caPem;
      if (config.tls.certificatePem !== undefined) data[`${side}-server.crt`] = config.tls.certificatePem;
      if (config.tls.privateKeyPem !== undefined) data[`${side}-server.key`] = config.tls.privateKeyPem;
    }
  }
  return data;
}

const labels = (input: MigrationJobInput) => ({
  [tcpNameLabel]: input.tcp.name,
  [tcpNamespaceLabel]: input.tcp.namespace,
  "kamaji.clastix.io/component": migrationComponent,
});

export function buildMigrationSecret(input: MigrationJobInput): Json<V1Secret> {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: migrationJobName(input.tcp.uid), namespace: input.namespace, labels: labels(input) },
    type: "Opaque",
    stringData: migrationSecretData(input),
  };
}

const restricted = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  readOnlyRootFilesystem: true,
};

function kineSidecar(input: MigrationJobInput, side: MigrationSide): Container[] {
  const config = input[side];
  if (config.driver === "etcd") return [];
  const secret = migrationJobName(input.tcp.uid);
  const prefix = envPrefix(side);
  const env = ["DB_CONNECTION_STRING", "DB_SCHEMA", "DB_USER", "DB_PASSWORD"].map((key) => ({
    name: `${prefix}${key}`,
    valueFrom: { secretKeyRef: { name: secret, key: `${prefix}${key}` } },
  }));
  const tlsArgs =
    config.tls === undefined
      ? []
      : [
          `--ca-file=/certs/${side}-ca.crt`,
          ...(config.tls.certificatePem === undefined
            ? []
            : [`--cert-file=/certs/${side}-server.crt`, `--key-file=/certs/${side}-server.key`]),
        ];
  return [
    {
      name: `kine-${side}`,
      image: input.kineImage,
      imagePullPolicy: input.imagePullPolicy,
      // A native sidecar: started before the copy, stopped by the kubelet once it is done.
      restartPolicy: "Always",
      command: ["/bin/kine"],
      args: [
        `--endpoint=${kineEndpointTemplate(config.driver, prefix)}`,
        `--listen-address=127.0.0.1:${migrationKinePorts[side]}`,
        "--metrics-bind-address=0",
        ...tlsArgs,
      ],
      env: [{ name: "GODEBUG", value: "x509ignoreCN=0" }, ...env],
      volumeMounts: [{ name: "certs", mountPath: "/certs", readOnly: true }],
      securityContext: restricted,
    },
  ];
}

/** Copies the TLS files with the 0600 mode a PostgreSQL client insists on for its private key. */
function certificatesInit(input: MigrationJobInput): Container[] {
  if (input.source.tls === undefined && input.target.tls === undefined) return [];
  if (input.source.driver === "etcd" && input.target.driver === "etcd") return [];
  return [
    {
      name: "certificates",
      image: input.kineImage,
      imagePullPolicy: input.imagePullPolicy,
      command: ["sh", "-c", "cp /secret/*.crt /secret/*.key /certs/ 2>/dev/null; chmod 600 /certs/* 2>/dev/null; true"],
      volumeMounts: [
        { name: "secret", mountPath: "/secret", readOnly: true },
        { name: "certs", mountPath: "/certs" },
      ],
      securityContext: restricted,
    },
  ];
}

export function buildMigrationJob(input: MigrationJobInput): Json<V1Job> {
  const name = migrationJobName(input.tcp.uid);
  const args = [
    "migrate",
    `--tenant-control-plane=${input.tcp.namespace}/${input.tcp.name}`,
    `--target-datastore=${input.target.dataStore}`,
    `--cleanup-prior-migration=${String(input.cleanupPriorMigration)}`,
    ...(input.timeout === undefined ? [] : [`--timeout=${input.timeout}`]),
  ];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      namespace: input.namespace,
      labels: labels(input),
      annotations: {
        [migrationSourceAnnotation]: input.source.dataStore,
        [migrationTargetAnnotation]: input.target.dataStore,
      },
    },
    spec: {
      backoffLimit: 6,
      template: {
        metadata: { labels: labels(input) },
        spec: {
          serviceAccountName: input.serviceAccountName,
          restartPolicy: "OnFailure",
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          initContainers: [
            ...certificatesInit(input),
            ...kineSidecar(input, "source"),
            ...kineSidecar(input, "target"),
          ],
          containers: [
            {
              name: "migrate",
              image: input.image,
              imagePullPolicy: input.imagePullPolicy,
              args,
              securityContext: restricted,
            },
          ],
          volumes: [
            { name: "secret", secret: { secretName: name } },
            { name: "certs", emptyDir: {} },
          ],
        },
      },
    },
  };
}
