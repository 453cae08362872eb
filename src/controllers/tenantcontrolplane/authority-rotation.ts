// Rotation of a tenant CA (the cluster CA or the front-proxy CA) without a failed request (beyond upstream, which
// replaces the CA at once and cuts off every node). Asked for with `certs.kamaji.clastix.io/rotate` on the CA's
// Secret, or started by itself when the CA would otherwise expire before a rotation could finish (its remaining
// lifetime is within the grace period plus the renewal deadline). Stages, recorded on the Secret, each waiting until
// every control-plane pod runs with the Secret as the stage left it:
//   1. TrustingNewCA: a new CA is made (kept aside as `<ca>-next.crt/.key`) and added after the current one in `<ca>.crt`,
//      the bundle every trust point reads: the API server's client CAs, the kubeconfigs, cluster-info and, through
//      the controller-manager's root CA, kube-root-ca.crt. The old CA still signs.
//   2. SigningWithNewCA: the new CA signs (`<ca>.key`, first in `<ca>.crt`) and every leaf is re-issued from it. A copy
//      of the new CA signed by the old one (`<ca>-cross.crt`) follows each leaf the control plane presents, so a client
//      that trusts only the old CA (a kubelet's kubeconfig, a pod that read its CA at start) still verifies it. The
//      old CA stays trusted until `kamaji.clastix.io/previous-ca-until`, the grace period later, so that client
//      certificates it signed (the kubelets') are renewed from the new CA in the meantime.
//   3. The old CA leaves the bundle and the rotate annotation gets the time. The cross-signed copy is still served
//      until it expires with the old CA: clients not yet given the new CA keep verifying the API server until then.
// Pure apart from the key material: the step reads the Secret and the rollout state and applies what this returns.
import type { CertificateAuthority } from "../../pki/index.js";
import { rotationRequested } from "../../resources/labels.js";
import { rfc3339 } from "../../runtime/time.js";
import { joinPem, pemBlocks, rotationStageAnnotation } from "./rotation.js";

export const previousAuthorityUntilAnnotation = "kamaji.clastix.io/previous-ca-until";
export type AuthorityRotationStage = "TrustingNewCA" | "SigningWithNewCA";

/** The Secret keys of one CA, e.g. ca.crt / ca.key, and the rotation's own next to them. */
export interface AuthorityKeys {
  readonly crt: string;
  readonly key: string;
}

export const nextCertificateKey = (keys: AuthorityKeys): string => keys.crt.replace(/\.crt$/, "-next.crt");
export const nextKeyKey = (keys: AuthorityKeys): string => keys.crt.replace(/\.crt$/, "-next.key");
export const crossSignedKey = (keys: AuthorityKeys): string => keys.crt.replace(/\.crt$/, "-cross.crt");

/** The key material a plan needs: made, read and signed by the caller's PKI. */
export interface AuthorityMaterial {
  /** A new CA. */
  create(): Promise<CertificateAuthority>;
  /** A CA from its Secret PEM (throws when unusable). */
  load(certificatePem: string, privateKeyPem: string): Promise<CertificateAuthority>;
  /** `successor` signed by `issuer`, as PEM, and when it expires. */
  crossSign(successor: CertificateAuthority, issuer: CertificateAuthority): Promise<{ pem: string; notAfter: Date }>;
  /** The private key's PEM. */
  privateKeyPem(authority: CertificateAuthority): string;
  /** When a PEM certificate expires (throws when unusable). */
  notAfter(certificatePem: string): Date;
}

export interface AuthoritySecretState {
  readonly keys: AuthorityKeys;
  /** The Secret's data (plain text). */
  readonly data: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** The CA that signs now: the first certificate of `<ca>.crt` with `<ca>.key`. */
  readonly signer: CertificateAuthority;
  /** Every control-plane pod runs with the Secret as it is now. */
  readonly rolledOut: boolean;
  readonly now: Date;
  /** How long the old CA stays trusted once the new one signs. */
  readonly graceMs: number;
  /** --certificate-expiration-deadline. */
  readonly deadlineMs: number;
}

export interface AuthorityPlan {
  readonly data: Record<string, string>;
  /** The stage annotations to keep on the Secret (none once idle). */
  readonly annotations: Record<string, string>;
  /** The CA that signs the tenant's certificates. */
  readonly signer: CertificateAuthority;
  /** What clients must trust: `<ca>.crt`, one CA or two. */
  readonly trustPem: string;
  /** The cross-signed certificate to present after leaves of the signer, or "" when none is needed. */
  readonly chainPem: string;
  /** The stage this reconcile leaves the rotation in, if one is under way. */
  readonly stage?: AuthorityRotationStage;
  /** The rotation ended: the rotate annotation gets the time written back. */
  readonly finished: boolean;
  /** The plan must be looked at again then (a grace period ends, the cross-signed copy expires). */
  readonly waitUntil?: Date;
  /** What changed, for the log; undefined when nothing did. */
  readonly transition?: string;
}

