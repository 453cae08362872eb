// The admin / super-admin, controller-manager and scheduler kubeconfigs, in upstream's Secrets and keys. A stored
// kubeconfig is kept while it names the right server, embeds the current CA and holds a valid client certificate.
import {
  certificateProblems,
  encodeCertificateAndKey,
  generateKeyPair,
  issueTenantCertificate,
  loadCertificateAndKey,
  type TenantCertificateName,
} from "../../pki/index.js";
import {
  buildCertificateKubeconfig,
  parseKubeconfig,
  renderKubeconfig,
  type Kubeconfig,
} from "../../kubeconfig/index.js";
import { secretDataChecksum } from "../../resources/checksum.js";
import type { ComponentSecret } from "../../resources/deployment/input.js";
import { certificateLifecycleLabel } from "../../resources/labels.js";
import { joinHostPort } from "../../resources/service.js";
import {
  leafValidityMs,
  renewBefore,
  type PipelineContext,
  type PipelineStep,
  type TenantAuthority,
} from "./context.js";
import { applySecret, decodeData, readSecret, secretStatus, type SecretStatus } from "./objects.js";
import { rotationReason } from "./rotation.js";

interface KubeconfigFile {
  /** Secret key, e.g. admin.conf. */
  readonly key: string;
  readonly profile: TenantCertificateName;
  /** Further keys with the same credentials and another server, e.g. admin.svc. */
  readonly variants?: readonly { readonly key: string; readonly server: (c: PipelineContext) => string }[];
  readonly server: (c: PipelineContext) => string;
}

export const localServer = (c: PipelineContext) => `https://${joinHostPort("127.0.0.1", endpointOf(c).port)}`;
const advertisedServer = (c: PipelineContext) => `https://${kubeadmEndpoint(c)}`;
const serviceServer = (c: PipelineContext) =>
  `https://${c.tcp.metadata.name ?? ""}.${c.tcp.metadata.namespace ?? ""}.svc:${endpointOf(c).port}`;

function endpointOf(context: PipelineContext) {
  if (context.endpoint === undefined) throw new Error("kubeconfig: the Service address must be resolved first");
  return context.endpoint;
}

// kubeadm's controlPlaneEndpoint: the advertise address wins over the Service address.
function kubeadmEndpoint(context: PipelineContext): string {
  const { address, port } = endpointOf(context);
  const advertise = context.tcp.spec.networkProfile?.advertiseAddress;
  return joinHostPort(advertise !== undefined && advertise !== "" ? advertise : address, port);
}

/** The expiry of the kubeconfig's client certificate when the kubeconfig is still good, else undefined. */
async function validKubeconfigExpiry(
  text: string | undefined,
  server: string,
  ca: TenantAuthority,
  context: PipelineContext,
): Promise<Date | undefined> {
  if (text === undefined) return undefined;
  try {
    const config = parseKubeconfig(text);
    const cluster = config.clusters[0];
    const user = config.users[0];
    if (cluster?.server !== server || cluster.certificateAuthorityPem.trim() !== ca.trustPem.trim()) {
      return undefined;
    }
    if (user === undefined) return undefined;
    const pair = await loadCertificateAndKey(
      { certificatePem: user.clientCertificatePem, privateKeyPem: user.clientKeyPem },
      "kubeconfig",
    );
    const problems = certificateProblems(pair.certificate, {
      now: context.now,
      expiryThresholdMs: context.options.certificateExpirationDeadlineMs,
      signedBy: ca.signer.certificate,
    });
    return problems.length === 0 ? pair.certificate.notAfter : undefined;
  } catch {
    return undefined;
  }
}

