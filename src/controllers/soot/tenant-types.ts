// The kinds the operator keeps inside tenant clusters, and how to find the REST resource of a built object.
import type { KubeObject } from "../../runtime/kube-client.js";
import { resourceTypes, type ResourceType } from "../../runtime/resource-types.js";

const rbac = (plural: string, kind: string, namespaced: boolean): ResourceType => ({
  group: "rbac.authorization.k8s.io",
  version: "v1",
  plural,
  kind,
  namespaced,
});

export const tenantResourceTypes = [
  resourceTypes.configMap,
  resourceTypes.service,
  resourceTypes.deployment,
  { group: "", version: "v1", plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true },
  { group: "apps", version: "v1", plural: "daemonsets", kind: "DaemonSet", namespaced: true },
  { group: "", version: "v1", plural: "endpoints", kind: "Endpoints", namespaced: true },
  { group: "discovery.k8s.io", version: "v1", plural: "endpointslices", kind: "EndpointSlice", namespaced: true },
  {
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "validatingwebhookconfigurations",
    kind: "ValidatingWebhookConfiguration",
    namespaced: false,
  },
  rbac("roles", "Role", true),
  rbac("rolebindings", "RoleBinding", true),
  rbac("clusterroles", "ClusterRole", false),
  rbac("clusterrolebindings", "ClusterRoleBinding", false),
] as const satisfies readonly ResourceType[];

/** The resource type of an object by its apiVersion and kind; an unknown kind is a programming error. */
export function tenantResourceTypeOf(object: KubeObject): ResourceType {
  const [group, version] = object.apiVersion?.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
  const type = tenantResourceTypes.find((t) => t.group === group && t.version === version && t.kind === object.kind);
  if (type === undefined)
    throw new Error(`no tenant resource type for ${object.apiVersion ?? "?"} ${object.kind ?? "?"}`);
  return type;
}
