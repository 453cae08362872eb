// A tenant control plane seen from the outside, through kubectl: wait for it with progress, fetch its admin
// kubeconfig, and explain why it is not Ready when waiting fails.
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { kubectl } from "../cluster/kubectl.js";
import { kamajiNamespace } from "../install/install.js";

interface TenantStatus {
  status?: {
    kubernetesResources?: { version?: { status?: string; version?: string } };
    kubeconfig?: { admin?: { secretName?: string } };
    controlPlaneEndpoint?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export interface TenantRef {
  name: string;
  namespace: string;
}

function readTenant(tenant: TenantRef, kubeconfig: string): TenantStatus {
  return JSON.parse(
    kubectl(["get", "tenantcontrolplane", tenant.name, "-n", tenant.namespace, "-o", "json"], kubeconfig),
  ) as TenantStatus;
}

/** One line saying where the tenant is: its version status and, when not reconciled, why. */
function describe(tenant: TenantStatus): string {
  const version = tenant.status?.kubernetesResources?.version?.status ?? "Pending";
  const reconciled = tenant.status?.conditions?.find((c) => c.type === "Reconciled");
  const problem = reconciled && reconciled.status !== "True" ? ` (${reconciled.reason}: ${reconciled.message})` : "";
  return `${version}${problem}`;
}

/**
 * What a user would look at next: the TCP's conditions, its events and pods, and what the operator logged about it
 * (the operator pod of the charts).
 */
function diagnostics(tenant: TenantRef, current: TenantStatus, kubeconfig: string): string {
  const attempt = (args: string[]) => {
    try {
      return kubectl(args, kubeconfig);
    } catch (error) {
      return `(kubectl ${args.slice(0, 2).join(" ")} failed: ${(error as Error).message.split("\n")[0]})`;
    }
  };
  const conditions = (current.status?.conditions ?? [])
    .map((c) => `${c.type}=${c.status} ${c.reason ?? ""}: ${c.message ?? ""}`)
    .join("\n");
  const events = attempt([
    "get",
    "events",
    "-n",
    tenant.namespace,
    "--field-selector",
    `involvedObject.name=${tenant.name}`,
  ]);
  const pods = attempt(["get", "pods", "-n", tenant.namespace, "-l", `kamaji.clastix.io/name=${tenant.name}`]);
  const key = `${tenant.namespace}/${tenant.name}`;
  const operatorLog = attempt(["logs", "-n", kamajiNamespace, "-l", "app.kubernetes.io/name=kamaji", "--tail=5000"])
    .split("\n")
    .filter((line) => line.includes(key) || line.includes(`"${tenant.name}"`))
    .slice(-40)
    .join("\n");
  return `conditions:\n${conditions}\nevents:\n${events}\npods:\n${pods}\noperator log about ${key} (last 40 lines):\n${operatorLog}`;
}

export async function waitForTenantReady(
  tenant: TenantRef,
  kubeconfig: string,
  progress: (message: string) => void,
  timeoutMs = 300_000,
): Promise<TenantStatus> {
  const begin = Date.now();
  let last = "";
  for (;;) {
    const current = readTenant(tenant, kubeconfig);
    const line = describe(current);
    if (line !== last) {
      progress(`tenant ${tenant.namespace}/${tenant.name}: ${line} (${((Date.now() - begin) / 1000).toFixed(1)} s)`);
      last = line;
    }
    if (current.status?.kubernetesResources?.version?.status === "Ready") return current;
    if (Date.now() - begin > timeoutMs) {
      throw new Error(
        `tenant ${tenant.namespace}/${tenant.name} not Ready after ${timeoutMs / 1000} s: ${line}\n` +
          diagnostics(tenant, current, kubeconfig),
      );
    }
    await sleep(1_000);
  }
}

/** Writes the tenant's admin kubeconfig (key admin.conf of its admin Secret) to `path`. */
export function writeTenantKubeconfig(tenant: TenantRef, status: TenantStatus, kubeconfig: string, path: string): void {
  const secret = status.status?.kubeconfig?.admin?.secretName ?? `${tenant.name}-admin-kubeconfig`;
  const encoded = kubectl(
    ["get", "secret", secret, "-n", tenant.namespace, "-o", "jsonpath={.data.admin\\.conf}"],
    kubeconfig,
  );
  writeFileSync(path, Buffer.from(encoded, "base64"), { mode: 0o600 });
}

/** Pods need their namespace's `default` ServiceAccount, which the tenant's controller-manager makes soon after Ready. */
export async function waitForDefaultServiceAccount(kubeconfig: string, namespace = "default"): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      kubectl(["get", "serviceaccount", "default", "-n", namespace, "-o", "name"], kubeconfig);
      return;
    } catch (error) {
      if (attempt >= 120)
        throw new Error(`no default ServiceAccount in ${namespace} after 60 s: ${(error as Error).message}`);
      await sleep(500);
    }
  }
}
