// `kamaji manager`: the operator. Flags follow upstream's names and defaults where they apply (reference §9).
import { Command, Option } from "commander";
import { KubeClient } from "../runtime/kube-client.js";
import { createLogger, type LogLevel } from "../runtime/logger.js";
import { parseBindAddress } from "../runtime/http-server.js";
import { createKamajiManager, type KamajiManagerOptions } from "../controllers/setup.js";
import type { KeyAlgorithm } from "../pki/index.js";
import type { ImagePullPolicy } from "../resources/deployment/input.js";
import { parseDuration } from "./duration.js";

/** The kine image the control planes use by default; hack/versions.json pins the same version. */
export const defaultKineImage = "docker.io/rancher/kine:v0.17.5";
const minimumExpirationDeadlineMs = 24 * 3_600_000;
/** Below Node's timer limit (~24.8 days), which an interval must not exceed. */
const MAX_RESYNC_PERIOD_MS = 24 * 24 * 3_600_000;

export interface ManagerFlags {
  kubeconfig?: string;
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  leaderElect: string;
  podNamespace?: string;
  datastore: string;
  maxConcurrentTcpReconciles: string;
  controllerReconcileTimeout: string;
  cacheResyncPeriod: string;
  certificateExpirationDeadline: string;
  certificateValidityPeriod: string;
  caCertificateValidityPeriod: string;
  serviceAccountKeyGracePeriod: string;
  certificateAuthorityGracePeriod: string;
  certificateKeyAlgorithm: string;
  kineImage: string;
  migrateImage?: string;
  serviceaccountName?: string;
  imagePullPolicy: string;
  logLevel: string;
  webhookPort: string;
  webhookServiceName: string;
  webhookServingSecret: string;
  mutatingWebhookConfiguration: string;
  validatingWebhookConfiguration: string;
}

export type ManagerSettings = Omit<KamajiManagerOptions, "client" | "log"> & {
  readonly kubeconfig?: string;
  readonly logLevel: LogLevel;
};

