// AdmissionReview v1, the body the API server POSTs to a webhook and the answer it expects back.
import { AdmissionDenied } from "../admission-denied.js";
import type { JsonPatchOperation } from "./json-patch.js";

const admissionApiVersion = "admission.k8s.io/v1";

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

const operations: ReadonlySet<string> = new Set<Operation>(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

/** The fields of AdmissionRequest the handlers and logs read. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly operation: Operation;
  readonly kind?: { group: string; version: string; kind: string };
  readonly resource?: { group: string; version: string; resource: string };
  readonly subResource?: string;
  readonly name?: string;
  readonly namespace?: string;
  /** The object as it would be stored (CREATE, UPDATE), with the API server's schema defaults applied. */
  readonly object?: unknown;
  /** The stored object (UPDATE, DELETE). */
  readonly oldObject?: unknown;
  readonly dryRun?: boolean;
}

/** A handler's answer: allowed (with the JSON patch of a mutation, if any) or denied with the rule's message. */
export type AdmissionVerdict =
  { readonly allowed: true; readonly patch?: readonly JsonPatchOperation[] } | AdmissionDenied;

/** Where a request was sent: what follows the handler's path in the URL (tenant-side webhooks name their tenant there). */
export interface AdmissionCall {
  readonly subpath: string;
}

export type AdmissionHandler = (
  request: AdmissionRequest,
  call: AdmissionCall,
) => AdmissionVerdict | Promise<AdmissionVerdict>;

/** The HTTP body is not an AdmissionReview v1 request: the server answers 400 without calling a handler. */
export class BadAdmissionReview extends Error {
  override readonly name = "BadAdmissionReview";
}

/** The review is well formed but its object is not what the handler serves: answered as a denial with code 400. */
export class UnexpectedAdmissionObject extends Error {
  override readonly name = "UnexpectedAdmissionObject";
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Parses a request body; throws BadAdmissionReview saying what is wrong with it. */
export function parseAdmissionReview(body: string): AdmissionRequest {
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch (error) {
    throw new BadAdmissionReview(`the body is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isRecord(review) || review.kind !== "AdmissionReview" || review.apiVersion !== admissionApiVersion) {
    throw new BadAdmissionReview(`expected an AdmissionReview of ${admissionApiVersion}`);
  }
  const request = review.request;
  if (!isRecord(request)) throw new BadAdmissionReview("the AdmissionReview has no request");
  if (typeof request.uid !== "string" || request.uid === "") {
    throw new BadAdmissionReview("the AdmissionReview request has no uid");
  }
  if (typeof request.operation !== "string" || !operations.has(request.operation)) {
    throw new BadAdmissionReview(`the AdmissionReview request has an unknown operation ${String(request.operation)}`);
  }
  return request as unknown as AdmissionRequest;
}

export interface Refusal {
  readonly code: number;
  readonly message: string;
}

const reasons: Readonly<Record<number, string>> = { 400: "BadRequest", 403: "Forbidden", 500: "InternalError" };

/** The AdmissionReview answering `uid`: a verdict, or a refusal the server decided on (bad object, failure). */
export function admissionResponse(uid: string, outcome: AdmissionVerdict | Refusal): object {
  return { apiVersion: admissionApiVersion, kind: "AdmissionReview", response: responseFor(uid, outcome) };
}

function responseFor(uid: string, outcome: AdmissionVerdict | Refusal): object {
  if (outcome instanceof AdmissionDenied) return refused(uid, { code: 403, message: outcome.message });
  if (!("allowed" in outcome)) return refused(uid, outcome);
  const patch = outcome.patch ?? [];
  if (patch.length === 0) return { uid, allowed: true };
  return { uid, allowed: true, patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(patch)).toString("base64") };
}

function refused(uid: string, { code, message }: Refusal): object {
  const reason = reasons[code];
  return { uid, allowed: false, status: { code, message, ...(reason === undefined ? {} : { reason }) } };
}
