// The tenant's CAs, service-account key and control-plane certificates, each in its own Secret with upstream's
// keys. A stored certificate is kept while it is valid (key matches, signed by the current CA, not expiring within
// the deadline, SANs present); otherwise a new one is issued.
import {
  TENANT_AUTHORITY_COMMON_NAMES,
  certificateProblems,
  createCertificateAuthority,
  crossSignAuthority,
  encodeCertificateAndKey,
  encodeServiceAccountKeyPair,
  generateKeyPair,
  issueTenantCertificate,
  loadCertificateAndKey,
  loadCertificateAuthority,
  loadServiceAccountKeyPair,
  parseCertificatePem,
  type TenantAuthorityName,
  type TenantCertificateName,
} from "../../pki/index.js";
import { apiServerSubjectAltNames } from "../../resources/api-server-sans.js";
import { secretDataChecksum } from "../../resources/checksum.js";
import type { ComponentSecret } from "../../resources/deployment/input.js";
import { certificateLifecycleLabel } from "../../resources/labels.js";
import {
  leafValidityMs,
  lookAgainAt,
  renewBefore,
  rolledOutWith,
  type PipelineContext,
  type PipelineStep,
} from "./context.js";
import { planAuthority, type AuthorityMaterial, type AuthorityPlan } from "./authority-rotation.js";
import { planServiceAccountKeys } from "./service-account-rotation.js";
import { applySecret, decodeData, readSecret, secretStatus } from "./objects.js";
import { ReconcileProblem } from "./problem.js";
import { joinPem, rotationReason, rotationStageAnnotation } from "./rotation.js";

async function tryLoad<T>(load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch {
    return undefined;
  }
}

/**
 * Loads the trust anchor kept in an existing Secret (a CA, the service-account key). Broken content is refused, not
 * replaced: a new one would silently invalidate every certificate, kubeconfig or token of the tenant and cut its
 * nodes off. Deleting the Secret is how a user asks for a new one, knowing that.
 */
async function loadTrustAnchor<T>(secretName: string, what: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ReconcileProblem(
      "CertificateAuthorityInvalid",
      `Secret ${secretName} holds an unusable ${what} (${reason}); restore it, or delete the Secret to have a new one made (every certificate, kubeconfig and token of the tenant is then re-issued and its nodes must be given the new one)`,
      undefined,
      { cause: error },
    );
  }
}

const authoritySteps: Record<
  TenantAuthorityName,
  { secret: (c: PipelineContext) => string; crt: string; key: string; status: "ca" | "frontProxyCA" }
> = {
  ca: { secret: (c) => c.names.ca, crt: "ca.crt", key: "ca.key", status: "ca" },
  frontProxyCa: {
    secret: (c) => c.names.frontProxyCa,
    crt: "front-proxy-ca.crt",
    key: "front-proxy-ca.key",
    status: "frontProxyCA",
  },
};

/** The PKI operations a CA rotation plan needs (see authority-rotation.ts). */
function authorityMaterial(context: PipelineContext, name: TenantAuthorityName, secretName: string): AuthorityMaterial {
  return {
    create: async () =>
      createCertificateAuthority({
        commonName: TENANT_AUTHORITY_COMMON_NAMES[name],
        key: await generateKeyPair(context.options.keyAlgorithm),
        now: context.now,
        validityMs: context.options.caCertificateValidityMs,
      }),
    load: (certificatePem, privateKeyPem) =>
      loadTrustAnchor(secretName, "next certificate authority", () =>
        loadCertificateAuthority({ certificatePem, privateKeyPem }, `${secretName} (next CA)`),
      ),
    crossSign: async (successor, issuer) => {
      const certificate = await crossSignAuthority(successor, issuer, context.now);
      return { pem: certificate.pem, notAfter: certificate.notAfter };
    },
    privateKeyPem: (authority) => encodeCertificateAndKey(authority).privateKeyPem,
    notAfter: (certificatePem) => parseCertificatePem(certificatePem, `${secretName} (cross-signed CA)`).notAfter,
  };
}

