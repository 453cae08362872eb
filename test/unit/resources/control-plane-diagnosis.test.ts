import { test } from "node:test";
import assert from "node:assert/strict";
import type { V1ContainerStatus, V1Deployment, V1Pod } from "@kubernetes/client-node";
import type { Json } from "../../../src/api/k8s-types.js";
import { diagnoseControlPlane, maxDiagnosisMessageLength } from "../../../src/resources/control-plane-diagnosis.js";

type Deployment = Json<V1Deployment>;
type Pod = Json<V1Pod>;
type ContainerStatus = Json<V1ContainerStatus>;

const now = new Date("2025-06-01T12:00:00Z");
const anHourAgo = "2025-06-01T11:00:00Z";
const halfAMinuteAgo = "2025-06-01T11:59:30Z";

const version = "v1.34.10";
const hash = "6b7f9c8d5d";
const oldHash = "58d4c7b9f6";
const images = (v: string) => ({
  "kube-apiserver": `registry.k8s.io/kube-apiserver:${v}`,
  "kube-scheduler": `registry.k8s.io/kube-scheduler:${v}`,
  "kube-controller-manager": `registry.k8s.io/kube-controller-manager:${v}`,
});
type ContainerName = keyof ReturnType<typeof images>;
const containerNames: ContainerName[] = ["kube-apiserver", "kube-scheduler", "kube-controller-manager"];
const templateLabels = { "kamaji.clastix.io/name": "tenant-a", "kamaji.clastix.io/component": "deployment" };

function template(v: string) {
  return {
    metadata: { labels: templateLabels, annotations: { "storage.kamaji.clastix.io/config": "c0ffee" } },
    spec: {
      containers: containerNames.map((name) => ({
        name,
        image: images(v)[name],
        resources: { limits: { memory: name === "kube-apiserver" ? "256Mi" : "128Mi" } },
      })),
    },
  };
}

/** A Deployment of `replicas` pods at `version`, fully rolled out; `edit` breaks it. */
function deployment(replicas = 2, edit: (d: Deployment) => void = () => undefined): Deployment {
  const d: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "tenant-a", namespace: "tenants", generation: 3, annotations: {} },
    spec: {
      replicas,
      selector: { matchLabels: { "kamaji.clastix.io/name": "tenant-a" } },
      template: template(version),
    },
    status: {
      observedGeneration: 3,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        {
          type: "Available",
          status: "True",
          reason: "MinimumReplicasAvailable",
          message: "Deployment has minimum availability.",
        },
        {
          type: "Progressing",
          status: "True",
          reason: "NewReplicaSetAvailable",
          message: `ReplicaSet "tenant-a-${hash}" has successfully progressed.`,
        },
      ],
    },
  };
  edit(d);
  return d;
}

/** Sets the Deployment's ready counters as the Deployment controller would with `ready` of `replicas` pods ready. */
function withReady(d: Deployment, ready: number): void {
  d.status = {
    ...d.status,
    readyReplicas: ready,
    availableReplicas: ready,
    unavailableReplicas: (d.spec?.replicas ?? 1) - ready,
  };
}

const running = (name: ContainerName, v = version): ContainerStatus => ({
  name,
  image: images(v)[name],
  imageID: `${images(v)[name]}@sha256:0f4c1e3b`,
  containerID: "containerd://8d1c5e",
  ready: true,
  started: true,
  restartCount: 0,
  state: { running: { startedAt: anHourAgo } },
  lastState: {},
});

interface PodOptions {
  suffix: string;
  podHash?: string;
  v?: string;
  created?: string;
  /** Replaces the status of the named containers; the others run and are ready. */
  statuses?: Partial<Record<ContainerName, ContainerStatus>>;
  conditions?: NonNullable<Pod["status"]>["conditions"];
  phase?: string;
}

