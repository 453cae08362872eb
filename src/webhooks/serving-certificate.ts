// The operator's own webhook serving certificate (no cert-manager): a CA and a certificate for the webhook
// Service, kept in a Secret of the operator namespace, renewed before it expires, and the CA bundle written into
// the webhook configurations. Every replica runs this; they converge on whichever Secret was written first.
import type { KeyAlgorithm, SubjectAltNames } from "../pki/index.js";
import { LEAF_VALIDITY_MS } from "../pki/index.js";
import { projectLabel } from "../resources/labels.js";
import { sleep } from "../runtime/abort.js";
import { isConflict, type KubeClient, type KubeObject } from "../runtime/kube-client.js";
import type { Logger } from "../runtime/logger.js";
import { resourceTypes } from "../runtime/resource-types.js";
import { injectCaBundle } from "./http/ca-bundle.js";
import {
  issueServingCertificate,
  readServingCertificate,
  servingCertificateData,
  type ServingCertificate,
  type StoredServingCertificate,
} from "./http/serving-material.js";

export type { ServingCertificate } from "./http/serving-material.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ServingCertificateOptions {
  readonly client: KubeClient;
  readonly log: Logger;
  /** The operator's namespace, where the Secret and the webhook Service live. */
  readonly namespace: string;
  /** The Secret holding ca.crt, tls.crt and tls.key (type kubernetes.io/tls). */
  readonly secretName: string;
  /** The webhook Service: the certificate is for `<service>.<namespace>.svc[.cluster.local]`. */
  readonly serviceName: string;
  /** Configurations whose webhooks get the CA bundle; a missing one is retried at every check. */
  readonly mutatingWebhookConfiguration?: string;
  readonly validatingWebhookConfiguration?: string;
  /** More names to certify, e.g. 127.0.0.1 when the API server calls the webhook by URL. */
  readonly extraSubjectAltNames?: SubjectAltNames;
  /** Default one year. */
  readonly validityMs?: number;
  /** A certificate expiring within this is renewed; default 30 days. */
  readonly renewBeforeMs?: number;
  /** Default ECDSA P-256. */
  readonly keyAlgorithm?: KeyAlgorithm;
  /** How often run() checks the Secret (renewal, a certificate another replica or a person put there); default 1 min. */
  readonly checkIntervalMs?: number;
}

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** Create/update races lost in a row before giving up: each loss means another writer just succeeded. */
const maxAttempts = 5;

export class ServingCertificateManager {
  readonly #options: ServingCertificateOptions;
  readonly #subjectAltNames: Required<SubjectAltNames>;
  readonly #validityMs: number;
  readonly #renewBeforeMs: number;
  #last: ServingCertificate | undefined;

