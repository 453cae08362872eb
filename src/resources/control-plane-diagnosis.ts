// Why a tenant control plane is not Ready: one short sentence from the control-plane Deployment and its pods, for an
// event on the TenantControlPlane. Pure: the caller passes the clock. The message carries no timestamps, restart
// counts or back-off delays, so the same problem keeps the same text across reconciles and the caller can emit an
// event only when the text changes.
//
// Which pods count: the Deployment's newest ReplicaSet is not passed in, so the current revision is told from the
// pods. Only live pods (not terminating, not Succeeded/Failed) controlled by a ReplicaSet of this Deployment (named
// `<deployment>-<pod-template-hash>`) are looked at. Among them, the pods whose labels, annotations and images match
// the Deployment's pod template are preferred (admission may rewrite them, hence only a preference); the newest such
// pod by creationTimestamp gives the current `pod-template-hash`, and only the pods carrying that hash are diagnosed.
// During a blue/green rollout this looks at the new pods, not at the old ones that still serve.
import type { V1Container, V1ContainerStatus, V1Deployment, V1Pod, V1PodTemplateSpec } from "@kubernetes/client-node";
import type { Json } from "../api/k8s-types.js";

type Deployment = Json<V1Deployment>;
type Pod = Json<V1Pod>;
type PodTemplate = Json<V1PodTemplateSpec>;
type Container = Json<V1Container>;
type ContainerStatus = Json<V1ContainerStatus>;
type Terminated = NonNullable<NonNullable<ContainerStatus["state"]>["terminated"]>;

/** The closed set of reasons, most actionable first: when several pods or containers fail, the first reason wins. */
const controlPlaneDiagnosisReasons = [
  /** An image cannot be pulled or is not present (ErrImagePull, ImagePullBackOff, ErrImageNeverPull, InvalidImageName...). */
  "ImageUnavailable",
  /** A container was OOMKilled: its memory limit is too small. */
  "OutOfMemory",
  /** A container cannot be created or started (missing Secret/ConfigMap, bad command: CreateContainerConfigError...). */
  "ContainerConfigError",
  /** A pod cannot be scheduled (Insufficient cpu/memory, taints, affinity...): the scheduler's message. */
  "Unschedulable",
  /** A container keeps exiting (CrashLoopBackOff, liveness or startup probe kills): its last termination. */
  "CrashLooping",
  /** The ReplicaSet cannot create pods (ResourceQuota, admission): the Deployment's ReplicaFailure condition. */
  "PodCreationFailed",
  /** A pod has been up for longer than the startup grace period and a container is still not ready. */
  "ContainersNotReady",
  /** The Deployment reports ProgressDeadlineExceeded and no pod explains it. */
  "RolloutStuck",
  /** Nothing has failed yet: young pods are starting, or the rollout is still in progress. Informational. */
  "Starting",
] as const;

export type ControlPlaneDiagnosisReason = (typeof controlPlaneDiagnosisReasons)[number];

export interface ControlPlaneDiagnosis {
  readonly reason: ControlPlaneDiagnosisReason;
  /** Names the pod, the container and the cause; shorter than 300 characters; stable for a given problem. */
  readonly message: string;
}

export interface ControlPlaneDiagnosisOptions {
  /** Pods created less than this many seconds ago are `Starting` unless they hit a definite error. */
  readonly startupGraceSeconds?: number;
}

/** Beyond the default startup probe (3 failures 10 s apart) plus a restart or two: a real failure shows in 2 min. */
export const defaultStartupGraceSeconds = 120;

/** Messages are at most this long. */
export const maxDiagnosisMessageLength = 299;

/** Waiting reasons that mean the image cannot be had; ImagePullBackOff is ErrImagePull being retried later. */
const imageReasons = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "ErrImageNeverPull",
  "InvalidImageName",
  "ImageInspectError",
  "RegistryUnavailable",
  "SignatureValidationFailed",
]);
/** Waiting reasons the kubelet alternates between while it retries a pull: reported under one name. */
const pullReasons = new Set(["ErrImagePull", "ImagePullBackOff"]);
/** Waiting and termination reasons that mean the container could not be created or started at all. */
const configWaitingReasons = new Set([
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "PreStartHookError",
  "PostStartHookError",
]);
const startFailureTerminations = new Set(["StartError", "ContainerCannotRun"]);

const podTemplateHashLabel = "pod-template-hash";

interface Finding {
  readonly reason: ControlPlaneDiagnosisReason;
  /** Orders findings of the same reason: pod name, then container position (init containers first). */
  readonly pod: string;
  readonly position: number;
  readonly message: string;
}