function pod(options: PodOptions): Pod {
  const podHash = options.podHash ?? hash;
  const v = options.v ?? version;
  const statuses = containerNames.map((name) => options.statuses?.[name] ?? running(name, v));
  const ready = statuses.every((status) => status.ready);
  const created = options.created ?? anHourAgo;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `tenant-a-${podHash}-${options.suffix}`,
      namespace: "tenants",
      creationTimestamp: created,
      labels: { ...templateLabels, "pod-template-hash": podHash },
      annotations: { "storage.kamaji.clastix.io/config": "c0ffee" },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: `tenant-a-${podHash}`,
          uid: "0c1b4d8e-1f2a-4a57-9a0e-2b8f3f6f1a11",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: template(v).spec,
    status: {
      phase: options.phase ?? "Running",
      conditions: options.conditions ?? [
        { type: "PodReadyToStartContainers", status: "True", lastTransitionTime: created },
        { type: "Initialized", status: "True", lastTransitionTime: created },
        ready
          ? { type: "Ready", status: "True", lastTransitionTime: created }
          : {
              type: "Ready",
              status: "False",
              reason: "ContainersNotReady",
              message: `containers with unready status: [${statuses
                .filter((s) => !s.ready)
                .map((s) => s.name)
                .join(" ")}]`,
              lastTransitionTime: created,
            },
        { type: "ContainersReady", status: ready ? "True" : "False", lastTransitionTime: created },
        { type: "PodScheduled", status: "True", lastTransitionTime: created },
      ],
      hostIP: "10.0.0.12",
      podIP: "10.244.1.17",
      startTime: created,
      qosClass: "Burstable",
      containerStatuses: statuses,
    },
  };
}

const podName = (p: Pod) => p.metadata?.name ?? "";

/** containerd's error for a tag that does not exist, as the kubelet puts it in the waiting message. */
const notFound = (image: string) =>
  `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": ` +
  `failed to resolve reference "${image}": ${image}: not found`;

function waiting(name: ContainerName, reason: string, message: string, image: string): ContainerStatus {
  return {
    name,
    image,
    imageID: "",
    ready: false,
    started: false,
    restartCount: 0,
    state: { waiting: { reason, message } },
    lastState: {},
  };
}

test("all replicas ready and updated ⇒ nothing to report", () => {
  const pods = [pod({ suffix: "x2x7q" }), pod({ suffix: "k9bzt" })];
  assert.equal(diagnoseControlPlane(deployment(), pods, now), undefined);
});

test("scaled to zero ⇒ nothing to report, even with a broken pod still around", () => {
  const d = deployment(0);
  const broken = pod({
    suffix: "x2x7q",
    statuses: {
      "kube-apiserver": waiting(
        "kube-apiserver",
        "CrashLoopBackOff",
        "back-off 5m0s",
        images(version)["kube-apiserver"],
      ),
    },
  });
  assert.equal(diagnoseControlPlane(d, [broken], now), undefined);
});

test("no Deployment and no pods ⇒ nothing to report", () => {
  assert.equal(diagnoseControlPlane(undefined, [], now), undefined);
});

