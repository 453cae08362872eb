// Rotation of the service-account signing key without a failed request (beyond upstream), asked for with
// `certs.kamaji.clastix.io/rotate` on the `<tcp>-sa-certificate` Secret. It runs in stages recorded on the Secret, each
// waiting until every control-plane pod runs with the Secret as the stage left it:
//   1. TrustingNewKey: a new key is made (kept aside in `sa-next.key`) and its public key is added to `sa.pub`, which
//      the API servers verify tokens with (it may hold several keys); tokens are still signed with the old key, so a
//      token from any pod, old or new, verifies everywhere.
//   2. SigningWithNewKey: the new key signs (`sa.key`); the old public key stays in `sa.pub` until the grace period
//      is over, so tokens signed before keep working until they have been refreshed.
//   3. The old public key is dropped and the time of the rotation is written back on the annotation.
// Pure: the step reads the Secret and the rollout state and applies what this returns.
import { rotationRequested } from "../../resources/labels.js";
import { rfc3339 } from "../../runtime/time.js";
import { joinPem, pemBlocks, rotationStageAnnotation } from "./rotation.js";

export const previousKeyUntilAnnotation = "kamaji.clastix.io/previous-key-until";
export type ServiceAccountRotationStage = "TrustingNewKey" | "SigningWithNewKey";

export interface ServiceAccountKeys {
  /** Signing key (PEM). */
  readonly signing: string;
  /** Its public key (PEM). */
  readonly signingPublic: string;
}

export interface ServiceAccountSecretState {
  /** The Secret's data (plain text). */
  readonly data: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Every control-plane pod runs with the Secret as it is now. */
  readonly rolledOut: boolean;
  readonly now: Date;
  /** How long the old public key keeps verifying once the new key signs. */
  readonly graceMs: number;
}

export interface ServiceAccountPlan {
  readonly data: Record<string, string>;
  /** The stage annotations to keep on the Secret (none once idle). */
  readonly annotations: Record<string, string>;
  /** A stage ended: the rotate annotation gets the time written back. */
  readonly finished: boolean;
  /** The stage waits for this time (the end of the grace period). */
  readonly waitUntil?: Date;
  /** What changed, for the log; undefined when nothing did. */
  readonly transition?: string;
}

/**
 * The Secret's next content. `generate` makes a new key pair only when stage 1 starts. The data of an idle Secret
 * with no rotation asked for comes back unchanged.
 */
export async function planServiceAccountKeys(
  state: ServiceAccountSecretState,
  generate: () => Promise<ServiceAccountKeys>,
): Promise<ServiceAccountPlan> {
  const { data, annotations, rolledOut, now } = state;
  const stage = annotations[rotationStageAnnotation] as ServiceAccountRotationStage | undefined;
  const idle = { data: { ...data }, annotations: {}, finished: false };

  if (stage === undefined) {
    if (!rotationRequested({ annotations })) return idle;
    const next = await generate();
    return {
      data: {
        ...data,
        "sa.pub": joinPem(...pemBlocks(data["sa.pub"] ?? ""), next.signingPublic),
        "sa-next.key": next.signing,
      },
      annotations: { [rotationStageAnnotation]: "TrustingNewKey" },
      finished: false,
      transition: "trusting the new service-account key",
    };
  }

  if (stage === "TrustingNewKey") {
    const keep = { data: { ...data }, annotations: { ...pick(annotations, rotationStageAnnotation) }, finished: false };
    if (!rolledOut) return keep;
    const [current = "", next = ""] = pemBlocks(data["sa.pub"] ?? "");
    const { "sa-next.key": nextKey = "", ...rest } = data;
    const until = new Date(now.getTime() + state.graceMs);
    return {
      data: { ...rest, "sa.key": nextKey, "sa.pub": joinPem(next, current) },
      annotations: { [rotationStageAnnotation]: "SigningWithNewKey", [previousKeyUntilAnnotation]: rfc3339(until) },
      finished: false,
      waitUntil: until,
      transition: "signing with the new service-account key",
    };
  }

  const until = new Date(annotations[previousKeyUntilAnnotation] ?? 0);
  if (!rolledOut || now < until) {
    return {
      data: { ...data },
      annotations: { ...pick(annotations, rotationStageAnnotation, previousKeyUntilAnnotation) },
      finished: false,
      waitUntil: until,
    };
  }
  const [current = ""] = pemBlocks(data["sa.pub"] ?? "");
  return {
    data: { ...data, "sa.pub": joinPem(current) },
    annotations: {},
    finished: true,
    transition: "dropped the previous service-account key",
  };
}

function pick(record: Readonly<Record<string, string>>, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((key) => (record[key] === undefined ? [] : [[key, record[key]]])));
}