const rank = (reason: ControlPlaneDiagnosisReason): number => controlPlaneDiagnosisReasons.indexOf(reason);

function byActionability(a: Finding, b: Finding): number {
  if (a.reason !== b.reason) return rank(a.reason) - rank(b.reason);
  if (a.pod !== b.pod) return a.pod < b.pod ? -1 : 1;
  return a.position - b.position;
}

/** Cuts at `max` characters, keeping the start. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

/** Cuts at `max` characters, keeping the end: Go wraps errors, so the root cause comes last. */
function clipStart(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return "";
  const end = text.slice(text.length - max + 1);
  // Start at a word when one begins close enough.
  const space = end.search(/\s/);
  return `…${(space >= 0 && space < 24 ? end.slice(space) : end).trimStart()}`;
}

/** `head: detail`, the detail shortened (from its start) to fit the message length. */
function withDetail(head: string, detail: string | undefined): string {
  const text = detail?.trim() ?? "";
  if (text === "") return clip(head, maxDiagnosisMessageLength);
  const room = maxDiagnosisMessageLength - head.length - 2;
  if (room < 20) return clip(head, maxDiagnosisMessageLength);
  return `${head}: ${clipStart(text, room)}`;
}

/** The error under ErrImagePull/ImagePullBackOff, the same for both: "Back-off pulling image "x": ErrImagePull: e" ⇒ "e". */
function pullError(message: string | undefined): string {
  return (message ?? "")
    .trim()
    .replace(/^Back-off pulling image "[^"]*":?\s*/, "")
    .replace(/^(ErrImagePull|RegistryUnavailable|SignatureValidationFailed):\s*/, "")
    .replace(/^rpc error: code = \w+ desc = /, "");
}

/** The last line of a termination message (often the fatal log line), without its timestamp prefix. */
function lastLogLine(message: string | undefined): string {
  const lines = (message ?? "").split("\n").map((line) => line.trim());
  const last = lines.filter((line) => line !== "").pop() ?? "";
  return last
    .replace(/^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+\s+\S+:\d+\]\s*/, "") // klog header
    .replace(/^time="[^"]*"\s*/, "") // logrus
    .replace(/^\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?\]?\s*/, ""); // RFC 3339
}

/** `OOMKilled (exit code 137)`, `Error (exit code 1)`, `signal 9`. */
function describeTermination(terminated: Terminated): string {
  const why = terminated.reason ?? "terminated";
  return terminated.signal
    ? `${why} (exit code ${terminated.exitCode}, signal ${terminated.signal})`
    : `${why} (exit code ${terminated.exitCode})`;
}

const isoTime = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
};

function newest(pods: readonly Pod[]): Pod | undefined {
  let best: Pod | undefined;
  for (const pod of pods) {
    if (best === undefined) {
      best = pod;
      continue;
    }
    const [a, b] = [isoTime(pod.metadata?.creationTimestamp) ?? 0, isoTime(best.metadata?.creationTimestamp) ?? 0];
    if (a > b || (a === b && (pod.metadata?.name ?? "") > (best.metadata?.name ?? ""))) best = pod;
  }
  return best;
}

const isSubset = (wanted: Readonly<Record<string, string>> = {}, actual: Readonly<Record<string, string>> = {}) =>
  Object.entries(wanted).every(([key, value]) => actual[key] === value);

function sameImages(wanted: readonly Container[] = [], actual: readonly Container[] = []): boolean {
  const images = new Map(actual.map((container) => [container.name, container.image]));
  return wanted.every((container) => images.get(container.name) === container.image);
}

function matchesTemplate(pod: Pod, template: PodTemplate): boolean {
  return (
    isSubset(template.metadata?.labels, pod.metadata?.labels) &&
    isSubset(template.metadata?.annotations, pod.metadata?.annotations) &&
    sameImages(template.spec?.containers, pod.spec?.containers) &&
    sameImages(template.spec?.initContainers, pod.spec?.initContainers)
  );
}

/** A Deployment's ReplicaSets are named `<deployment>-<pod-template-hash>`. */
function ownedBy(replicaSet: string, deployment: string | undefined, pod: Pod): boolean {
  if (deployment === undefined) return true;
  const hash = pod.metadata?.labels?.[podTemplateHashLabel];
  return hash === undefined ? replicaSet.startsWith(`${deployment}-`) : replicaSet === `${deployment}-${hash}`;
}