test("one pod in ImagePullBackOff among running ones ⇒ ImageUnavailable naming the image and the pull error", () => {
  // The image is gone from the registry and only the node of the third pod lacks it.
  const image = images(version)["kube-apiserver"];
  const d = deployment(3, (dep) => {
    withReady(dep, 2);
  });
  const stuck = pod({
    suffix: "mq4pl",
    phase: "Pending",
    statuses: {
      "kube-apiserver": waiting(
        "kube-apiserver",
        "ImagePullBackOff",
        `Back-off pulling image "${image}": ErrImagePull: ${notFound(image)}`,
        image,
      ),
    },
  });
  const pods = [pod({ suffix: "x2x7q" }), stuck, pod({ suffix: "k9bzt" })];
  const diagnosis = diagnoseControlPlane(d, pods, now);
  assert.equal(diagnosis?.reason, "ImageUnavailable");
  assert.match(diagnosis.message, /^pod tenant-a-6b7f9c8d5d-mq4pl container kube-apiserver: cannot pull image /);
  assert.ok(diagnosis.message.includes(`"${image}" (ErrImagePull)`), diagnosis.message);
  assert.match(diagnosis.message, /\(ErrImagePull\): …"registry.*: not found$/);
  assert.doesNotMatch(diagnosis.message, /Back-off|rpc error/);
  assert.ok(diagnosis.message.length <= maxDiagnosisMessageLength);

  // The kubelet alternates ErrImagePull and ImagePullBackOff: both give the same text, so no new event.
  const kubeApiServer = stuck.status?.containerStatuses?.[0];
  assert.ok(kubeApiServer?.state?.waiting);
  kubeApiServer.state.waiting = { reason: "ErrImagePull", message: notFound(image) };
  assert.deepEqual(diagnoseControlPlane(d, pods, now), diagnosis);
});

test("upgrade to a version without images: old pods still serve, the new ones cannot pull ⇒ ImageUnavailable", () => {
  // Blue/green (maxUnavailable 0, maxSurge 100%): 2 old pods ready, 2 new pods pulling in vain.
  const d = deployment(2, (dep) => {
    dep.metadata = { ...dep.metadata, generation: 4 };
    dep.spec = { ...dep.spec, selector: dep.spec?.selector ?? {}, template: template("v1.99.0") };
    dep.status = { ...dep.status, observedGeneration: 4, replicas: 4, updatedReplicas: 2, readyReplicas: 2 };
    dep.status.unavailableReplicas = 2;
  });
  const cannotPull = (suffix: string) =>
    pod({
      suffix,
      podHash: "7c9d5b8f4f",
      v: "v1.99.0",
      created: halfAMinuteAgo,
      phase: "Pending",
      statuses: Object.fromEntries(
        containerNames.map((name) => {
          const image = images("v1.99.0")[name];
          return [name, waiting(name, "ErrImagePull", notFound(image), image)];
        }),
      ),
    });
  const pods = [
    pod({ suffix: "x2x7q", podHash: oldHash }),
    pod({ suffix: "k9bzt", podHash: oldHash }),
    cannotPull("r8w2d"),
    cannotPull("b5n7h"),
  ];
  const diagnosis = diagnoseControlPlane(d, pods, now);
  assert.equal(diagnosis?.reason, "ImageUnavailable");
  // Young pods still report definite errors; the first pod by name and the first container in spec order.
  assert.match(diagnosis.message, /^pod tenant-a-7c9d5b8f4f-b5n7h container kube-apiserver: /);
  assert.ok(diagnosis.message.includes('"registry.k8s.io/kube-apiserver:v1.99.0"'), diagnosis.message);
});

test("ErrImageNeverPull ⇒ ImageUnavailable with the kubelet's message", () => {
  const d = deployment(1, (dep) => {
    withReady(dep, 0);
  });
  const image = images(version)["kube-scheduler"];
  const p = pod({
    suffix: "x2x7q",
    phase: "Pending",
    statuses: {
      "kube-scheduler": waiting(
        "kube-scheduler",
        "ErrImageNeverPull",
        `Container image "${image}" is not present with pull policy of Never`,
        image,
      ),
    },
  });
  assert.deepEqual(diagnoseControlPlane(d, [p], now), {
    reason: "ImageUnavailable",
    message:
      `pod ${podName(p)} container kube-scheduler: image unavailable (ErrImageNeverPull): ` +
      `Container image "${image}" is not present with pull policy of Never`,
  });
});

test("InvalidImageName ⇒ ImageUnavailable, the root cause kept when the message is cut", () => {
  const d = deployment(1, (dep) => {
    withReady(dep, 0);
  });
  const image = "registry.k8s.io/kube-apiserver:V1.34.10-WITH-A-VERY-LONG-AND-INVALID-TAG-THAT-GOES-ON-AND-ON-AND-ON";
  const p = pod({
    suffix: "x2x7q",
    phase: "Pending",
    statuses: {
      "kube-apiserver": waiting(
        "kube-apiserver",
        "InvalidImageName",
        `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`,
        image,
      ),
    },
  });
  const apiServer = p.spec?.containers.find((c) => c.name === "kube-apiserver");
  assert.ok(apiServer);
  apiServer.image = image;
  const diagnosis = diagnoseControlPlane(d, [p], now);
  assert.equal(diagnosis?.reason, "ImageUnavailable");
  assert.ok(diagnosis.message.length <= maxDiagnosisMessageLength, `${diagnosis.message.length}`);
  assert.match(diagnosis.message, /: image unavailable \(InvalidImageName\): …\S.*: invalid reference format$/);
});

test("OOMKilled last state while in CrashLoopBackOff ⇒ OutOfMemory with exit code and memory limit", () => {
  const d = deployment(2, (dep) => {
    withReady(dep, 1);
  });
  const oom: ContainerStatus = {
    name: "kube-apiserver",
    image: images(version)["kube-apiserver"],
    imageID: `${images(version)["kube-apiserver"]}@sha256:0f4c1e3b`,
    containerID: "containerd://4be2a9",
    ready: false,
    started: false,
    restartCount: 7,
    state: {
      waiting: {
        reason: "CrashLoopBackOff",
        message:
          "back-off 2m40s restarting failed container=kube-apiserver pod=tenant-a-6b7f9c8d5d-k9bzt_tenants(4d6f0c1e-5b7a-4c8e-9f21-7a3b2c1d0e9f)",
      },
    },
    lastState: {
      terminated: {
        exitCode: 137,
        reason: "OOMKilled",
        startedAt: "2025-06-01T11:57:02Z",
        finishedAt: "2025-06-01T11:57:31Z",
        containerID: "containerd://4be2a9",
      },
    },
  };
  const p = pod({ suffix: "k9bzt", statuses: { "kube-apiserver": oom } });
  const pods = [pod({ suffix: "x2x7q" }), p];
  const diagnosis = diagnoseControlPlane(d, pods, now);
  assert.deepEqual(diagnosis, {
    reason: "OutOfMemory",
    message: `pod ${podName(p)} container kube-apiserver was OOMKilled (exit code 137) with memory limit 256Mi`,
  });

  // Between two crashes the container runs again, not ready: same text.
  oom.state = { running: { startedAt: "2025-06-01T11:59:50Z" } };
  assert.deepEqual(diagnoseControlPlane(d, pods, now), diagnosis);
});

test("OOM in one pod wins over a merely unready container in another", () => {
  const d = deployment(2, (dep) => {
    withReady(dep, 0);
  });
  const unready: ContainerStatus = { ...running("kube-scheduler"), ready: false };
  const oom: ContainerStatus = {
    ...running("kube-controller-manager"),
    ready: false,
    restartCount: 3,
    lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } },
  };
  const pods = [
    pod({ suffix: "aaaaa", statuses: { "kube-scheduler": unready } }),
    pod({ suffix: "zzzzz", statuses: { "kube-controller-manager": oom } }),
  ];
  const diagnosis = diagnoseControlPlane(d, pods, now);
  assert.equal(diagnosis?.reason, "OutOfMemory");
  assert.match(diagnosis.message, /zzzzz container kube-controller-manager was OOMKilled \(exit code 137\)/);
});

