// The management cluster's control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// as host processes, shared by the api and node tiers.
import { mkdirSync } from "node:fs";
import { request } from "node:https";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { binary, kubernetesBinary } from "../upstream.js";
import type { DaemonSpec } from "./daemon.js";
import type { ClusterPki } from "./pki.js";

export interface ControlPlaneAddresses {
  /** Address the API server binds and advertises. */
  apiServerAddress: string;
  apiServerPort: number;
  etcdClientPort: number;
  etcdPeerPort: number;
  serviceCIDR: string;
  podCIDR: string;
}

export function etcdDaemon(dir: string, a: ControlPlaneAddresses, netns?: string): DaemonSpec {
  const client = `http://127.0.0.1:${a.etcdClientPort}`;
  const peer = `http://127.0.0.1:${a.etcdPeerPort}`;
  return {
    name: "etcd",
    command: binary("etcd", "etcd"),
    args: [
      "--name=local",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=local=${peer}`,
      // A throwaway development store: durability across power loss is not worth the fsync latency.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    logFile: join(dir, "etcd.log"),
    netns,
  };
}

export function apiServerDaemon(dir: string, pki: ClusterPki, a: ControlPlaneAddresses, netns?: string): DaemonSpec {
  mkdirSync(join(dir, "apiserver"), { recursive: true });
  return {
    name: "kube-apiserver",
    command: kubernetesBinary("kube-apiserver"),
    args: [
      `--etcd-servers=http://127.0.0.1:${a.etcdClientPort}`,
      `--bind-address=${a.apiServerAddress}`,
      `--advertise-address=${a.apiServerAddress}`,
      `--secure-port=${a.apiServerPort}`,
      `--cert-dir=${join(dir, "apiserver")}`,
      `--service-cluster-ip-range=${a.serviceCIDR}`,
      `--client-ca-file=${pki.caCert}`,
      `--tls-cert-file=${pki.apiServerCert}`,
      `--tls-private-key-file=${pki.apiServerKey}`,
      `--kubelet-client-certificate=${pki.kubeletClientCert}`,
      `--kubelet-client-key=${pki.kubeletClientKey}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      "--authorization-mode=Node,RBAC",
      "--allow-privileged=true",
      "--enable-bootstrap-token-auth=true",
      "--kubelet-preferred-address-types=InternalIP,Hostname",
      "--profiling=false",
    ],
    logFile: join(dir, "kube-apiserver.log"),
    netns,
  };
}

/** Flags both controllers share: one kubeconfig for everything, no leader election, no serving port. */
function localControllerArgs(kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    "--secure-port=0",
  ];
}

export function controllerManagerDaemon(
  dir: string,
  pki: ClusterPki,
  a: ControlPlaneAddresses,
  netns?: string,
): DaemonSpec {
  const kubeconfig = pki.kubeconfigs["controller-manager"] ?? "";
  return {
    name: "kube-controller-manager",
    command: kubernetesBinary("kube-controller-manager"),
    args: [
      ...localControllerArgs(kubeconfig),
      "--use-service-account-credentials=true",
      `--root-ca-file=${pki.caCert}`,
      `--service-account-private-key-file=${pki.saKey}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      `--service-cluster-ip-range=${a.serviceCIDR}`,
      `--cluster-cidr=${a.podCIDR}`,
      "--allocate-node-cidrs=false",
    ],
    logFile: join(dir, "kube-controller-manager.log"),
    netns,
  };
}

export function schedulerDaemon(dir: string, pki: ClusterPki, netns?: string): DaemonSpec {
  const kubeconfig = pki.kubeconfigs.scheduler ?? "";
  return {
    name: "kube-scheduler",
    command: kubernetesBinary("kube-scheduler"),
    args: localControllerArgs(kubeconfig),
    logFile: join(dir, "kube-scheduler.log"),
    netns,
  };
}

/** GET a path of the API server as the admin; resolves with the status code and body. */
export function apiGet(pki: ClusterPki, server: string, path: string): Promise<{ status: number; body: string }> {
  const admin = (suffix: string) => readFileSync(join(pki.dir, `admin-client.${suffix}`));
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, server),
      { ca: readFileSync(pki.caCert), cert: admin("crt"), key: admin("key"), timeout: 5000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on("error", reject);
    req.end();
  });
}
