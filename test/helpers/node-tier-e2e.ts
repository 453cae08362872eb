// What the e2e suites on the node tier share: whether they can run here, and the reuse switch.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { kubectl } from "../../tools/cluster/kubectl.js";
import type { ClusterState } from "../../tools/cluster/state.js";
import { kamajiNamespace } from "../../tools/install/install.js";
import { nodeTierDefaults } from "../../tools/cluster/node-tier.js";
import { binary, tenantRelease, versions } from "../../tools/upstream.js";

/** KAMAJI_E2E_REUSE_CLUSTER=1: run against the development cluster that is up, and leave it up. */
export const reuseCluster = process.env.KAMAJI_E2E_REUSE_CLUSTER === "1";

/**
 * Why a node-tier suite cannot run on this machine, if it cannot: not root, no containerd, another node tier up
 * (one at a time: its network namespace has a fixed name) unless reusing it, or a binary `needs` throws for.
 */
export function nodeTierSkipReason(needs: (() => unknown)[], reuse = reuseCluster): string | undefined {
  if (process.getuid?.() !== 0) return "needs root";
  if (!existsSync("/usr/bin/containerd")) return "containerd is not installed";
  if (!reuse && existsSync(`/var/run/netns/${nodeTierDefaults.netns}`)) return "another node-tier cluster is running";
  try {
    for (const need of needs) need();
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/**
 * The konnectivity version a tenant of `version` must name here: none when the operator's default (`v0.<minor>.0`)
 * is built, else the table's release (the module proxy serves no v0.35.x or v0.37.x).
 */
export function konnectivityVersionFor(version: string): string | undefined {
  const release = tenantRelease(version).konnectivity;
  const minor = /^v?\d+\.(\d+)/.exec(version)?.[1];
  return release === `v0.${minor}.0` ? undefined : release;
}

/** A tenant workers can join: API server and konnectivity server as NodePorts on the node's address. */
export function joinableTenantManifest(
  namespace: string,
  name: string,
  apiPort: number,
  konnectivityPort: number,
  options: { version?: string; controllerManagerArgs?: string[] } = {},
) {
  const version = options.version ?? versions.kubernetes;
  const konnectivity = konnectivityVersionFor(version);
  const pinned = konnectivity === undefined ? {} : { version: konnectivity };
  return {
    apiVersion: "kamaji.clastix.io/v1alpha1",
    kind: "TenantControlPlane",
    metadata: { name, namespace },
    spec: {
      controlPlane: {
        deployment: {
          replicas: 1,
          ...(options.controllerManagerArgs === undefined
            ? {}
            : { extraArgs: { controllerManager: options.controllerManagerArgs } }),
        },
        service: { serviceType: "NodePort" },
      },
      kubernetes: {
        version,
        kubelet: { preferredAddressTypes: ["InternalIP", "Hostname"] },
      },
      networkProfile: { address: nodeTierDefaults.nodeAddress, port: apiPort },
      addons: {
        coreDNS: {},
        kubeProxy: {},
        konnectivity: { server: { port: konnectivityPort, ...pinned }, agent: { mode: "DaemonSet", ...pinned } },
      },
    },
  };
}

/** etcdctl against the chart's etcd (the `default` DataStore) as its root client. */
export function chartEtcdctl(state: ClusterState): (args: string[]) => string {
  const admin = (args: string[]) => kubectl(args, state.kubeconfig);
  const podIP = admin(["get", "pod", "kamaji-etcd-0", "-n", kamajiNamespace, "-o", "jsonpath={.status.podIP}"]);
  const secret = JSON.parse(
    admin(["get", "secret", "kamaji-etcd-root-client-certs", "-n", kamajiNamespace, "-o", "json"]),
  ) as { data: Record<string, string> };
  const files = join(state.dir, "e2e-etcd-client");
  mkdirSync(files, { recursive: true });
  for (const key of ["ca.crt", "tls.crt", "tls.key"]) {
    writeFileSync(join(files, key), Buffer.from(secret.data[key] ?? "", "base64"), { mode: 0o600 });
  }
  return (args) =>
    execFileSync(
      binary("etcd", "etcdctl"),
      [
        `--endpoints=https://${podIP}:2379`,
        `--cacert=${join(files, "ca.crt")}`,
        `--cert=${join(files, "tls.crt")}`,
        `--key=${join(files, "tls.key")}`,
        // The server certificate names the Service, not the pod IP dialled here.
        "--insecure-skip-tls-verify",
        ...args,
      ],
      { encoding: "utf8" },
    );
}