test("Pending, PodScheduled False Unschedulable ⇒ Unschedulable with the scheduler's message", () => {
  const d = deployment(2, (dep) => {
    withReady(dep, 1);
  });
  const message =
    "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, " +
    "2 Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, " +
    "2 No preemption victims found for incoming pod.";
  const pending = pod({ suffix: "q8z4v", phase: "Pending" });
  pending.status = {
    phase: "Pending",
    qosClass: "Burstable",
    conditions: [
      { type: "PodScheduled", status: "False", reason: "Unschedulable", message, lastTransitionTime: anHourAgo },
    ],
  };
  const diagnosis = diagnoseControlPlane(d, [pod({ suffix: "x2x7q" }), pending], now);
  assert.deepEqual(diagnosis, {
    reason: "Unschedulable",
    message:
      `pod ${podName(pending)} cannot be scheduled (Unschedulable): 0/3 nodes are available: 1 node(s) had ` +
      "untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory.",
  });
});

test("a young pod without errors ⇒ Starting, not a failure", () => {
  const d = deployment(1, (dep) => {
    withReady(dep, 0);
  });
  const creating = waiting("kube-apiserver", "ContainerCreating", "", images(version)["kube-apiserver"]);
  const notYetReady: ContainerStatus = { ...running("kube-scheduler"), ready: false, started: false };
  const p = pod({
    suffix: "x2x7q",
    created: halfAMinuteAgo,
    phase: "Pending",
    statuses: { "kube-apiserver": creating, "kube-scheduler": notYetReady },
  });
  assert.deepEqual(diagnoseControlPlane(d, [p], now), {
    reason: "Starting",
    message: `pod ${podName(p)} is starting`,
  });
  // The same pod, still there after the grace period: a failure.
  const later = new Date(now.getTime() + 10 * 60_000);
  const diagnosis = diagnoseControlPlane(d, [p], later);
  assert.deepEqual(diagnosis, {
    reason: "ContainersNotReady",
    message: `pod ${podName(p)} container kube-apiserver is waiting (ContainerCreating)`,
  });
  // A longer grace period keeps it starting.
  assert.equal(diagnoseControlPlane(d, [p], later, { startupGraceSeconds: 3600 })?.reason, "Starting");
});