/** Whether an idle CA must start rotating now: asked for, or too close to its expiry to wait any longer. */
export function rotationDue(state: AuthoritySecretState): "requested" | "expiring" | undefined {
  if (rotationRequested({ annotations: state.annotations })) return "requested";
  const left = state.signer.certificate.notAfter.getTime() - state.now.getTime();
  return left <= state.graceMs + state.deadlineMs ? "expiring" : undefined;
}

export async function planAuthority(state: AuthoritySecretState, material: AuthorityMaterial): Promise<AuthorityPlan> {
  const { keys, data, annotations, signer, rolledOut, now } = state;
  const stage = annotations[rotationStageAnnotation] as AuthorityRotationStage | undefined;
  const trustPem = data[keys.crt] ?? signer.certificate.pem;
  const crossPem = data[crossSignedKey(keys)];

  if (stage === undefined) {
    const due = rotationDue(state);
    if (due === undefined) return idle(state, material, crossPem);
    const next = await material.create();
    const { [crossSignedKey(keys)]: _previousCross, ...rest } = data;
    return {
      data: {
        ...rest,
        [keys.crt]: joinPem(signer.certificate.pem, next.certificate.pem),
        [nextCertificateKey(keys)]: next.certificate.pem,
        [nextKeyKey(keys)]: material.privateKeyPem(next),
      },
      annotations: { [rotationStageAnnotation]: "TrustingNewCA" },
      signer,
      trustPem: joinPem(signer.certificate.pem, next.certificate.pem),
      chainPem: "",
      stage: "TrustingNewCA",
      finished: false,
      transition: `trusting a new CA (rotation ${due === "requested" ? "requested" : "due: the CA expires soon"})`,
    };
  }

  if (stage === "TrustingNewCA") {
    if (!rolledOut) {
      return {
        data: { ...data },
        annotations: { [rotationStageAnnotation]: stage },
        signer,
        trustPem,
        chainPem: "",
        stage,
        finished: false,
      };
    }
    const next = await material.load(data[nextCertificateKey(keys)] ?? "", data[nextKeyKey(keys)] ?? "");
    const cross = await material.crossSign(next, signer);
    const { [nextCertificateKey(keys)]: _cert, [nextKeyKey(keys)]: _key, ...rest } = data;
    const until = new Date(now.getTime() + state.graceMs);
    const bundle = joinPem(next.certificate.pem, signer.certificate.pem);
    return {
      data: {
        ...rest,
        [keys.crt]: bundle,
        [keys.key]: material.privateKeyPem(next),
        [crossSignedKey(keys)]: cross.pem,
      },
      annotations: {
        [rotationStageAnnotation]: "SigningWithNewCA",
        [previousAuthorityUntilAnnotation]: rfc3339(until),
      },
      signer: next,
      trustPem: bundle,
      chainPem: cross.pem,
      stage: "SigningWithNewCA",
      finished: false,
      waitUntil: until,
      transition: "signing with the new CA",
    };
  }

  const until = new Date(annotations[previousAuthorityUntilAnnotation] ?? 0);
  if (!rolledOut || now < until) {
    return {
      data: { ...data },
      annotations: {
        [rotationStageAnnotation]: stage,
        ...(annotations[previousAuthorityUntilAnnotation] === undefined
          ? {}
          : { [previousAuthorityUntilAnnotation]: annotations[previousAuthorityUntilAnnotation] }),
      },
      signer,
      trustPem,
      chainPem: crossPem ?? "",
      stage,
      finished: false,
      waitUntil: until,
    };
  }
  const finished = idle(
    { ...state, data: { ...data, [keys.crt]: joinPem(signer.certificate.pem) } },
    material,
    crossPem,
  );
  return { ...finished, finished: true, transition: "dropped the previous CA" };
}

/** No rotation under way: the CA as it is, and the cross-signed copy of the last rotation while it is valid. */
function idle(state: AuthoritySecretState, material: AuthorityMaterial, crossPem: string | undefined): AuthorityPlan {
  const { keys, data, signer, now } = state;
  const trustPem = data[keys.crt] ?? signer.certificate.pem;
  const base = { annotations: {}, signer, trustPem, finished: false };
  if (crossPem === undefined) return { ...base, data: { ...data }, chainPem: "" };
  let expires: Date | undefined;
  try {
    expires = material.notAfter(crossPem);
  } catch {
    expires = undefined;
  }
  const { [crossSignedKey(keys)]: _cross, ...rest } = data;
  if (expires === undefined || expires <= now || pemBlocks(crossPem).length !== 1) {
    return { ...base, data: rest, chainPem: "", transition: "dropped the expired cross-signed CA" };
  }
  return { ...base, data: { ...data }, chainPem: crossPem, waitUntil: expires };
}