function authorityStep(name: TenantAuthorityName, stepName: string, component: ComponentSecret): PipelineStep {
  const spec = authoritySteps[name];
  const keys = { crt: spec.crt, key: spec.key };
  return {
    name: stepName,
    async run(context) {
      const secretName = spec.secret(context);
      const stored = await readSecret(context, secretName);
      const data = decodeData(stored);
      const load = () =>
        loadCertificateAuthority(
          { certificatePem: data[spec.crt] ?? "", privateKeyPem: data[spec.key] ?? "" },
          secretName,
        );
      const current =
        stored === undefined ? undefined : await loadTrustAnchor(secretName, "certificate authority", load);
      // An expired CA has no trust left to hand over: it is replaced at once.
      const usable =
        current !== undefined &&
        certificateProblems(current.certificate, { now: context.now, expiryThresholdMs: 0 }).length === 0;
      let plan: AuthorityPlan;
      if (stored !== undefined && usable) {
        const annotations = stored.metadata.annotations ?? {};
        const inStage = annotations[rotationStageAnnotation] !== undefined;
        plan = await planAuthority(
          {
            keys,
            data,
            annotations,
            signer: current,
            rolledOut: !inStage || (await rolledOutWith(context, component, secretDataChecksum(stored.data))),
            now: context.now,
            graceMs: context.options.certificateAuthorityGraceMs,
            deadlineMs: context.options.certificateExpirationDeadlineMs,
          },
          authorityMaterial(context, name, secretName),
        );
      } else {
        const authority = await authorityMaterial(context, name, secretName).create();
        const pem = encodeCertificateAndKey(authority);
        plan = {
          data: { [spec.crt]: pem.certificatePem, [spec.key]: pem.privateKeyPem },
          annotations: {},
          signer: authority,
          trustPem: pem.certificatePem,
          chainPem: "",
          finished: false,
          transition: stored === undefined ? "issued CA" : "replaced the expired CA",
        };
      }
      let payload = plan.data;
      // The main CA is also published as tls.crt/tls.key, where Cluster API looks for it: the signing CA alone.
      if (name === "ca") {
        payload = { ...payload, "tls.crt": plan.signer.certificate.pem, "tls.key": payload[spec.key] ?? "" };
      }
      const { object, changed } = await applySecret(context, secretName, stepName, payload, stored, {
        annotations: plan.annotations,
      });
      if (plan.transition !== undefined) context.log.info({ secret: secretName }, plan.transition);
      if (plan.finished) context.rotatedSecrets.push(secretName);
      if (plan.stage !== undefined) context.authorityRotations.push({ secret: secretName, stage: plan.stage });
      if (plan.waitUntil !== undefined) lookAgainAt(context, plan.waitUntil);
      renewBefore(context, plan.signer.certificate.notAfter, secretName);
      const authority = { signer: plan.signer, trustPem: plan.trustPem, chainPem: plan.chainPem };
      if (name === "ca") context.ca = authority;
      else context.frontProxyCa = authority;
      context.secretChecksums[component] = secretDataChecksum(object.data);
      const certificates = (context.status.certificates ??= {});
      certificates[spec.status] = secretStatus(context, object, changed, certificates[spec.status]);
    },
  };
}

export const caStep = authorityStep("ca", "ca", "ca");
export const frontProxyCaStep = authorityStep(
  "frontProxyCa",
  "front-proxy-ca-certificate",
  "front-proxy-ca-certificate",
);

export const serviceAccountStep: PipelineStep = {
  name: "sa-certificate",
  async run(context) {
    const secretName = context.names.serviceAccount;
    const stored = await readSecret(context, secretName);
    const data = decodeData(stored);
    const newKeys = async () => {
      const pem = encodeServiceAccountKeyPair(await generateKeyPair("RSA"));
      return { signing: pem.privateKeyPem, signingPublic: pem.publicKeyPem };
    };
    let payload: Record<string, string>;
    let annotations: Record<string, string> = {};
    if (stored !== undefined) {
      await loadTrustAnchor(secretName, "service-account key pair", () =>
        loadServiceAccountKeyPair(
          { publicKeyPem: data["sa.pub"] ?? "", privateKeyPem: data["sa.key"] ?? "" },
          secretName,
        ),
      );
      const plan = await planServiceAccountKeys(
        {
          data,
          annotations: stored.metadata.annotations ?? {},
          rolledOut: await rolledOutWith(context, "service-account", secretDataChecksum(stored.data)),
          now: context.now,
          graceMs: context.options.serviceAccountKeyGraceMs,
        },
        newKeys,
      );
      payload = plan.data;
      annotations = plan.annotations;
      if (plan.finished) context.rotatedSecrets.push(secretName);
      if (plan.waitUntil !== undefined) lookAgainAt(context, plan.waitUntil);
      if (plan.transition !== undefined) context.log.info({ secret: secretName }, plan.transition);
    } else {
      const keys = await newKeys();
      payload = { "sa.pub": keys.signingPublic, "sa.key": keys.signing };
    }
    const { object, changed } = await applySecret(context, secretName, "sa-certificate", payload, stored, {
      annotations,
    });
    context.secretChecksums["service-account"] = secretDataChecksum(object.data);
    const certificates = (context.status.certificates ??= {});
    certificates.sa = secretStatus(context, object, changed, certificates.sa);
  },
};