  constructor(options: ServingCertificateOptions) {
    const { namespace, serviceName, extraSubjectAltNames } = options;
    this.#options = options;
    this.#validityMs = options.validityMs ?? LEAF_VALIDITY_MS;
    this.#renewBeforeMs = options.renewBeforeMs ?? 30 * DAY_MS;
    if (this.#renewBeforeMs >= this.#validityMs) {
      throw new Error(
        `webhook serving certificate: renewing ${this.#renewBeforeMs} ms before expiry needs a validity longer than ${this.#validityMs} ms`,
      );
    }
    this.#subjectAltNames = {
      dnsNames: [
        `${serviceName}.${namespace}.svc`,
        `${serviceName}.${namespace}.svc.cluster.local`,
        ...(extraSubjectAltNames?.dnsNames ?? []),
      ],
      ipAddresses: [...(extraSubjectAltNames?.ipAddresses ?? [])],
    };
  }

  /**
   * One pass: settles the Secret (reuses a usable certificate, writes a new one otherwise), then writes its CA
   * bundle into the webhook configurations. The bundle goes out before the caller serves a new certificate, so
   * the API server trusts it by the time it is presented.
   */
  async ensure(): Promise<ServingCertificate> {
    const certificate = await this.#settleSecret();
    const { client, log, mutatingWebhookConfiguration, validatingWebhookConfiguration } = this.#options;
    const targets = [
      [resourceTypes.mutatingWebhookConfiguration, mutatingWebhookConfiguration],
      [resourceTypes.validatingWebhookConfiguration, validatingWebhookConfiguration],
    ] as const;
    for (const [type, name] of targets) {
      if (name === undefined) continue;
      if (!(await injectCaBundle(client, type, name, certificate.caBundlePem, log))) {
        log.warn({ kind: type.kind, name }, "webhook configuration not found: its CA bundle is written once it exists");
      }
    }
    this.#last = certificate;
    return certificate;
  }

  /**
   * Runs ensure() every checkIntervalMs until `signal` aborts, and calls `onChange` with each certificate that
   * differs from the one served so far (initially the last one ensure() returned). Failures are logged and
   * retried at the next check.
   */
  async run(signal: AbortSignal, onChange: (certificate: ServingCertificate) => void): Promise<void> {
    const { log, checkIntervalMs = 60_000 } = this.#options;
    let served = this.#last?.certificatePem;
    for (;;) {
      await sleep(checkIntervalMs, signal);
      if (signal.aborted) return;
      try {
        const certificate = await this.ensure();
        if (certificate.certificatePem === served) continue;
        onChange(certificate);
        served = certificate.certificatePem;
        log.info({ notAfter: certificate.notAfter.toISOString() }, "serving a new webhook certificate");
      } catch (error) {
        log.error({ error }, "checking the webhook serving certificate failed; retrying at the next check");
      }
    }
  }

  async #settleSecret(): Promise<ServingCertificate> {
    const { client, log, namespace, secretName } = this.#options;
    const what = `Secret ${namespace}/${secretName}`;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const stored = await client.get<Secret>(resourceTypes.secret, secretName, namespace);
      const current = stored === undefined ? undefined : await this.#read(stored, what);
      if (current?.usable === true) return current.certificate;
      if (current !== undefined) {
        log.info({ secret: what, problems: current.problems }, "renewing the webhook certificate");
      }
      const next = await issueServingCertificate({
        commonName: `${this.#options.serviceName}.${namespace}.svc`,
        subjectAltNames: this.#subjectAltNames,
        validityMs: this.#validityMs,
        keyAlgorithm: this.#options.keyAlgorithm ?? "ECDSA",
        ...(current?.issuer === undefined ? {} : { previousCa: current.issuer }),
      });
      try {
        await this.#write(stored, next);
        log.info({ secret: what, notAfter: next.notAfter.toISOString() }, "stored a new webhook certificate");
        return next;
      } catch (error) {
        if (!isConflict(error)) throw error;
        log.debug({ secret: what, attempt }, "another replica wrote the webhook certificate first: reading theirs");
      }
    }
    throw new Error(`${what}: the webhook certificate kept changing under us for ${maxAttempts} attempts`);
  }

  #read(secret: Secret, what: string): Promise<StoredServingCertificate> {
    return readServingCertificate(secret.data ?? {}, what, {
      subjectAltNames: this.#subjectAltNames,
      renewBeforeMs: this.#renewBeforeMs,
    });
  }

  /** Creates the Secret, or replaces its certificate keys at the resourceVersion read: a race is a 409 either way. */
  #write(stored: Secret | undefined, certificate: ServingCertificate): Promise<Secret> {
    const { client, namespace, secretName } = this.#options;
    const data = servingCertificateData(certificate);
    if (stored !== undefined) {
      return client.update<Secret>(resourceTypes.secret, { ...stored, data: { ...stored.data, ...data } });
    }
    return client.create<Secret>(resourceTypes.secret, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: secretName, namespace, labels: { [projectLabel]: "kamaji" } },
      type: "kubernetes.io/tls",
      data,
    });
  }
}
