// The API resources the operator reads and writes, with what their REST paths need (no discovery round-trips).
import { group as kamajiGroup, version as kamajiVersion } from "../api/v1alpha1/kinds.js";

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

const core = (plural: string, kind: string, namespaced = true): ResourceType => ({
  group: "",
  version: "v1",
  plural,
  kind,
  namespaced,
});

export const resourceTypes = {
  secret: core("secrets", "Secret"),
  configMap: core("configmaps", "ConfigMap"),
  service: core("services", "Service"),
  namespace: core("namespaces", "Namespace", false),
  pod: core("pods", "Pod"),
  deployment: { group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true },
  job: { group: "batch", version: "v1", plural: "jobs", kind: "Job", namespaced: true },
  lease: { group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", namespaced: true },
  event: { group: "events.k8s.io", version: "v1", plural: "events", kind: "Event", namespaced: true },
  tenantControlPlane: {
    group: kamajiGroup,
    version: kamajiVersion,
    plural: "tenantcontrolplanes",
    kind: "TenantControlPlane",
    namespaced: true,
  },
  dataStore: { group: kamajiGroup, version: kamajiVersion, plural: "datastores", kind: "DataStore", namespaced: false },
  mutatingWebhookConfiguration: {
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "mutatingwebhookconfigurations",
    kind: "MutatingWebhookConfiguration",
    namespaced: false,
  },
  validatingWebhookConfiguration: {
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "validatingwebhookconfigurations",
    kind: "ValidatingWebhookConfiguration",
    namespaced: false,
  },
} as const satisfies Record<string, ResourceType>;

export function apiVersionOf(type: ResourceType): string {
  return type.group === "" ? type.version : `${type.group}/${type.version}`;
}

/** `/api/v1/namespaces/ns/secrets/name[/status]`, or the cluster-scoped / all-namespaces forms. */
export function resourcePath(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const base = type.group === "" ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const scope = type.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const object = name === undefined ? "" : `/${encodeURIComponent(name)}`;
  const sub = subresource === undefined ? "" : `/${subresource}`;
  return `${base}${scope}/${type.plural}${object}${sub}`;
}
