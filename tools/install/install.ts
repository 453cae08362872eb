// Installs Kamaji into a management cluster the way a user would: the operator image imported into the node's
// containerd, then the kamaji-crds and kamaji charts with the real helm binary. Re-running with nothing changed
// changes nothing: a chart is upgraded only when its server-side rendering differs from what is installed.
import { chmodSync, chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { containerdSocket, nodeTierDefaults } from "../cluster/node-tier.js";
import { kubectl, kubectlApply, runWithKubeconfig } from "../cluster/kubectl.js";
import { waitFor } from "../cluster/wait.js";
import type { ClusterState } from "../cluster/state.js";
import { imageDigest, importImages } from "../images/containerd-import.js";
import { operatorImage, operatorImageRepository, operatorImageTag } from "../images/operator-image.js";
import { binary, repoDir } from "../upstream.js";

export const kamajiNamespace = "kamaji-system";
/** The operator and the etcd run as this user (charts/kamaji); a hostPath data directory must belong to it. */
const chartUser = 65532;

interface Release {
  name: string;
  chart: string;
  values: string[];
}

export interface InstallOptions {
  progress: (message: string) => void;
  /** Extra `--set` values for the kamaji chart. */
  values?: string[];
}

const helm = (args: string[], kubeconfig: string) => runWithKubeconfig(binary("helm", "helm"), args, kubeconfig);
export { kubectl, kubectlApply };

/** The manifest helm would apply now, rendered against the cluster (so `lookup` sees the existing certificates). */
function renderedManifest(release: Release, kubeconfig: string): string {
  const args = ["upgrade", release.name, release.chart, "-n", kamajiNamespace, "--dry-run=server", "-o", "json"];
  const output = JSON.parse(helm([...args, ...release.values], kubeconfig)) as { manifest?: string };
  return output.manifest ?? "";
}

function installedManifest(release: Release, kubeconfig: string): string | undefined {
  const status = helm(["list", "-n", kamajiNamespace, "-o", "json", "--filter", `^${release.name}$`], kubeconfig);
  const [found] = JSON.parse(status) as { status: string }[];
  if (found?.status !== "deployed") return undefined;
  return helm(["get", "manifest", release.name, "-n", kamajiNamespace], kubeconfig);
}

function upgradeIfChanged(release: Release, kubeconfig: string, progress: (message: string) => void): void {
  const installed = installedManifest(release, kubeconfig);
  if (installed !== undefined && installed.trim() === renderedManifest(release, kubeconfig).trim()) {
    progress(`helm release ${release.name} is up to date`);
    return;
  }
  progress(`helm ${installed === undefined ? "install" : "upgrade"} ${release.name}`);
  const begin = Date.now();
  helm(
    ["upgrade", "--install", release.name, release.chart, "-n", kamajiNamespace, "--wait", "--timeout", "5m"].concat(
      release.values,
    ),
    kubeconfig,
  );
  progress(`helm release ${release.name} ready in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
}

const localStorageClass = "kamaji-local";

/**
 * The node tier has no volume provisioner: the etcd's claim binds to a local PersistentVolume in the cluster
 * directory, made for it (a hostPath volume in the pod would break restricted pod security).
 */
function localEtcdVolume(state: ClusterState): unknown {
  const path = join(state.dir, "kamaji-etcd");
  mkdirSync(path, { recursive: true });
  chownSync(path, chartUser, chartUser);
  chmodSync(path, 0o700);
  return {
    apiVersion: "v1",
    kind: "List",
    items: [
      {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: localStorageClass },
        provisioner: "kubernetes.io/no-provisioner",
        volumeBindingMode: "WaitForFirstConsumer",
      },
      {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: "kamaji-etcd-data" },
        spec: {
          capacity: { storage: "8Gi" },
          accessModes: ["ReadWriteOnce"],
          persistentVolumeReclaimPolicy: "Retain",
          storageClassName: localStorageClass,
          local: { path },
          claimRef: { namespace: kamajiNamespace, name: "data-kamaji-etcd-0" },
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: "kubernetes.io/hostname", operator: "In", values: [nodeTierDefaults.nodeName] },
                  ],
                },
              ],
            },
          },
        },
      },
    ],
  };
}

/** Builds and imports the operator image, then installs or upgrades both charts; returns when the operator is ready. */
export async function installKamaji(state: ClusterState, options: InstallOptions): Promise<void> {
  const { progress } = options;
  const { kubeconfig } = state;
  progress("building the operator image");
  const image = operatorImage();
  const imported = await importImages(containerdSocket(state.dir), [image]);
  progress(imported.length > 0 ? `imported ${imported.join(", ")}` : "the operator image is already imported");

  // Restricted pod security for everything Kamaji runs in its namespace.
  const namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: kamajiNamespace, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
  };
  kubectlApply(JSON.stringify(namespace), kubeconfig);

  kubectlApply(JSON.stringify(localEtcdVolume(state)), kubeconfig);

  upgradeIfChanged(
    { name: "kamaji-crds", chart: join(repoDir, "charts/kamaji-crds"), values: [] },
    kubeconfig,
    progress,
  );
  const values = [
    `image.repository=${operatorImageRepository}`,
    `image.tag=${operatorImageTag}`,
    // A rebuilt image keeps its tag: the digest in the pod template rolls the operator onto it.
    `podAnnotations.kamaji\\.clastix\\.io/image-digest=${await imageDigest(image)}`,
    `etcd.persistence.storageClassName=${localStorageClass}`,
    ...(options.values ?? []),
  ].flatMap((value) => ["--set", value]);
  upgradeIfChanged({ name: "kamaji", chart: join(repoDir, "charts/kamaji"), values }, kubeconfig, progress);
  await waitForDataStore("default", kubeconfig, progress);
}

/** The chart's DataStore turns ready once its etcd runs with auth enabled and the operator has checked it. */
async function waitForDataStore(name: string, kubeconfig: string, progress: (message: string) => void) {
  const begin = Date.now();
  const ready = () => kubectl(["get", "datastore", name, "-o", "jsonpath={.status.ready}"], kubeconfig) === "true";
  if (ready()) return;
  progress(`waiting for DataStore ${name}`);
  await waitFor(`DataStore ${name} to be ready`, () => (ready() ? true : undefined), 180_000, 1_000);
  progress(`DataStore ${name} ready in ${((Date.now() - begin) / 1000).toFixed(1)} s`);
}
