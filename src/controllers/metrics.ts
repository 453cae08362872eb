// Upstream's kamaji_* metrics. The gauges are computed from the informer caches at scrape time, so they are never
// stale and cost nothing between scrapes.
import { Gauge, Histogram, type Registry } from "prom-client";
import type { DataStore, TenantControlPlane } from "../api/v1alpha1/kinds.js";
import type { Informer } from "../runtime/informer.js";
import { dataStoreValidationCondition } from "./datastore/conditions.js";
import { certificateState, type CertificateInventory } from "./tenantcontrolplane/certificate-inventory.js";

export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
}

/** What the gauges are computed from at scrape time. */
export interface MetricSources {
  readonly tenantControlPlanes: Informer<TenantControlPlane>;
  readonly dataStores: Informer<DataStore>;
  readonly certificates: CertificateInventory;
}

export class KamajiMetrics {
  readonly handlerTime: Histogram<"handler">;

  constructor(
    registry: Registry,
    { tenantControlPlanes, dataStores, certificates }: MetricSources,
    build: BuildInfo,
    /** --certificate-expiration-deadline: a certificate closer than this to its expiry is "expiring". */
    certificateDeadlineMs: number,
  ) {
    const registers = [registry];
    this.handlerTime = new Histogram({
      name: "kamaji_handler_time_seconds",
      help: "Time spent in each TenantControlPlane pipeline step.",
      labelNames: ["handler"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    new Gauge({
      name: "kamaji_build_info",
      help: "Build information of the running operator.",
      labelNames: ["version", "commit", "dirty", "repo", "build_time"],
      registers,
    }).set({ version: build.version, commit: build.commit, dirty: "false", repo: "kamaji", build_time: "" }, 1);

    const tcps = () => tenantControlPlanes.list();
    const dss = () => dataStores.list();
    const isReady = (tcp: TenantControlPlane) => tcp.status?.kubernetesResources?.version?.status === "Ready";
    const driverOf = (tcp: TenantControlPlane) =>
      dataStores.get(tcp.status?.storage?.dataStoreName ?? "")?.spec.driver ?? tcp.status?.storage?.driver ?? "";

    new Gauge({
      name: "kamaji_tenant_control_plane_info",
      help: "One series per TenantControlPlane with its version, datastore driver and address.",
      labelNames: [
        "tcp_namespace",
        "tcp_name",
        "kubernetes_version",
        "datastore_driver",
        "address",
        "exposure_strategy",
      ],
      registers,
      collect() {
        this.reset();
        for (const tcp of tcps()) {
          const endpoint = tcp.status?.controlPlaneEndpoint;
          this.set(
            {
              tcp_namespace: tcp.metadata.namespace ?? "",
              tcp_name: tcp.metadata.name ?? "",
              kubernetes_version: tcp.spec.kubernetes.version,
              datastore_driver: driverOf(tcp),
              address: endpoint === undefined ? "" : `https://${endpoint}`,
              exposure_strategy: tcp.spec.controlPlane.gateway !== undefined ? "gateway" : "service",
            },
            1,
          );
        }
      },
    });
    new Gauge({
      name: "kamaji_tenant_control_plane_status",
      help: "The status of each TenantControlPlane (status.kubernetesResources.version.status).",
      labelNames: ["tcp_namespace", "tcp_name", "status", "ready"],
      registers,
      collect() {
        this.reset();
        for (const tcp of tcps()) {
          this.set(
            {
              tcp_namespace: tcp.metadata.namespace ?? "",
              tcp_name: tcp.metadata.name ?? "",
              status: tcp.status?.kubernetesResources?.version?.status ?? "Unknown",
              ready: String(isReady(tcp)),
            },
            1,
          );
        }
      },
    });
    new Gauge({
      name: "kamaji_tenant_control_planes_current",
      help: "Number of TenantControlPlanes, by readiness.",
      labelNames: ["ready"],
      registers,
      collect() {
        const all = tcps();
        const ready = all.filter(isReady).length;
        this.set({ ready: "true" }, ready);
        this.set({ ready: "false" }, all.length - ready);
      },
    });
    new Gauge({
      name: "kamaji_datastore_info",
      help: "One series per DataStore with its driver.",
      labelNames: ["datastore_name", "driver"],
      registers,
      collect() {
        this.reset();
        for (const ds of dss()) this.set({ datastore_name: ds.metadata.name ?? "", driver: ds.spec.driver }, 1);
      },
    });
    new Gauge({
      name: "kamaji_datastore_status",
      help: "The validation condition of each DataStore.",
      labelNames: ["datastore_name", "status", "ready"],
      registers,
      collect() {
        this.reset();
        for (const ds of dss()) {
          const condition = ds.status?.conditions?.find((c) => c.type === dataStoreValidationCondition);
          this.set(
            {
              datastore_name: ds.metadata.name ?? "",
              status: condition?.status ?? "Unknown",
              ready: String(ds.status?.ready === true),
            },
            1,
          );
        }
      },
    });
    new Gauge({
      name: "kamaji_datastores_current",
      help: "DataStores, by name, readiness and driver.",
      labelNames: ["datastore_name", "ready", "driver"],
      registers,
      collect() {
        this.reset();
        for (const ds of dss()) {
          this.set(
            {
              datastore_name: ds.metadata.name ?? "",
              ready: String(ds.status?.ready === true),
              driver: ds.spec.driver,
            },
            1,
          );
        }
      },
    });
    new Gauge({
      name: "kamaji_certificates_current",
      help: "Certificate and kubeconfig Secrets of the TenantControlPlanes, by state (valid, expiring, invalid).",
      labelNames: ["tcp_namespace", "tcp_name", "status", "strategy"],
      registers,
      collect() {
        this.reset();
        const now = new Date();
        for (const [key, tracked] of certificates.entries()) {
          const [namespace = "", name = ""] = key.split("/");
          // One per Secret, as upstream: a kubeconfig Secret holding several files counts by its earliest expiry.
          const earliest = new Map<string, { strategy: string; notAfter: Date }>();
          for (const { secret, strategy, notAfter } of tracked) {
            if (strategy === undefined) continue;
            const seen = earliest.get(secret);
            if (seen === undefined || notAfter < seen.notAfter) earliest.set(secret, { strategy, notAfter });
          }
          for (const { strategy, notAfter } of earliest.values()) {
            const labels = {
              tcp_namespace: namespace,
              tcp_name: name,
              status: certificateState(notAfter, now, certificateDeadlineMs),
              strategy,
            };
            this.inc(labels);
          }
        }
      },
    });
    new Gauge({
      name: "kamaji_tenant_control_plane_certificate_expiry_seconds",
      help: "Seconds until the earliest expiry among a TenantControlPlane's certificates, CAs included (ours).",
      labelNames: ["tcp_namespace", "tcp_name", "secret"],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const [key] of certificates.entries()) {
          const earliest = certificates.earliestExpiry(key);
          if (earliest === undefined) continue;
          const [namespace = "", name = ""] = key.split("/");
          const labels = { tcp_namespace: namespace, tcp_name: name, secret: earliest.secret };
          this.set(labels, (earliest.notAfter.getTime() - now) / 1000);
        }
      },
    });
  }
}