const oneOf = <T extends string>(value: string, allowed: readonly T[], flag: string): T => {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${flag}: ${JSON.stringify(value)} is not one of ${allowed.join(", ")}`);
  }
  return value as T;
};

/** Validates the flags; every error names the flag and the accepted values. */
export function managerSettings(flags: ManagerFlags, version: string): ManagerSettings {
  const leaderElect = oneOf(flags.leaderElect, ["true", "false"], "--leader-elect") === "true";
  if (leaderElect && !flags.podNamespace) {
    throw new Error("--pod-namespace (or $POD_NAMESPACE) is required with --leader-elect=true: it holds the lease");
  }
  const workers = Number(flags.maxConcurrentTcpReconciles);
  if (!Number.isInteger(workers) || workers < 1) {
    throw new Error(
      `--max-concurrent-tcp-reconciles: expected a whole number ≥ 1, got ${flags.maxConcurrentTcpReconciles}`,
    );
  }
  const reconcileTimeoutMs = parseDuration(flags.controllerReconcileTimeout, "--controller-reconcile-timeout");
  if (reconcileTimeoutMs <= 0) throw new Error("--controller-reconcile-timeout: must be greater than 0");
  const cacheResyncPeriodMs = parseDuration(flags.cacheResyncPeriod, "--cache-resync-period");
  if (cacheResyncPeriodMs <= 0 || cacheResyncPeriodMs > MAX_RESYNC_PERIOD_MS) {
    throw new Error(
      `--cache-resync-period: must be greater than 0 and at most 576h (24 days), got ${flags.cacheResyncPeriod}`,
    );
  }
  const deadline = parseDuration(flags.certificateExpirationDeadline, "--certificate-expiration-deadline");
  if (deadline < minimumExpirationDeadlineMs) {
    throw new Error(
      `--certificate-expiration-deadline: must be at least 24h, got ${flags.certificateExpirationDeadline}`,
    );
  }
  const certificateValidityMs = parseDuration(flags.certificateValidityPeriod, "--certificate-validity-period");
  const caCertificateValidityMs = parseDuration(flags.caCertificateValidityPeriod, "--ca-certificate-validity-period");
  if (deadline >= certificateValidityMs) {
    // Every certificate would be due the moment it is issued: renewed on every reconcile.
    throw new Error(
      `--certificate-expiration-deadline: must be shorter than --certificate-validity-period (${flags.certificateValidityPeriod}), got ${flags.certificateExpirationDeadline}`,
    );
  }
  const serviceAccountKeyGraceMs = parseDuration(
    flags.serviceAccountKeyGracePeriod,
    "--service-account-key-grace-period",
  );
  if (caCertificateValidityMs < certificateValidityMs) {
    throw new Error(
      `--ca-certificate-validity-period: must be at least --certificate-validity-period (${flags.certificateValidityPeriod}), got ${flags.caCertificateValidityPeriod}`,
    );
  }
  const certificateAuthorityGraceMs = parseDuration(
    flags.certificateAuthorityGracePeriod,
    "--certificate-authority-grace-period",
  );
  if (certificateAuthorityGraceMs + deadline >= caCertificateValidityMs) {
    // A CA rotates by itself once it has no more than the grace period and the deadline left: a new one would too.
    throw new Error(
      `--certificate-authority-grace-period: with --certificate-expiration-deadline (${flags.certificateExpirationDeadline}) it must be shorter than --ca-certificate-validity-period (${flags.caCertificateValidityPeriod}), got ${flags.certificateAuthorityGracePeriod}`,
    );
  }
  const webhookPort = Number(flags.webhookPort);
  if (!Number.isInteger(webhookPort) || webhookPort < 0 || webhookPort > 65535) {
    throw new Error(`--webhook-port: expected a port number, or 0 to disable the webhooks, got ${flags.webhookPort}`);
  }
  if (webhookPort > 0 && !flags.podNamespace) {
    throw new Error("--pod-namespace (or $POD_NAMESPACE) is required with the webhooks: it holds their certificate");
  }
  const health = parseBindAddress(flags.healthProbeBindAddress, "--health-probe-bind-address");
  const metrics = parseBindAddress(flags.metricsBindAddress, "--metrics-bind-address");
  return {
    ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }),
    logLevel: oneOf(flags.logLevel, ["debug", "info", "warn", "error"] as const, "--log-level"),
    fieldManager: "kamaji",
    version,
    maxConcurrentReconciles: workers,
    reconcileTimeoutMs,
    cacheResyncPeriodMs,
    certificateExpirationDeadlineMs: deadline,
    certificateValidityMs,
    caCertificateValidityMs,
    serviceAccountKeyGraceMs,
    certificateAuthorityGraceMs,
    keyAlgorithm: oneOf<KeyAlgorithm>(flags.certificateKeyAlgorithm, ["RSA", "ECDSA"], "--certificate-key-algorithm"),
    kineImage: flags.kineImage,
    imagePullPolicy: oneOf<ImagePullPolicy>(
      flags.imagePullPolicy,
      ["Always", "IfNotPresent", "Never"],
      "--image-pull-policy",
    ),
    ...(flags.datastore === "" ? {} : { defaultDataStore: flags.datastore }),
    ...(leaderElect && flags.podNamespace ? { leaderElectionNamespace: flags.podNamespace } : {}),
    ...(webhookPort > 0 && flags.podNamespace
      ? {
          webhook: {
            port: webhookPort,
            namespace: flags.podNamespace,
            serviceName: flags.webhookServiceName,
            secretName: flags.webhookServingSecret,
            mutatingWebhookConfiguration: flags.mutatingWebhookConfiguration,
            validatingWebhookConfiguration: flags.validatingWebhookConfiguration,
          },
        }
      : {}),
    ...(flags.podNamespace && flags.migrateImage && flags.serviceaccountName
      ? {
          migration: {
            namespace: flags.podNamespace,
            image: flags.migrateImage,
            serviceAccountName: flags.serviceaccountName,
          },
        }
      : {}),
    ...(health === undefined ? {} : { healthAddress: health }),
    ...(metrics === undefined ? {} : { metricsAddress: metrics }),
  };
}

export function managerCommand(version: string): Command {
  return new Command("manager")
    .description("Run the operator: reconcile TenantControlPlanes and DataStores.")
    .option(
      "--kubeconfig <path>",
      "kubeconfig of the management cluster (default: $KUBECONFIG, ~/.kube/config or in-cluster)",
    )
    .option("--metrics-bind-address <address>", "address of /metrics, or 0 to disable", ":8080")
    .option("--health-probe-bind-address <address>", "address of /healthz and /readyz, or 0 to disable", ":8081")
    .addOption(new Option("--leader-elect <bool>", "elect a leader so that several replicas are safe").default("true"))
    .option("--pod-namespace <namespace>", "namespace of the leader-election lease", process.env.POD_NAMESPACE)
    .option("--datastore <name>", "DataStore for TenantControlPlanes that name none", "")
    .option("--max-concurrent-tcp-reconciles <n>", "TenantControlPlanes reconciled at once (upstream default: 1)", "4")
    .option("--controller-reconcile-timeout <duration>", "deadline of one reconcile", "30s")
    .option("--cache-resync-period <duration>", "how often every TenantControlPlane is reconciled anyway", "10h")
    .option("--certificate-validity-period <duration>", "lifetime of leaf certificates and kubeconfigs", "8760h")
    .option("--ca-certificate-validity-period <duration>", "lifetime of the tenant CAs", "87600h")
    .option(
      "--service-account-key-grace-period <duration>",
      "how long a replaced service-account key still verifies tokens",
      "24h",
    )
    .option(
      "--certificate-authority-grace-period <duration>",
      "how long a replaced tenant CA stays trusted once the new one signs",
      "8760h",
    )
    .option("--certificate-expiration-deadline <duration>", "renew certificates expiring within this (≥ 24h)", "24h")
    .addOption(
      new Option("--certificate-key-algorithm <algorithm>", "key type of the tenant certificates")
        .choices(["RSA", "ECDSA"])
        .default("ECDSA"),
    )
    .option("--kine-image <image>", "kine image for SQL and NATS DataStores", defaultKineImage)
    .option(
      "--migrate-image <image>",
      "image of the DataStore migration Jobs (this operator's image); with --serviceaccount-name and --pod-namespace, a changed spec.dataStore migrates",
    )
    .option("--serviceaccount-name <name>", "ServiceAccount the migration Jobs run as (this operator's)")
    .option(
      "--image-pull-policy <policy>",
      "pull policy of the control-plane containers (upstream forces Always)",
      "IfNotPresent",
    )
    .option("--log-level <level>", "debug, info, warn or error", "info")
    .option("--webhook-port <port>", "port of the admission webhook server, or 0 to disable it", "9443")
    .option("--webhook-service-name <name>", "Service in front of the webhook server", "kamaji-webhook-service")
    .option(
      "--webhook-serving-secret <name>",
      "Secret holding the webhook serving certificate",
      "kamaji-webhook-serving",
    )
    .option(
      "--mutating-webhook-configuration <name>",
      "MutatingWebhookConfiguration whose caBundle is kept in step",
      "kamaji-mutating-webhook-configuration",
    )
    .option(
      "--validating-webhook-configuration <name>",
      "ValidatingWebhookConfiguration whose caBundle is kept in step",
      "kamaji-validating-webhook-configuration",
    )
    .action(async (flags: ManagerFlags) => {
      await runManager(managerSettings(flags, version));
    });
}

async function runManager(settings: ManagerSettings): Promise<void> {
  const log = createLogger(settings.logLevel);
  const client = KubeClient.load(settings.kubeconfig);
  const kamaji = createKamajiManager({ ...settings, client, log });
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, "shutting down");
    stop.abort();
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  log.info({ identity: kamaji.identity, server: client.server, version: settings.version }, "starting the manager");
  const outcome = await kamaji.run(stop.signal);
  client.close();
  // Another replica leads now: exiting (and being restarted) is what keeps two leaders from ever overlapping.
  if (outcome === "leadership-lost") process.exitCode = 1;
}
