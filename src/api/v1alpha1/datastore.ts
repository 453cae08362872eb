// DataStore: a shared etcd, PostgreSQL, MySQL or NATS server that holds the state of many tenants.
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { K8s } from "../k8s-types.js";
import { Bytes, Int64, StringEnum, cel, immutable } from "../schema.js";

const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

export const drivers = ["etcd", "MySQL", "PostgreSQL", "NATS"] as const;
export type Driver = (typeof drivers)[number];

const ContentRef = (description: string) =>
  Type.Object(
    {
      content: Opt(Bytes({ description: "The value itself, base64 encoded. Wins over secretReference." })),
      secretReference: Opt(
        Type.Object(
          {
            name: Opt(Type.String({ description: "Name of the Secret." })),
            namespace: Opt(Type.String({ description: "Namespace of the Secret." })),
            keyPath: Type.String({ minLength: 1, description: "Key of the Secret that holds the value." }),
          },
          { "x-kubernetes-map-type": "atomic", description: "A key of a Secret that holds the value." },
        ),
      ),
    },
    { description },
  );

// `has(x.content) || has(x.secretReference)` for the ContentRef at `path` (a CEL field path below self).
const hasValue = (path: string) => `(has(${path}.secretReference) || has(${path}.content))`;

export const DataStoreSpec = Type.Object(
  {
    driver: StringEnum(drivers, {
      description: "Kind of datastore server.",
      "x-kubernetes-validations": [immutable("Datastore driver is immutable")],
    }),
    endpoints: Type.Array(Type.String(), {
      minItems: 1,
      description: "host:port of each server, without scheme.",
    }),
    basicAuth: Opt(
      Type.Object(
        { username: ContentRef("User name."), password: ContentRef("Password.") },
        { description: "User and password for the datastore (SQL and NATS)." },
      ),
    ),
    tlsConfig: Opt(
      Type.Object(
        {
          certificateAuthority: Type.Object(
            {
              certificate: ContentRef("CA certificate (PEM)."),
              privateKey: Opt(
                ContentRef("CA private key (PEM); required for etcd, which authenticates tenants by certificate."),
              ),
            },
            { description: "CA that signed the datastore's server certificate." },
          ),
          clientCertificate: Opt(
            Type.Object(
              { certificate: ContentRef("Client certificate (PEM)."), privateKey: ContentRef("Client key (PEM).") },
              { description: "Client certificate used to connect." },
            ),
          ),
        },
        { description: "TLS settings for connecting to the datastore." },
      ),
    ),
  },
  {
    description: "Desired state of a DataStore.",
    "x-kubernetes-validations": [
      cel(
        `self.driver != 'etcd' || (has(self.tlsConfig) && has(self.tlsConfig.certificateAuthority.privateKey) && ${hasValue("self.tlsConfig.certificateAuthority.privateKey")})`,
        "certificateAuthority privateKey must have secretReference or content when driver is etcd",
      ),
      cel(
        `self.driver != 'etcd' || (has(self.tlsConfig) && has(self.tlsConfig.clientCertificate) && ${hasValue("self.tlsConfig.clientCertificate.certificate")})`,
        "clientCertificate must have secretReference or content when driver is etcd",
      ),
      cel(
        `self.driver != 'etcd' || (has(self.tlsConfig) && has(self.tlsConfig.clientCertificate) && ${hasValue("self.tlsConfig.clientCertificate.privateKey")})`,
        "clientCertificate privateKey must have secretReference or content when driver is etcd",
      ),
      cel(
        `self.driver == 'etcd' || !has(self.tlsConfig) || !has(self.tlsConfig.clientCertificate) || ${hasValue("self.tlsConfig.clientCertificate.certificate")}`,
        "When driver is not etcd and tlsConfig exists, clientCertificate must be null or contain valid content",
      ),
      cel(
        `self.driver == 'etcd' || !has(self.basicAuth) || ${hasValue("self.basicAuth.username")}`,
        "When driver is not etcd and basicAuth exists, username must have secretReference or content",
      ),
      cel(
        `self.driver == 'etcd' || !has(self.basicAuth) || ${hasValue("self.basicAuth.password")}`,
        "When driver is not etcd and basicAuth exists, password must have secretReference or content",
      ),
      cel(
        "self.driver == 'etcd' || has(self.tlsConfig) || has(self.basicAuth)",
        "When driver is not etcd, either tlsConfig or basicAuth must be provided",
      ),
    ],
  },
);

export const DataStoreStatus = Type.Object(
  {
    observedGeneration: Opt(Int64({ description: "The generation validated last." })),
    usedBy: Opt(Type.Array(Type.String(), { description: "namespace/name of the TenantControlPlanes using it." })),
    conditions: Opt(
      Type.Array(K8s.Condition(), {
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
        description: "Validation and deletion conditions.",
      }),
    ),
    ready: Type.Boolean({ description: "Whether the DataStore passed validation and can be used." }),
  },
  { description: "Observed state of a DataStore." },
);

export type DataStoreSpec = Static<typeof DataStoreSpec>;
export type DataStoreStatus = Static<typeof DataStoreStatus>;
