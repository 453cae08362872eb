// Whether a tenant can take a conformance run: pure rules over what the management cluster and the tenant say.

export interface NodeView {
  metadata: { name: string };
  spec?: { unschedulable?: boolean; taints?: { key: string; effect: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

/** Ready nodes that take ordinary pods: not cordoned, no NoSchedule or NoExecute taint. */
export function schedulableNodes(nodes: NodeView[]): string[] {
  return nodes
    .filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
    .filter((n) => !n.spec?.unschedulable)
    .filter((n) => !(n.spec?.taints ?? []).some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute"))
    .map((n) => n.metadata.name);
}

/** Why the suite cannot run against this tenant, if it cannot. */
export function conformanceProblem(tenant: string, status: string | undefined, nodes: NodeView[]): string | undefined {
  if (status !== "Ready")
    return `TenantControlPlane ${tenant} is not Ready (status ${status ?? "none"}): the suite needs a working control plane`;
  if (nodes.length === 0)
    return (
      `TenantControlPlane ${tenant} has no worker nodes, so no test pod could run: ` +
      `join two with \`npm run cluster -- join ${tenant} --workers 2\`, or leave out --tenant`
    );
  if (schedulableNodes(nodes).length === 0)
    return `TenantControlPlane ${tenant} has no Ready, schedulable node (${nodes.map((n) => n.metadata.name).join(", ")})`;
  return undefined;
}

/** Upstream's conformance profile is two schedulable nodes; fewer fails the tests that spread pods. */
export const fewNodesWarning = (tenant: string, schedulable: string[]): string | undefined =>
  schedulable.length < 2
    ? `TenantControlPlane ${tenant} has ${schedulable.length} schedulable node(s); tests that need two will fail`
    : undefined;
