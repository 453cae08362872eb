// KubeconfigGenerator: issues a kubeconfig with a chosen identity for every matching TenantControlPlane.
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { K8s } from "../k8s-types.js";
import { Int64, cel } from "../schema.js";

const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

const CompoundValue = (description: string) =>
  Type.Object(
    {
      stringValue: Opt(Type.String({ description: "A fixed value." })),
      fromDefinition: Opt(
        Type.String({ description: "Dot path into the TenantControlPlane object, e.g. metadata.name." }),
      ),
    },
    {
      description,
      "x-kubernetes-validations": [
        cel(
          "(has(self.stringValue) || has(self.fromDefinition)) && !(has(self.stringValue) && has(self.fromDefinition))",
          "Either stringValue or fromDefinition must be set, but not both.",
        ),
      ],
    },
  );

export const KubeconfigGeneratorSpec = Type.Object(
  {
    namespaceSelector: Opt(K8s.LabelSelector({ description: "Namespaces whose TenantControlPlanes are targeted." })),
    tenantControlPlaneSelector: Opt(K8s.LabelSelector({ description: "TenantControlPlanes that are targeted." })),
    groups: Opt(Type.Array(CompoundValue("A group (x509 organisation) of the identity."))),
    user: CompoundValue("The user name (x509 common name) of the identity."),
    controlPlaneEndpointFrom: Opt(
      Type.String({
        default: "admin.svc",
        description: "Key of the <tcp>-admin-kubeconfig Secret whose server address the generated kubeconfig uses.",
      }),
    ),
  },
  { description: "Desired state of a KubeconfigGenerator." },
);

export const KubeconfigGeneratorStatus = Type.Object(
  {
    observedGeneration: Opt(Int64({ description: "The generation processed last." })),
    resources: Type.Integer({ default: 0, description: "Number of targeted TenantControlPlanes." }),
    availableResources: Type.Integer({ default: 0, description: "Number of kubeconfigs generated successfully." }),
    errors: Opt(
      Type.Array(
        Type.Object({
          resource: Type.String({ description: "namespace/name of the TenantControlPlane." }),
          message: Type.String({ description: "Why generation failed." }),
        }),
        { description: "Failed generations." },
      ),
    ),
  },
  { description: "Observed state of a KubeconfigGenerator." },
);

export type KubeconfigGeneratorSpec = Static<typeof KubeconfigGeneratorSpec>;
export type KubeconfigGeneratorStatus = Static<typeof KubeconfigGeneratorStatus>;