interface LeafSpec {
  readonly profile: TenantCertificateName;
  readonly secret: (c: PipelineContext) => string;
  readonly file: string;
  readonly component: ComponentSecret;
  readonly status: "apiServer" | "apiServerKubeletClient" | "frontProxyClient";
}

function leafStep(stepName: string, spec: LeafSpec): PipelineStep {
  return {
    name: stepName,
    async run(context) {
      const { profile, file } = spec;
      const authority = profile === "frontProxyClient" ? context.frontProxyCa : context.ca;
      if (authority === undefined || context.endpoint === undefined) {
        throw new Error(`${stepName}: the CA and the Service address must be resolved first`);
      }
      const issuer = authority.signer;
      const subjectAltNames =
        profile === "apiServer" ? apiServerSubjectAltNames(context.tcp, context.endpoint.address) : undefined;
      const secretName = spec.secret(context);
      const stored = await readSecret(context, secretName);
      const data = decodeData(stored);
      const current = await tryLoad(() =>
        loadCertificateAndKey(
          { certificatePem: data[`${file}.crt`] ?? "", privateKeyPem: data[`${file}.key`] ?? "" },
          secretName,
        ),
      );
      const rotation = rotationReason(context, stored);
      const problems =
        current === undefined
          ? ["missing or unreadable"]
          : [
              ...certificateProblems(current.certificate, {
                now: context.now,
                expiryThresholdMs: context.options.certificateExpirationDeadlineMs,
                signedBy: issuer.certificate,
                subjectAltNames,
              }),
              ...(rotation === undefined ? [] : [rotation]),
            ];
      let leafPem = current?.certificate.pem ?? "";
      let keyPem = data[`${file}.key`] ?? "";
      let notAfter = current?.certificate.notAfter;
      if (problems.length > 0) {
        const key = await generateKeyPair(context.options.keyAlgorithm);
        const issued = await issueTenantCertificate(profile, issuer, key, {
          subjectAltNames,
          now: context.now,
          validityMs: leafValidityMs(context, profile),
        });
        const pem = encodeCertificateAndKey(issued);
        leafPem = pem.certificatePem;
        keyPem = pem.privateKeyPem;
        notAfter = issued.certificate.notAfter;
        if (stored !== undefined) context.log.info({ secret: secretName, problems }, "renewed certificate");
      }
      // The leaf, then the CA's cross-signed copy while a rotation needs one (a valid leaf is kept as it is).
      const payload = {
        [`${file}.crt`]: authority.chainPem === "" ? leafPem : joinPem(leafPem, authority.chainPem),
        [`${file}.key`]: keyPem,
      };
      if (notAfter !== undefined) renewBefore(context, notAfter, secretName, "x509");
      const { object, changed } = await applySecret(context, secretName, stepName, payload, stored, {
        labels: { [certificateLifecycleLabel]: "x509" },
      });
      context.secretChecksums[spec.component] = secretDataChecksum(object.data);
      const certificates = (context.status.certificates ??= {});
      certificates[spec.status] = secretStatus(context, object, changed, certificates[spec.status]);
    },
  };
}

export const apiServerCertificateStep = leafStep("api-server-certificate", {
  profile: "apiServer",
  secret: (c) => c.names.apiServerCertificate,
  file: "apiserver",
  component: "api-server-certificate",
  status: "apiServer",
});

export const apiServerKubeletClientCertificateStep = leafStep("api-server-kubelet-client-certificate", {
  profile: "apiServerKubeletClient",
  secret: (c) => c.names.apiServerKubeletClientCertificate,
  file: "apiserver-kubelet-client",
  component: "api-server-kubelet-client-certificate",
  status: "apiServerKubeletClient",
});

export const frontProxyClientCertificateStep = leafStep("front-proxy-client-certificate", {
  profile: "frontProxyClient",
  secret: (c) => c.names.frontProxyClientCertificate,
  file: "front-proxy-client",
  component: "front-proxy-client-certificate",
  status: "frontProxyClient",
});
