// The images on a tenant's worker machines: what every worker runs, imported at join, and more on demand (the
// conformance suite's), imported into each worker of the tenant under the upstream names pods ask for.
import {
  busyboxImage,
  corednsImage,
  konnectivityImages,
  kubeProxyImage,
  pauseImage,
  testImage,
} from "../../images/catalog.js";
import { importImages } from "../../images/containerd-import.js";
import type { ImageSpec } from "../../images/oci-image.js";
import { tenantRelease } from "../../upstream.js";
import { loadState } from "../state.js";
import { workerContainerdSocket } from "./machine.js";

/** What the workers of a tenant of `tenantVersion`'s minor run (kube-proxy, CoreDNS, konnectivity agent). */
export function tenantWorkerImages(tenantVersion: string): ImageSpec[] {
  const release = tenantRelease(tenantVersion);
  return [
    kubeProxyImage(release.kubernetes),
    corednsImage(release.coredns),
    ...konnectivityImages(release.konnectivity),
  ];
}

/** What every worker of a tenant of `tenantVersion` runs. */
export function workerImages(tenantVersion: string): ImageSpec[] {
  return [pauseImage(), ...tenantWorkerImages(tenantVersion), busyboxImage(), testImage()];
}

/** Imports `specs` into every worker of `tenant` (namespace/name); returns how many images each one lacked. */
export async function importIntoTenantWorkers(
  clusterDir: string,
  tenant: string,
  specs: ImageSpec[],
): Promise<Map<string, number>> {
  const workers = (loadState(clusterDir)?.workers ?? []).filter((w) => w.tenant === tenant);
  const imported = await Promise.all(workers.map((w) => importImages(workerContainerdSocket(w), specs)));
  return new Map(workers.map((w, i) => [w.name, imported[i]?.length ?? 0]));
}