/** Live pods of the Deployment's current revision (see the file comment). */
function currentRevisionPods(deployment: Deployment | undefined, pods: readonly Json<V1Pod>[]): Pod[] {
  const name = deployment?.metadata?.name;
  const live = pods.filter(
    (pod) =>
      pod.metadata?.deletionTimestamp === undefined &&
      pod.status?.phase !== "Succeeded" &&
      pod.status?.phase !== "Failed" &&
      (pod.metadata?.ownerReferences ?? []).some(
        (owner) => owner.kind === "ReplicaSet" && owner.controller === true && ownedBy(owner.name, name, pod),
      ),
  );
  const template = deployment?.spec?.template;
  const matching = template === undefined ? [] : live.filter((pod) => matchesTemplate(pod, template));
  const hash = newest(matching.length > 0 ? matching : live)?.metadata?.labels?.[podTemplateHashLabel];
  if (hash === undefined) return live;
  return live.filter((pod) => pod.metadata?.labels?.[podTemplateHashLabel] === hash);
}

function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((condition) => condition.type === "Ready" && condition.status === "True");
}

interface ContainerContext {
  readonly pod: string;
  readonly position: number;
  readonly spec: Container | undefined;
  readonly young: boolean;
}

function containerFinding(status: ContainerStatus, context: ContainerContext): Finding | undefined {
  const { pod, position, spec, young } = context;
  const finding = (reason: ControlPlaneDiagnosisReason, message: string): Finding => ({
    reason,
    pod,
    position,
    message,
  });
  const subject = `pod ${pod} container ${status.name}`;
  const waiting = status.state?.waiting;
  const current = status.state?.terminated;
  const last = status.lastState?.terminated;
  const image = spec?.image ?? status.image;

  const waitingReason = waiting?.reason ?? "";
  if (imageReasons.has(waitingReason)) {
    if (pullReasons.has(waitingReason)) {
      return finding(
        "ImageUnavailable",
        withDetail(`${subject}: cannot pull image "${image}" (ErrImagePull)`, pullError(waiting?.message)),
      );
    }
    // ErrImageNeverPull, InvalidImageName... messages name the image already.
    const message = waiting?.message ?? "";
    const what = message.includes(image) ? "image" : `image "${image}"`;
    return finding("ImageUnavailable", withDetail(`${subject}: ${what} unavailable (${waitingReason})`, message));
  }

  const oom = [current, last].find((terminated) => terminated?.reason === "OOMKilled");
  if (oom !== undefined) {
    const limit = spec?.resources?.limits?.memory;
    const suffix = limit === undefined ? "" : ` with memory limit ${limit}`;
    return finding("OutOfMemory", `${subject} was ${describeTermination(oom)}${suffix}`);
  }

  const startFailure = [current, last].find((terminated) => startFailureTerminations.has(terminated?.reason ?? ""));
  if (configWaitingReasons.has(waitingReason) || startFailure !== undefined) {
    // RunContainerError alternates with CrashLoopBackOff: name the failure the same way in both phases.
    const why =
      configWaitingReasons.has(waitingReason) && waitingReason !== "RunContainerError"
        ? waitingReason
        : "RunContainerError";
    const detail = why === "RunContainerError" ? (startFailure?.message ?? waiting?.message) : waiting?.message;
    return finding("ContainerConfigError", withDetail(`${subject}: cannot start (${why})`, detail));
  }

  if (young) return finding("Starting", `pod ${pod} is starting`);

  const crashed = current ?? (status.restartCount > 0 ? last : undefined);
  if (waitingReason === "CrashLoopBackOff" || crashed !== undefined) {
    const head =
      crashed === undefined
        ? `${subject} keeps restarting (CrashLoopBackOff)`
        : `${subject} keeps restarting, last exit ${describeTermination(crashed)}`;
    return finding("CrashLooping", withDetail(head, lastLogLine(crashed?.message)));
  }

  if (status.state?.running !== undefined) {
    const probe = status.started === false ? "has not passed its startup probe" : "is running but not ready";
    return finding("ContainersNotReady", `${subject} ${probe}`);
  }
  if (waiting !== undefined) {
    return finding(
      "ContainersNotReady",
      withDetail(`${subject} is waiting (${waitingReason || "unknown"})`, waiting.message),
    );
  }
  return finding("ContainersNotReady", `${subject} is not ready`);
}