async function issueKubeconfig(
  context: PipelineContext,
  ca: TenantAuthority,
  profile: TenantCertificateName,
  server: string,
): Promise<{ config: Kubeconfig; notAfter: Date }> {
  const key = await generateKeyPair(context.options.keyAlgorithm);
  const pair = await issueTenantCertificate(profile, ca.signer, key, {
    now: context.now,
    validityMs: leafValidityMs(context, profile),
  });
  const issued = encodeCertificateAndKey(pair);
  const config = buildCertificateKubeconfig({
    clusterName: context.tcp.metadata.name ?? "",
    server,
    certificateAuthorityPem: ca.trustPem,
    userName: pair.certificate.commonName,
    clientCertificatePem: issued.certificatePem,
    clientKeyPem: issued.privateKeyPem,
  });
  return { config, notAfter: pair.certificate.notAfter };
}

/** Where a kubeconfig Secret's status goes: its previous value, and how to write the new one. */
interface StatusSlot {
  read(context: PipelineContext): SecretStatus | undefined;
  write(context: PipelineContext, value: SecretStatus): void;
}

const kubeconfigStatus = (key: "admin" | "controllerManager" | "scheduler"): StatusSlot => ({
  read: (context) => context.status.kubeconfig?.[key],
  write: (context, value) => {
    (context.status.kubeconfig ??= {})[key] = value;
  },
});

export function kubeconfigStep(
  stepName: string,
  secretName: (c: PipelineContext) => string,
  files: readonly KubeconfigFile[],
  status: StatusSlot,
  component?: ComponentSecret,
): PipelineStep {
  return {
    name: stepName,
    async run(context) {
      const ca = context.ca;
      if (ca === undefined) throw new Error(`${stepName}: the CA must be resolved first`);
      const name = secretName(context);
      const stored = await readSecret(context, name);
      const data = decodeData(stored);
      const rotation = rotationReason(context, stored);
      const payload: Record<string, string> = {};
      for (const file of files) {
        const server = file.server(context);
        const keys = [
          { key: file.key, server },
          ...(file.variants ?? []).map((v) => ({ key: v.key, server: v.server(context) })),
        ];
        const expiries = await Promise.all(
          keys.map(({ key, server: expected }) => validKubeconfigExpiry(data[key], expected, ca, context)),
        );
        if (rotation === undefined && expiries.every((expiry) => expiry !== undefined)) {
          for (const { key } of keys) payload[key] = data[key] ?? "";
          for (const expiry of expiries) renewBefore(context, expiry, name, "kubeconfig");
          continue;
        }
        const { config, notAfter } = await issueKubeconfig(context, ca, file.profile, server);
        renewBefore(context, notAfter, name, "kubeconfig");
        for (const { key, server: variantServer } of keys) {
          payload[key] = renderKubeconfig({
            ...config,
            clusters: config.clusters.map((cluster) => ({ ...cluster, server: variantServer })),
          });
        }
      }
      const { object, changed } = await applySecret(context, name, stepName, payload, stored, {
        labels: { [certificateLifecycleLabel]: "kubeconfig" },
      });
      if (component !== undefined) context.secretChecksums[component] = secretDataChecksum(object.data);
      status.write(context, secretStatus(context, object, changed, status.read(context)));
    },
  };
}

export const adminKubeconfigStep = kubeconfigStep(
  "admin-kubeconfig",
  (c) => c.names.adminKubeconfig,
  [
    {
      key: "admin.conf",
      profile: "admin",
      server: advertisedServer,
      variants: [{ key: "admin.svc", server: serviceServer }],
    },
    {
      key: "super-admin.conf",
      profile: "superAdmin",
      server: advertisedServer,
      variants: [{ key: "super-admin.svc", server: serviceServer }],
    },
  ],
  kubeconfigStatus("admin"),
);

export const controllerManagerKubeconfigStep = kubeconfigStep(
  "controller-manager-kubeconfig",
  (c) => c.names.controllerManagerKubeconfig,
  [{ key: "controller-manager.conf", profile: "controllerManager", server: localServer }],
  kubeconfigStatus("controllerManager"),
  "controller-manager-kubeconfig",
);

export const schedulerKubeconfigStep = kubeconfigStep(
  "scheduler-kubeconfig",
  (c) => c.names.schedulerKubeconfig,
  [{ key: "scheduler.conf", profile: "scheduler", server: localServer }],
  kubeconfigStatus("scheduler"),
  "scheduler-kubeconfig",
);