test("a container failing its readiness probe past the grace period ⇒ ContainersNotReady", () => {
  const d = deployment(2, (dep) => {
    withReady(dep, 1);
  });
  const p = pod({ suffix: "k9bzt", statuses: { "kube-apiserver": { ...running("kube-apiserver"), ready: false } } });
  assert.deepEqual(diagnoseControlPlane(d, [pod({ suffix: "x2x7q" }), p], now), {
    reason: "ContainersNotReady",
    message: `pod ${podName(p)} container kube-apiserver is running but not ready`,
  });
  const unstarted = pod({
    suffix: "k9bzt",
    statuses: { "kube-apiserver": { ...running("kube-apiserver"), ready: false, started: false } },
  });
  assert.equal(
    diagnoseControlPlane(d, [unstarted], now)?.message,
    `pod ${podName(p)} container kube-apiserver has not passed its startup probe`,
  );
});

test("CrashLoopBackOff with a plain error ⇒ CrashLooping, same text in back-off and while running again", () => {
  const d = deployment(1, (dep) => {
    withReady(dep, 0);
  });
  const crashing: ContainerStatus = {
    ...running("kube-controller-manager"),
    ready: false,
    started: false,
    restartCount: 12,
    state: {
      waiting: {
        reason: "CrashLoopBackOff",
        message:
          "back-off 5m0s restarting failed container=kube-controller-manager pod=tenant-a-6b7f9c8d5d-x2x7q_tenants(4d6f0c1e)",
      },
    },
    lastState: {
      terminated: {
        exitCode: 1,
        reason: "Error",
        message:
          'I0601 11:55:01.000000       1 serving.go:386] Generated self-signed cert in-memory\nE0601 11:55:02.123456       1 run.go:72] "command failed" err="open /etc/kubernetes/controller-manager.conf: no such file or directory"\n',
        startedAt: "2025-06-01T11:55:00Z",
        finishedAt: "2025-06-01T11:55:02Z",
      },
    },
  };
  const p = pod({ suffix: "x2x7q", statuses: { "kube-controller-manager": crashing } });
  const diagnosis = diagnoseControlPlane(d, [p], now);
  assert.deepEqual(diagnosis, {
    reason: "CrashLooping",
    message:
      `pod ${podName(p)} container kube-controller-manager keeps restarting, last exit Error (exit code 1): ` +
      '"command failed" err="open /etc/kubernetes/controller-manager.conf: no such file or directory"',
  });
  crashing.restartCount = 13;
  crashing.state = { running: { startedAt: "2025-06-01T11:59:58Z" } };
  assert.deepEqual(diagnoseControlPlane(d, [p], now), diagnosis);
});

test("a missing Secret ⇒ ContainerConfigError with the kubelet's message", () => {
  const d = deployment(1, (dep) => {
    withReady(dep, 0);
  });
  const p = pod({
    suffix: "x2x7q",
    created: halfAMinuteAgo,
    phase: "Pending",
    statuses: {
      "kube-apiserver": waiting(
        "kube-apiserver",
        "CreateContainerConfigError",
        'secret "tenant-a-api-server-certificate" not found',
        images(version)["kube-apiserver"],
      ),
    },
  });
  assert.deepEqual(diagnoseControlPlane(d, [p], now), {
    reason: "ContainerConfigError",
    message: `pod ${podName(p)} container kube-apiserver: cannot start (CreateContainerConfigError): secret "tenant-a-api-server-certificate" not found`,
  });
});

test("old-revision pods are ignored: a crash-looping old pod does not hide that the new ones are starting", () => {
  const d = deployment(1, (dep) => {
    dep.status = { ...dep.status, replicas: 2, updatedReplicas: 1, readyReplicas: 0, unavailableReplicas: 1 };
  });
  const old = pod({
    suffix: "x2x7q",
    podHash: oldHash,
    v: "v1.33.4",
    statuses: {
      "kube-apiserver": {
        ...running("kube-apiserver", "v1.33.4"),
        ready: false,
        restartCount: 4,
        state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 1m20s restarting failed container" } },
        lastState: { terminated: { exitCode: 1, reason: "Error" } },
      },
    },
  });
  // The old pod is even the newest one (its ReplicaSet replaced it): the template match tells them apart.
  old.metadata = { ...old.metadata, creationTimestamp: "2025-06-01T11:59:50Z" };
  const fresh = pod({
    suffix: "k9bzt",
    created: halfAMinuteAgo,
    statuses: { "kube-apiserver": { ...running("kube-apiserver"), ready: false } },
  });
  assert.deepEqual(diagnoseControlPlane(d, [old, fresh], now), {
    reason: "Starting",
    message: `pod ${podName(fresh)} is starting`,
  });
});