function podFindings(pod: Pod, now: number, graceSeconds: number): Finding[] {
  if (isPodReady(pod)) return [];
  const name = pod.metadata?.name ?? "(unnamed)";
  const created = isoTime(pod.metadata?.creationTimestamp);
  const young = created !== undefined && now - created < graceSeconds * 1000;

  const scheduled = (pod.status?.conditions ?? []).find((condition) => condition.type === "PodScheduled");
  if (scheduled?.status === "False") {
    // The preemption half of the scheduler's message rarely helps and costs most of the room.
    const why = (scheduled.message ?? "").replace(/\s*preemption:.*$/s, "");
    return [
      {
        reason: "Unschedulable",
        pod: name,
        position: -1,
        message: withDetail(`pod ${name} cannot be scheduled (${scheduled.reason ?? "Unschedulable"})`, why),
      },
    ];
  }

  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const position = (container: string) => {
    const index = specs.findIndex((spec) => spec.name === container);
    return index === -1 ? specs.length : index;
  };
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const findings = statuses
    .filter((status) => !status.ready)
    // A finished init container has done its job.
    .filter(
      (status) =>
        !(status.state?.terminated?.exitCode === 0 && (pod.status?.initContainerStatuses ?? []).includes(status)),
    )
    .flatMap((status) => {
      const found = containerFinding(status, {
        pod: name,
        position: position(status.name),
        spec: specs.find((spec) => spec.name === status.name),
        young,
      });
      return found === undefined ? [] : [found];
    });
  if (findings.length > 0) return findings;

  if (young) return [{ reason: "Starting", pod: name, position: -1, message: `pod ${name} is starting` }];
  const ready = (pod.status?.conditions ?? []).find((condition) => condition.type === "Ready");
  const phase = pod.status?.phase ?? "Pending";
  const head = `pod ${name} is ${phase} and not ready${ready?.reason === undefined ? "" : ` (${ready.reason})`}`;
  return [{ reason: "ContainersNotReady", pod: name, position: -1, message: withDetail(head, ready?.message) }];
}

/** The Deployment has observed its spec, and exactly the desired number of pods run the current template, all ready. */
function isRolledOut(deployment: Deployment, desired: number): boolean {
  const status = deployment.status ?? {};
  return (
    (deployment.metadata?.generation ?? 0) <= (status.observedGeneration ?? 0) &&
    (status.unavailableReplicas ?? 0) === 0 &&
    (status.updatedReplicas ?? 0) >= desired &&
    (status.readyReplicas ?? 0) >= desired &&
    (status.replicas ?? 0) === desired
  );
}

function deploymentFindings(deployment: Deployment): Finding[] {
  const name = deployment.metadata?.name ?? "(unnamed)";
  const conditions = deployment.status?.conditions ?? [];
  const findings: Finding[] = [];
  const failure = conditions.find((condition) => condition.type === "ReplicaFailure" && condition.status === "True");
  if (failure !== undefined) {
    const head = `deployment ${name} cannot create pods (${failure.reason ?? "FailedCreate"})`;
    findings.push({ reason: "PodCreationFailed", pod: "", position: 0, message: withDetail(head, failure.message) });
  }
  const progressing = conditions.find((condition) => condition.type === "Progressing");
  if (progressing?.status === "False" && progressing.reason === "ProgressDeadlineExceeded") {
    const head = `deployment ${name} rollout is stuck (ProgressDeadlineExceeded)`;
    findings.push({ reason: "RolloutStuck", pod: "", position: 0, message: withDetail(head, progressing.message) });
  }
  return findings;
}

/**
 * Why the control plane is not Ready, or undefined when nothing is wrong: the Deployment is scaled to 0 or fully
 * rolled out (all desired pods updated and ready). `pods` are the pods matched by the Deployment's selector, in any
 * order; `now` is the reconcile's clock. Without a Deployment only the pods are looked at.
 */
export function diagnoseControlPlane(
  deployment: Json<V1Deployment> | undefined,
  pods: readonly Json<V1Pod>[],
  now: Date,
  options: ControlPlaneDiagnosisOptions = {},
): ControlPlaneDiagnosis | undefined {
  if (deployment !== undefined) {
    const desired = deployment.spec?.replicas ?? 1;
    if (desired === 0 || isRolledOut(deployment, desired)) return undefined;
  }
  const current = currentRevisionPods(deployment, pods);
  const graceSeconds = options.startupGraceSeconds ?? defaultStartupGraceSeconds;
  const findings = current.flatMap((pod) => podFindings(pod, now.getTime(), graceSeconds));
  if (deployment !== undefined) findings.push(...deploymentFindings(deployment));
  const [first] = findings.sort(byActionability);
  if (first !== undefined) return { reason: first.reason, message: clip(first.message, maxDiagnosisMessageLength) };
  if (deployment === undefined) return undefined;
  // Not rolled out, yet every current pod is ready: the Deployment controller has not caught up, or old pods remain.
  const name = deployment.metadata?.name ?? "(unnamed)";
  const message =
    current.length === 0 ? `deployment ${name} is waiting for its pods` : `deployment ${name} is rolling out`;
  return { reason: "Starting", message };
}