test("terminating pods and pods of other owners are ignored", () => {
  const d = deployment(1, (dep) => {
    withReady(dep, 0);
  });
  const broken = {
    "kube-apiserver": waiting("kube-apiserver", "ErrImageNeverPull", "not present", images(version)["kube-apiserver"]),
  };
  const terminating = pod({ suffix: "x2x7q", statuses: broken });
  terminating.metadata = { ...terminating.metadata, deletionTimestamp: "2025-06-01T11:59:00Z" };
  const foreign = pod({ suffix: "k9bzt", statuses: broken });
  foreign.metadata = {
    ...foreign.metadata,
    ownerReferences: [{ apiVersion: "apps/v1", kind: "StatefulSet", name: "tenant-a", uid: "1", controller: true }],
  };
  assert.deepEqual(diagnoseControlPlane(d, [terminating, foreign], now), {
    reason: "Starting",
    message: "deployment tenant-a is waiting for its pods",
  });
});

test("ProgressDeadlineExceeded with no pod to blame ⇒ RolloutStuck", () => {
  const d = deployment(2, (dep) => {
    dep.status = {
      observedGeneration: 3,
      replicas: 0,
      conditions: [
        {
          type: "Progressing",
          status: "False",
          reason: "ProgressDeadlineExceeded",
          message: `ReplicaSet "tenant-a-${hash}" has timed out progressing.`,
        },
      ],
    };
  });
  assert.deepEqual(diagnoseControlPlane(d, [], now), {
    reason: "RolloutStuck",
    message: `deployment tenant-a rollout is stuck (ProgressDeadlineExceeded): ReplicaSet "tenant-a-${hash}" has timed out progressing.`,
  });
});

test("ReplicaFailure (quota) ⇒ PodCreationFailed, ahead of RolloutStuck", () => {
  const quota =
    `pods "tenant-a-${hash}-ndq6w" is forbidden: exceeded quota: compute, requested: limits.memory=512Mi, ` +
    "used: limits.memory=3840Mi, limited: limits.memory=4Gi";
  const d = deployment(2, (dep) => {
    dep.status = {
      observedGeneration: 3,
      replicas: 0,
      conditions: [
        { type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: quota },
        { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "timed out" },
      ],
    };
  });
  assert.deepEqual(diagnoseControlPlane(d, [], now), {
    reason: "PodCreationFailed",
    message: `deployment tenant-a cannot create pods (FailedCreate): ${quota}`,
  });
});

test("all current pods ready but the Deployment controller has not caught up ⇒ Starting", () => {
  const d = deployment(2, (dep) => {
    dep.metadata = { ...dep.metadata, generation: 4 };
  });
  assert.deepEqual(diagnoseControlPlane(d, [pod({ suffix: "x2x7q" }), pod({ suffix: "k9bzt" })], now), {
    reason: "Starting",
    message: "deployment tenant-a is rolling out",
  });
});

test("messages stay short and carry no timestamps", () => {
  const d = deployment(1, (dep) => {
    withReady(dep, 0);
  });
  const huge = `0/500 nodes are available: ${Array.from({ length: 60 }, (_, i) => `${i} node(s) had taint t${i}`).join(", ")}.`;
  const pending = pod({ suffix: "q8z4v", phase: "Pending" });
  pending.status = {
    phase: "Pending",
    conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: huge }],
  };
  const diagnosis = diagnoseControlPlane(d, [pending], now);
  assert.equal(diagnosis?.reason, "Unschedulable");
  assert.ok(diagnosis.message.length < 300, `${diagnosis.message.length}`);
  assert.doesNotMatch(diagnosis.message, /\d{4}-\d{2}-\d{2}T/);
});
