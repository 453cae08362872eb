import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { assertValidResource } from "../../../src/api/validation.js";
import { apiVersion, tenantControlPlaneKind, type TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import {
  apiServerArgsAnnotation,
  buildControlPlaneDeployment,
  componentSecrets,
  type ControlPlaneDeploymentInput,
  type Deployment,
} from "../../../src/resources/deployment/index.js";

/** A TenantControlPlane as stored: the spec passed through the CRD schema defaults. */
function tenantControlPlane(customise?: (spec: Record<string, any>) => void): TenantControlPlane {
  const spec: Record<string, any> = {
    controlPlane: { service: { serviceType: "ClusterIP" } },
    kubernetes: { version: "v1.34.2", kubelet: {} },
  };
  customise?.(spec);
  const object = { apiVersion, kind: "TenantControlPlane", metadata: { name: "tenant-a", namespace: "tenants" }, spec };
  return assertValidResource(tenantControlPlaneKind, object) as unknown as TenantControlPlane;
}

const secretChecksums = Object.fromEntries(componentSecrets.map((s) => [s, `md5-of-${s}`])) as Record<
  (typeof componentSecrets)[number],
  string
>;

function input(overrides: Partial<ControlPlaneDeploymentInput> = {}): ControlPlaneDeploymentInput {
  return {
    tenantControlPlane: tenantControlPlane(),
    secretChecksums,
    dataStore: { name: "etcd-primary", driver: "etcd", endpoints: ["etcd-0.etcd:2379", "etcd-1.etcd:2379"] },
    storageSchema: "tenant-schema",
    storageChecksums: { config: "config-sum", certificate: "certificate-sum" },
    address: "10.0.0.100",
    kineImage: "rancher/kine:v0.11.10-amd64",
    ...overrides,
  };
}

const build = (overrides: Partial<ControlPlaneDeploymentInput> = {}) => buildControlPlaneDeployment(input(overrides));
const withSpec = (
  customise: (spec: Record<string, any>) => void,
  overrides: Partial<ControlPlaneDeploymentInput> = {},
) => build({ ...overrides, tenantControlPlane: tenantControlPlane(customise) });

const podSpec = (d: Deployment) => d.spec!.template.spec!;
const names = (items: { name: string }[] | undefined) => (items ?? []).map((i) => i.name);
const container = (d: Deployment, name: string) => {
  const found = podSpec(d).containers.find((c) => c.name === name);
  assert.ok(found, `container ${name}`);
  return found;
};
const apiServerArgs = (d: Deployment) => container(d, "kube-apiserver").args!;
const md5 = (text: string) => createHash("md5").update(text).digest("hex");

const pki = "/etc/kubernetes/pki";
const minimalEtcdApiServerArgs = [
  "--advertise-address=10.0.0.100",
  "--allow-privileged=true",
  "--authorization-mode=Node,RBAC",
  `--client-ca-file=${pki}/ca.crt`,
  "--enable-admission-plugins=CertificateApproval,CertificateSigning,CertificateSubjectRestriction,DefaultIngressClass,DefaultStorageClass,DefaultTolerationSeconds,LimitRanger,MutatingAdmissionWebhook,NamespaceLifecycle,PersistentVolumeClaimResize,Priority,ResourceQuota,RuntimeClass,ServiceAccount,StorageObjectInUseProtection,TaintNodesByCondition,ValidatingAdmissionWebhook",
  "--enable-bootstrap-token-auth=true",
  "--endpoint-reconciler-type=none",
  `--etcd-cafile=${pki}/etcd/ca.crt`,
  `--etcd-certfile=${pki}/etcd/server.crt`,
  "--etcd-compaction-interval=0",
  `--etcd-keyfile=${pki}/etcd/server.key`,
  "--etcd-prefix=/tenant-schema",
  "--etcd-servers=https://etcd-0.etcd:2379,https://etcd-1.etcd:2379",
  "--feature-gates=ListFromCacheSnapshot=false",
  `--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt`,
  `--kubelet-client-key=${pki}/apiserver-kubelet-client.key`,
  "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
  `--proxy-client-cert-file=${pki}/front-proxy-client.crt`,
  `--proxy-client-key-file=${pki}/front-proxy-client.key`,
  "--requestheader-allowed-names=front-proxy-client",
  `--requestheader-client-ca-file=${pki}/front-proxy-ca.crt`,
  "--requestheader-extra-headers-prefix=X-Remote-Extra-",
  "--requestheader-group-headers=X-Remote-Group",
  "--requestheader-username-headers=X-Remote-User",
  "--secure-port=6443",
  "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
  `--service-account-key-file=${pki}/sa.pub`,
  `--service-account-signing-key-file=${pki}/sa.key`,
  "--service-cluster-ip-range=10.96.0.0/16",
  "--shutdown-delay-duration=10s",
  `--tls-cert-file=${pki}/apiserver.crt`,
  `--tls-private-key-file=${pki}/apiserver.key`,
];

// kubeadm's tolerance (15 s timeouts, 8 liveness failures, 4 min startup budget) with short startup and readiness periods.
const periods = { liveness: [10, 8], readiness: [2, 3], startup: [1, 240] } as const;
const defaultProbe = (path: string, port: number, kind: keyof typeof periods = "liveness") => ({
  httpGet: { path, port, scheme: "HTTPS" },
  initialDelaySeconds: 0,
  timeoutSeconds: 15,
  periodSeconds: periods[kind][0],
  successThreshold: 1,
  failureThreshold: periods[kind][1],
});

describe("kube-apiserver", () => {
  test("a minimal etcd TenantControlPlane gets exactly the managed flags and the safe defaults", () => {
    const d = build();
    assert.deepEqual(apiServerArgs(d), minimalEtcdApiServerArgs);
    const c = container(d, "kube-apiserver");
    assert.equal(c.image, "registry.k8s.io/kube-apiserver:v1.34.2");
    assert.deepEqual(c.command, ["kube-apiserver"]);
    assert.deepEqual(c.livenessProbe, defaultProbe("/livez", 6443));
    assert.deepEqual(c.readinessProbe, defaultProbe("/readyz", 6443, "readiness"));
    assert.deepEqual(c.startupProbe, defaultProbe("/livez", 6443, "startup"));
  });

  test("the spec drives the managed flags", () => {
    const d = withSpec((spec) => {
      spec.networkProfile = {
        port: 8443,
        advertiseAddress: "192.168.1.10",
        serviceCidrs: ["10.96.0.0/16", "fd00:10:96::/112"],
      };
      spec.kubernetes.admissionControllers = ["NodeRestriction", "PodSecurity"];
      spec.kubernetes.kubelet.preferredAddressTypes = ["Hostname", "InternalIP"];
    });
    const args = apiServerArgs(d);
    for (const expected of [
      "--advertise-address=192.168.1.10",
      "--secure-port=8443",
      "--service-cluster-ip-range=10.96.0.0/16,fd00:10:96::/112",
      "--enable-admission-plugins=NodeRestriction,PodSecurity",
      "--kubelet-preferred-address-types=Hostname,InternalIP",
    ]) {
      assert.ok(args.includes(expected), expected);
    }
    assert.deepEqual(container(d, "kube-apiserver").livenessProbe?.httpGet?.port, 8443);
  });

  test("user extras override safe defaults, never managed flags, and come last in their order", () => {
    const user = [
      "--allow-privileged=false",
      "--secure-port=1234",
      "--etcd-prefix=/someone-else",
      "--api-audiences=a",
      "--v=4",
      "--api-audiences=b",
    ];
    const args = apiServerArgs(withSpec((spec) => (spec.controlPlane.deployment = { extraArgs: { apiServer: user } })));
    const kamaji = minimalEtcdApiServerArgs.filter((arg) => arg !== "--allow-privileged=true");
    assert.deepEqual(args, [...kamaji, "--allow-privileged=false", "--api-audiences=a", "--v=4", "--api-audiences=b"]);
  });

  test("--authorization-config replaces the default --authorization-mode", () => {
    const args = apiServerArgs(
      withSpec((spec) => {
        spec.controlPlane.deployment = { extraArgs: { apiServer: ["--authorization-config=/etc/authz.yaml"] } };
      }),
    );
    assert.ok(!args.some((arg) => arg.startsWith("--authorization-mode")));
    assert.equal(args.at(-1), "--authorization-config=/etc/authz.yaml");
  });

  test("data store overrides become --etcd-servers-overrides", () => {
    const args = apiServerArgs(
      build({
        dataStoreOverrides: [
          { resource: "/events", endpoints: ["ev-0:2379", "ev-1:2379"] },
          { resource: "/leases", endpoints: ["ls-0:2379"] },
        ],
      }),
    );
    assert.ok(
      args.includes("--etcd-servers-overrides=/events#https://ev-0:2379;https://ev-1:2379,/leases#https://ls-0:2379"),
    );
    assert.ok(!apiServerArgs(build({ dataStoreOverrides: [] })).some((a) => a.startsWith("--etcd-servers-overrides")));
  });

  describe("flags of the stored Deployment", () => {
    const stored = (annotation: string, args: string[]): Deployment => {
      const previous = build();
      previous.metadata!.annotations = { [apiServerArgsAnnotation]: annotation };
      container(previous, "kube-apiserver").args = args;
      return previous;
    };
    const unchanged = md5("");

    test("foreign flags are kept while the user's extra args are unchanged", () => {
      const args = apiServerArgs(build({ existing: stored(unchanged, [...minimalEtcdApiServerArgs, "--foreign=1"]) }));
      assert.deepEqual(args, [...minimalEtcdApiServerArgs, "--foreign=1"].sort());
    });

    test("changing the extra args resets them", () => {
      const existing = stored(unchanged, [...minimalEtcdApiServerArgs, "--foreign=1"]);
      const d = withSpec((spec) => (spec.controlPlane.deployment = { extraArgs: { apiServer: ["--v=2"] } }), {
        existing,
      });
      assert.deepEqual(apiServerArgs(d), [...minimalEtcdApiServerArgs, "--v=2"]);
      assert.equal(d.metadata!.annotations![apiServerArgsAnnotation], md5("--v=2\0"));
    });

    test("a Deployment without the annotation is reset", () => {
      const existing = stored(unchanged, ["--foreign=1"]);
      delete existing.metadata!.annotations;
      assert.deepEqual(apiServerArgs(build({ existing })), minimalEtcdApiServerArgs);
    });

    test("flags Kamaji set in another configuration and stale managed values are dropped", () => {
      const existing = stored(unchanged, [
        "--advertise-address=10.9.9.9",
        "--authorization-mode=AlwaysAllow",
        "--egress-selector-config-file=/old.yaml",
        "--etcd-servers-overrides=/events#https://old:2379",
      ]);
      assert.deepEqual(apiServerArgs(build({ existing })), minimalEtcdApiServerArgs);
    });
  });
});

describe("kube-controller-manager and kube-scheduler", () => {
  const controllerManagerDefaults = [
    "--allocate-node-cidrs=true",
    "--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf",
    "--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf",
    "--bind-address=0.0.0.0",
    `--client-ca-file=${pki}/ca.crt`,
    "--cluster-cidr=10.244.0.0/16",
    "--cluster-name=tenant-a",
    `--cluster-signing-cert-file=${pki}/ca-signing.crt`,
    `--cluster-signing-key-file=${pki}/ca.key`,
    "--controllers=*,bootstrapsigner,tokencleaner",
    "--kubeconfig=/etc/kubernetes/controller-manager.conf",
    "--leader-elect=true",
    `--requestheader-client-ca-file=${pki}/front-proxy-ca.crt`,
    `--root-ca-file=${pki}/ca.crt`,
    `--service-account-private-key-file=${pki}/sa.key`,
    "--service-cluster-ip-range=10.96.0.0/16",
    "--use-service-account-credentials=true",
  ];
  const schedulerDefaults = [
    "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
    "--authorization-kubeconfig=/etc/kubernetes/scheduler.conf",
    "--bind-address=0.0.0.0",
    "--kubeconfig=/etc/kubernetes/scheduler.conf",
    "--leader-elect=true",
  ];

  test("default flags, images, probes", () => {
    const d = build();
    const cm = container(d, "kube-controller-manager");
    assert.deepEqual(cm.args, controllerManagerDefaults);
    assert.equal(cm.image, "registry.k8s.io/kube-controller-manager:v1.34.2");
    assert.deepEqual(cm.livenessProbe, defaultProbe("/healthz", 10257));
    const scheduler = container(d, "kube-scheduler");
    assert.deepEqual(scheduler.args, schedulerDefaults);
    assert.equal(scheduler.image, "registry.k8s.io/kube-scheduler:v1.34.2");
    assert.deepEqual(scheduler.startupProbe, defaultProbe("/healthz", 10259, "startup"));
  });

  test("controller-manager extra args override Kamaji's; scheduler ones cannot override the forced flags", () => {
    const d = withSpec((spec) => {
      spec.controlPlane.deployment = {
        extraArgs: {
          controllerManager: ["--controllers=*,-nodeipam", "--allocate-node-cidrs=false", "--v=2"],
          scheduler: ["--leader-elect=false", "--v=3"],
        },
      };
    });
    const expectedCm = controllerManagerDefaults
      .map((arg) =>
        arg.startsWith("--controllers=")
          ? "--controllers=*,-nodeipam"
          : arg.startsWith("--allocate-node-cidrs=")
            ? "--allocate-node-cidrs=false"
            : arg,
      )
      .concat("--v=2");
    assert.deepEqual(container(d, "kube-controller-manager").args, expectedCm);
    assert.deepEqual(container(d, "kube-scheduler").args, [...schedulerDefaults, "--v=3"]);
  });

  test("pod CIDRs and the deprecated single CIDR fields", () => {
    const cm = (network: Record<string, any>) =>
      container(
        withSpec((spec) => (spec.networkProfile = network)),
        "kube-controller-manager",
      ).args!;
    assert.ok(cm({ podCidrs: ["10.1.0.0/16", "fd00::/48"] }).includes("--cluster-cidr=10.1.0.0/16,fd00::/48"));
    assert.ok(cm({ podCidr: "10.2.0.0/16" }).includes("--cluster-cidr=10.2.0.0/16"));
  });
});

test("probe timings: defaults, then the global values, then the component's own", () => {
  const d = withSpec((spec) => {
    spec.controlPlane.deployment = {
      probes: {
        liveness: { failureThreshold: 10, timeoutSeconds: 2 },
        startup: { initialDelaySeconds: 5 },
        apiServer: { liveness: { failureThreshold: 20, periodSeconds: 5 } },
        scheduler: { readiness: { timeoutSeconds: 4 } },
      },
    };
  });
  const api = container(d, "kube-apiserver");
  assert.deepEqual(api.livenessProbe, {
    ...defaultProbe("/livez", 6443),
    failureThreshold: 20,
    timeoutSeconds: 2,
    periodSeconds: 5,
  });
  assert.deepEqual(api.startupProbe, { ...defaultProbe("/livez", 6443, "startup"), initialDelaySeconds: 5 });
  assert.deepEqual(api.readinessProbe, defaultProbe("/readyz", 6443, "readiness"));
  const scheduler = container(d, "kube-scheduler");
  assert.deepEqual(scheduler.livenessProbe, {
    ...defaultProbe("/healthz", 10259),
    failureThreshold: 10,
    timeoutSeconds: 2,
  });
  assert.deepEqual(scheduler.readinessProbe, { ...defaultProbe("/healthz", 10259, "readiness"), timeoutSeconds: 4 });
  assert.deepEqual(container(d, "kube-controller-manager").livenessProbe, {
    ...defaultProbe("/healthz", 10257),
    failureThreshold: 10,
    timeoutSeconds: 2,
  });
});

describe("containers and volumes", () => {
  const extras = (spec: Record<string, any>) => {
    spec.controlPlane.deployment = {
      additionalInitContainers: [{ name: "init-user", image: "busybox" }],
      additionalContainers: [{ name: "sidecar", image: "busybox" }],
      additionalVolumes: [{ name: "extra", emptyDir: {} }],
      additionalVolumeMounts: {
        apiServer: [{ name: "extra", mountPath: "/extra-api" }],
        controllerManager: [{ name: "extra", mountPath: "/extra-cm" }],
        scheduler: [{ name: "extra", mountPath: "/extra-scheduler" }],
      },
    };
  };

  test("etcd: Kamaji's containers and volumes in order", () => {
    const spec = podSpec(build());
    assert.equal(spec.initContainers, undefined);
    assert.deepEqual(names(spec.containers), ["kube-apiserver", "kube-scheduler", "kube-controller-manager"]);
    assert.deepEqual(names(spec.volumes), [
      "etc-kubernetes-pki",
      "etc-ca-certificates",
      "usr-share-ca-certificates",
      "usr-local-share-ca-certificates",
      "scheduler-kubeconfig",
      "controller-manager-kubeconfig",
    ]);
    assert.deepEqual(
      container(build(), "kube-apiserver").volumeMounts!.map((m) => `${m.name}:${m.mountPath}:${m.readOnly ?? false}`),
      [
        `etc-kubernetes-pki:${pki}:true`,
        "etc-ca-certificates:/etc/ca-certificates:true",
        "usr-share-ca-certificates:/usr/share/ca-certificates:true",
        "usr-local-share-ca-certificates:/usr/local/share/ca-certificates:true",
      ],
    );
  });

  test("the projected pki volume, with the datastore client certificate for etcd", () => {
    const pkiVolume = podSpec(build()).volumes![0]!;
    const secret = (name: string, ...keys: string[]) => ({
      secret: { name, items: keys.map((key) => ({ key, path: key })) },
    });
    assert.deepEqual(pkiVolume, {
      name: "etc-kubernetes-pki",
      projected: {
        defaultMode: 420,
        sources: [
          secret("tenant-a-api-server-certificate", "apiserver.crt", "apiserver.key"),
          {
            secret: {
              name: "tenant-a-ca",
              items: [
                { key: "ca.crt", path: "ca.crt" },
                { key: "ca.key", path: "ca.key" },
                { key: "tls.crt", path: "ca-signing.crt" }, // the signing CA alone (ca.crt is a bundle in rotations)
              ],
            },
          },
          secret(
            "tenant-a-api-server-kubelet-client-certificate",
            "apiserver-kubelet-client.crt",
            "apiserver-kubelet-client.key",
          ),
          secret("tenant-a-front-proxy-ca-certificate", "front-proxy-ca.crt", "front-proxy-ca.key"),
          secret("tenant-a-front-proxy-client-certificate", "front-proxy-client.crt", "front-proxy-client.key"),
          secret("tenant-a-sa-certificate", "sa.pub", "sa.key"),
          {
            secret: {
              name: "tenant-a-datastore-certificate",
              items: [
                { key: "ca.crt", path: "etcd/ca.crt" },
                { key: "server.crt", path: "etcd/server.crt" },
                { key: "server.key", path: "etcd/server.key" },
              ],
            },
          },
        ],
      },
    });
    const volume = (name: string) => podSpec(build()).volumes!.find((v) => v.name === name);
    assert.deepEqual(volume("usr-share-ca-certificates")?.secret, { secretName: "tenant-a-ca", defaultMode: 420 });
    assert.deepEqual(volume("scheduler-kubeconfig")?.secret, {
      secretName: "tenant-a-scheduler-kubeconfig",
      defaultMode: 420,
    });
  });

  test("the user's init containers, containers, volumes and mounts come before Kamaji's", () => {
    const d = withSpec(extras);
    const spec = podSpec(d);
    assert.deepEqual(names(spec.initContainers), ["init-user"]);
    assert.deepEqual(names(spec.containers), [
      "sidecar",
      "kube-apiserver",
      "kube-scheduler",
      "kube-controller-manager",
    ]);
    assert.equal(names(spec.volumes)[0], "extra");
    assert.equal(names(spec.volumes)[1], "etc-kubernetes-pki");
    const firstMount = (name: string) => container(d, name).volumeMounts![0]!.mountPath;
    assert.equal(firstMount("kube-apiserver"), "/extra-api");
    assert.equal(firstMount("kube-controller-manager"), "/extra-cm");
    assert.equal(firstMount("kube-scheduler"), "/extra-scheduler");
  });

  test("removing them from the spec removes them from the Deployment", () => {
    const existing = withSpec(extras);
    const spec = podSpec(build({ existing }));
    assert.equal(spec.initContainers, undefined);
    assert.deepEqual(names(spec.containers), ["kube-apiserver", "kube-scheduler", "kube-controller-manager"]);
    assert.ok(!names(spec.volumes).includes("extra"));
    assert.ok(!container(build({ existing }), "kube-apiserver").volumeMounts!.some((m) => m.name === "extra"));
  });
});

describe("kine", () => {
  const drivers = [
    { driver: "MySQL", endpoint: "mysql://$(DB_USER):$(DB_PASSWORD)@tcp($(DB_CONNECTION_STRING))/$(DB_SCHEMA)" },
    { driver: "PostgreSQL", endpoint: "postgres://$(DB_USER):$(DB_PASSWORD)@$(DB_CONNECTION_STRING)/$(DB_SCHEMA)" },
    {
      driver: "NATS",
      endpoint: "nats://$(DB_USER):$(DB_PASSWORD)@$(DB_CONNECTION_STRING)?bucket=$(DB_SCHEMA)&noEmbed",
    },
  ] as const;
  const tlsCases = [
    { name: "without TLS", tls: undefined, args: [], init: false },
    { name: "with the CA", tls: { clientCertificate: false }, args: ["--ca-file=/certs/ca.crt"], init: true },
    {
      name: "with a client certificate",
      tls: { clientCertificate: true },
      args: ["--ca-file=/certs/ca.crt", "--cert-file=/certs/server.crt", "--key-file=/certs/server.key"],
      init: true,
    },
  ];

  for (const { driver, endpoint } of drivers) {
    for (const { name, tls, args, init } of tlsCases) {
      test(`${driver} ${name}`, () => {
        const d = build({ dataStore: { name: "sql", driver, endpoints: ["db:5432"], ...(tls && { tls }) } });
        const spec = podSpec(d);
        assert.deepEqual(names(spec.containers), [
          "kube-apiserver",
          "kube-scheduler",
          "kube-controller-manager",
          "kine",
        ]);
        const kine = container(d, "kine");
        assert.deepEqual(kine.args, [...args, `--endpoint=${endpoint}`, "--listen-address=unix:///uds/kine"].sort());
        assert.equal(kine.image, "rancher/kine:v0.11.10-amd64");
        assert.deepEqual(kine.command, ["/bin/kine"]);
        assert.deepEqual(kine.env, [{ name: "GODEBUG", value: "x509ignoreCN=0" }]);
        assert.deepEqual(kine.envFrom, [{ secretRef: { name: "tenant-a-datastore-config" } }]);
        assert.deepEqual(kine.ports, [{ name: "server", containerPort: 2379, protocol: "TCP" }]);
        assert.deepEqual(kine.volumeMounts, [
          { name: "kine-certs", mountPath: "/certs" },
          { name: "kine-uds", mountPath: "/uds" },
        ]);
        assert.deepEqual(names(spec.initContainers), init ? ["chmod"] : []);
        assert.deepEqual(names(spec.volumes).slice(-3), ["kine-uds", "kine-config", "kine-certs"]);

        const apiArgs = apiServerArgs(d);
        assert.ok(apiArgs.includes("--etcd-servers=unix:///uds/kine"));
        assert.ok(!apiArgs.some((a) => /^--etcd-(prefix|cafile|certfile|keyfile|compaction-interval)=/.test(a)));
        assert.deepEqual(container(d, "kube-apiserver").volumeMounts![0], { name: "kine-uds", mountPath: "/uds" });
        const pkiSources = spec.volumes![0]!.projected!.sources!;
        assert.ok(!pkiSources.some((s) => s.secret?.name === "tenant-a-datastore-certificate"));
      });
    }
  }

  test("the chmod init container copies the datastore certificates", () => {
    const d = build({
      dataStore: { name: "pg", driver: "PostgreSQL", endpoints: [], tls: { clientCertificate: true } },
    });
    assert.deepEqual(podSpec(d).initContainers, [
      {
        name: "chmod",
        image: "rancher/kine:v0.11.10-amd64",
        imagePullPolicy: "IfNotPresent",
        command: ["sh"],
        args: ["-c", "cp /kine/*.* /certs && chmod -R 600 /certs/*.*"],
        volumeMounts: [
          { name: "kine-config", mountPath: "/kine", readOnly: true },
          { name: "kine-certs", mountPath: "/certs" },
        ],
      },
    ]);
    const volume = (name: string) => podSpec(d).volumes!.find((v) => v.name === name);
    assert.deepEqual(volume("kine-config")?.secret, { secretName: "tenant-a-datastore-certificate", defaultMode: 420 });
    assert.deepEqual(volume("kine-uds")?.emptyDir, { medium: "Memory" });
  });

  test("user kine args override Kamaji's, except --endpoint", () => {
    const d = withSpec(
      (spec) => {
        spec.controlPlane.deployment = {
          extraArgs: { kine: ["--ca-file=/mine/ca.crt", "--endpoint=sqlite://", "--metrics-bind-address=:8080"] },
          resources: { kine: { limits: { memory: "256Mi" } } },
          containerSecurityContexts: { kine: { runAsNonRoot: true }, kineInit: { runAsUser: 0 } },
        };
      },
      { dataStore: { name: "my", driver: "MySQL", endpoints: [], tls: { clientCertificate: false } } },
    );
    const kine = container(d, "kine");
    assert.deepEqual(kine.args, [
      "--ca-file=/mine/ca.crt",
      "--endpoint=mysql://$(DB_USER):$(DB_PASSWORD)@tcp($(DB_CONNECTION_STRING))/$(DB_SCHEMA)",
      "--listen-address=unix:///uds/kine",
      "--metrics-bind-address=:8080",
    ]);
    assert.deepEqual(kine.resources, { limits: { memory: "256Mi" } });
    assert.deepEqual(kine.securityContext, { runAsNonRoot: true });
    assert.deepEqual(podSpec(d).initContainers![0]!.securityContext, { runAsUser: 0 });
  });

  test("switching to etcd removes kine's containers, volumes and apiserver flag", () => {
    const existing = build({
      dataStore: { name: "pg", driver: "PostgreSQL", endpoints: [], tls: { clientCertificate: true } },
    });
    const d = build({ existing });
    assert.deepEqual(d, build());
  });
});

describe("konnectivity", () => {
  const konnectivity = (server: Record<string, any> = { port: 8132 }) =>
    withSpec((spec) => {
      spec.controlPlane.deployment = { replicas: 3 };
      spec.addons = { konnectivity: { server } };
    });

  test("adds the server container, its volumes and the apiserver egress selector", () => {
    const d = withSpec((spec) => (spec.addons = { konnectivity: {} }));
    const spec = podSpec(d);
    assert.deepEqual(names(spec.containers).at(-1), "konnectivity-server");
    const server = container(d, "konnectivity-server");
    assert.equal(server.image, "registry.k8s.io/kas-network-proxy/proxy-server:v0.34.0");
    assert.deepEqual(server.command, ["/proxy-server"]);
    assert.deepEqual(server.args, [
      "--admin-port=8133",
      "--agent-namespace=kube-system",
      "--agent-port=8132",
      "--agent-service-account=konnectivity-agent",
      "--authentication-audience=system:konnectivity-server",
      `--cluster-cert=${pki}/apiserver.crt`,
      `--cluster-key=${pki}/apiserver.key`,
      "--health-port=8134",
      "--kubeconfig=/etc/kubernetes/konnectivity-server.conf",
      "--mode=grpc",
      "--server-count=2",
      "--server-port=0",
      "--uds-name=/run/konnectivity/konnectivity-server.socket",
    ]);
    assert.deepEqual(server.ports, [
      { name: "agentport", containerPort: 8132, protocol: "TCP" },
      { name: "adminport", containerPort: 8133, protocol: "TCP" },
      { name: "healthport", containerPort: 8134, protocol: "TCP" },
    ]);
    assert.deepEqual(server.livenessProbe, {
      httpGet: { path: "/healthz", port: 8134, scheme: "HTTP" },
      initialDelaySeconds: 30,
      timeoutSeconds: 60,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.deepEqual(server.volumeMounts, [
      { name: "etc-kubernetes-pki", mountPath: pki, readOnly: true },
      {
        name: "konnectivity-server-kubeconfig",
        mountPath: "/etc/kubernetes/konnectivity-server.conf",
        readOnly: true,
        subPath: "konnectivity-server.conf",
      },
      { name: "konnectivity-uds", mountPath: "/run/konnectivity" },
    ]);
    assert.deepEqual(spec.volumes!.slice(-3), [
      { name: "konnectivity-uds", emptyDir: { medium: "Memory" } },
      {
        name: "egress-selector-configuration",
        configMap: { name: "tenant-a-konnectivity-egress-selector-configuration", defaultMode: 420 },
      },
      {
        name: "konnectivity-server-kubeconfig",
        secret: { secretName: "tenant-a-konnectivity-kubeconfig", defaultMode: 420 },
      },
    ]);
    const egress =
      "--egress-selector-config-file=/etc/kubernetes/konnectivity/configurations/egress-selector-configuration.yaml";
    assert.deepEqual(apiServerArgs(d), [...minimalEtcdApiServerArgs, egress].sort());
    assert.deepEqual(container(d, "kube-apiserver").volumeMounts!.slice(-2), [
      { name: "konnectivity-uds", mountPath: "/run/konnectivity" },
      { name: "egress-selector-configuration", mountPath: "/etc/kubernetes/konnectivity/configurations" },
    ]);
  });

  test("a new konnectivity kubeconfig rolls the pods: its checksum is a pod-template label", () => {
    const label = "component.kamaji.clastix.io/konnectivity-kubeconfig";
    const labels = (checksum: string) =>
      withSpec((spec) => (spec.addons = { konnectivity: {} }), {
        secretChecksums: { ...secretChecksums, "konnectivity-kubeconfig": checksum },
      }).spec!.template.metadata!.labels!;
    assert.equal(labels("md5-one")[label], "md5-one");
    assert.notDeepEqual(labels("md5-one"), labels("md5-two"));
    assert.equal(build().spec!.template.metadata!.labels![label], undefined, "no label without the addon's Secret");
  });

  test("server settings: port, version, extra args, resources, security context, replicas", () => {
    const d = konnectivity({
      port: 9132,
      version: "v0.33.1",
      image: "mirror.local/proxy-server",
      extraArgs: ["--keepalive-time=1h", "--mode=http-connect"],
      resources: { requests: { cpu: "50m" } },
      securityContext: { readOnlyRootFilesystem: true },
    });
    const server = container(d, "konnectivity-server");
    assert.equal(server.image, "mirror.local/proxy-server:v0.33.1");
    assert.ok(server.args!.includes("--agent-port=9132"));
    assert.ok(server.args!.includes("--keepalive-time=1h"));
    assert.ok(server.args!.includes("--mode=grpc"));
    assert.ok(server.args!.includes("--server-count=3"));
    assert.equal(server.ports![0]!.containerPort, 9132);
    assert.deepEqual(server.resources, { requests: { cpu: "50m" } });
    assert.deepEqual(server.securityContext, { readOnlyRootFilesystem: true });
  });

  test("with kine, the sidecars come in order kine, konnectivity-server", () => {
    const d = withSpec((spec) => (spec.addons = { konnectivity: {} }), {
      dataStore: { name: "nats", driver: "NATS", endpoints: [] },
    });
    assert.deepEqual(names(podSpec(d).containers), [
      "kube-apiserver",
      "kube-scheduler",
      "kube-controller-manager",
      "kine",
      "konnectivity-server",
    ]);
  });

  test("removing the addon removes the container, volumes, mounts and the apiserver flag", () => {
    const existing = konnectivity();
    const d = withSpec((spec) => (spec.controlPlane.deployment = { replicas: 3 }), { existing });
    assert.deepEqual(
      d,
      withSpec((spec) => (spec.controlPlane.deployment = { replicas: 3 })),
    );
    assert.ok(!apiServerArgs(d).some((a) => a.startsWith("--egress-selector-config-file")));
  });
});

describe("Deployment and pod settings", () => {
  test("strategy: blue/green by default, Recreate drops rollingUpdate, custom values kept", () => {
    const strategy = (value?: Record<string, any>) =>
      withSpec((spec) => (spec.controlPlane.deployment = value ? { strategy: value } : {})).spec!.strategy;
    assert.deepEqual(strategy(), { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "100%" } });
    assert.deepEqual(strategy({ type: "Recreate", rollingUpdate: { maxSurge: 1 } }), { type: "Recreate" });
    assert.deepEqual(strategy({ type: "RollingUpdate" }), {
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: "100%" },
    });
    assert.deepEqual(strategy({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: "50%" } }), {
      type: "RollingUpdate",
      rollingUpdate: { maxSurge: 1, maxUnavailable: "50%" },
    });
  });

  test("pod scheduling, identity and security fields are copied", () => {
    const deployment = {
      replicas: 0,
      nodeSelector: { "node-role": "control" },
      runtimeClassName: "gvisor",
      tolerations: [{ key: "dedicated", operator: "Exists", effect: "NoSchedule" }],
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
      serviceAccountName: "tenant-sa",
      automountServiceAccountToken: false,
      podSecurityContext: { runAsNonRoot: true },
      containerSecurityContexts: {
        apiServer: { runAsUser: 1000 },
        controllerManager: { runAsUser: 1001 },
        scheduler: { runAsUser: 1002 },
      },
      resources: { apiServer: { requests: { cpu: "250m" } }, scheduler: { limits: { memory: "64Mi" } } },
    };
    const d = withSpec((spec) => (spec.controlPlane.deployment = deployment));
    assert.equal(d.spec!.replicas, 0);
    const spec = podSpec(d);
    assert.deepEqual(spec.nodeSelector, deployment.nodeSelector);
    assert.equal(spec.runtimeClassName, "gvisor");
    assert.deepEqual(spec.tolerations, deployment.tolerations);
    assert.deepEqual(spec.affinity, deployment.affinity);
    assert.equal(spec.serviceAccountName, "tenant-sa");
    assert.equal(spec.automountServiceAccountToken, false);
    assert.deepEqual(spec.securityContext, { runAsNonRoot: true });
    assert.deepEqual(container(d, "kube-apiserver").securityContext, { runAsUser: 1000 });
    assert.deepEqual(container(d, "kube-controller-manager").securityContext, { runAsUser: 1001 });
    assert.deepEqual(container(d, "kube-scheduler").securityContext, { runAsUser: 1002 });
    assert.deepEqual(container(d, "kube-apiserver").resources, { requests: { cpu: "250m" } });
    assert.deepEqual(container(d, "kube-scheduler").resources, { limits: { memory: "64Mi" } });
    assert.equal(container(d, "kube-controller-manager").resources, undefined);
  });

  test("minimal pod: default replicas and service account, nothing else set", () => {
    const d = build();
    assert.equal(d.spec!.replicas, 2);
    assert.deepEqual(d.spec!.selector, { matchLabels: { "kamaji.clastix.io/name": "tenant-a" } });
    const spec = podSpec(d);
    assert.equal(spec.serviceAccountName, "default");
    for (const field of ["nodeSelector", "runtimeClassName", "tolerations", "affinity", "securityContext"] as const) {
      assert.equal(spec[field], undefined, field);
    }
    assert.equal(container(d, "kube-apiserver").securityContext, undefined);
  });

  test("topology spread constraints without a labelSelector select this tenant's pods", () => {
    const own = { matchLabels: { app: "x" } };
    const d = withSpec((spec) => {
      spec.controlPlane.deployment = {
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" },
          { maxSkew: 2, topologyKey: "host", whenUnsatisfiable: "ScheduleAnyway", labelSelector: own },
        ],
      };
    });
    assert.deepEqual(
      podSpec(d).topologySpreadConstraints!.map((c) => c.labelSelector),
      [{ matchLabels: { "kamaji.clastix.io/name": "tenant-a" } }, own],
    );
  });

  test("images come from the registry settings; Kamaji's containers use the configured pull policy", () => {
    const registry = { registry: "mirror.local/k8s", tagSuffix: "-fips", apiServerImage: "apiserver" };
    const d = withSpec((spec) => (spec.controlPlane.deployment = { registrySettings: registry }), {
      imagePullPolicy: "Always",
      dataStore: { name: "pg", driver: "PostgreSQL", endpoints: [], tls: { clientCertificate: false } },
    });
    assert.equal(container(d, "kube-apiserver").image, "mirror.local/k8s/apiserver:v1.34.2-fips");
    assert.equal(container(d, "kube-scheduler").image, "mirror.local/k8s/kube-scheduler:v1.34.2-fips");
    assert.equal(
      container(d, "kube-controller-manager").image,
      "mirror.local/k8s/kube-controller-manager:v1.34.2-fips",
    );
    const all = [...podSpec(d).containers, ...podSpec(d).initContainers!];
    assert.deepEqual(new Set(all.map((c) => c.imagePullPolicy)), new Set(["Always"]));
    const defaults = [...podSpec(build()).containers];
    assert.deepEqual(new Set(defaults.map((c) => c.imagePullPolicy)), new Set(["IfNotPresent"]));
  });
});

describe("labels and annotations", () => {
  test("Deployment metadata: Kamaji labels, additional metadata, the extra-args checksum", () => {
    const d = withSpec((spec) => {
      spec.controlPlane.deployment = {
        additionalMetadata: {
          labels: { team: "a", "kamaji.clastix.io/name": "hijack" },
          annotations: { note: "x" },
        },
        extraArgs: { apiServer: ["--v=4", "--profiling"] },
      };
    });
    assert.equal(d.apiVersion, "apps/v1");
    assert.equal(d.kind, "Deployment");
    assert.deepEqual(d.metadata, {
      name: "tenant-a",
      namespace: "tenants",
      labels: {
        "kamaji.clastix.io/component": "deployment",
        "kamaji.clastix.io/name": "tenant-a",
        "kamaji.clastix.io/project": "kamaji",
        team: "a",
      },
      annotations: { [apiServerArgsAnnotation]: md5("--v=4\0--profiling\0"), note: "x" },
    });
  });

  test("pod template: secret checksums, datastore, storage checksums and pod additional metadata", () => {
    const d = withSpec((spec) => {
      spec.controlPlane.deployment = {
        podAdditionalMetadata: {
          labels: { tier: "cp", "component.kamaji.clastix.io/ca": "forged" },
          annotations: { "storage.kamaji.clastix.io/config": "forged", "prometheus.io/scrape": "true" },
        },
      };
    });
    assert.deepEqual(d.spec!.template.metadata, {
      labels: {
        "component.kamaji.clastix.io/api-server-certificate": "md5-of-api-server-certificate",
        "component.kamaji.clastix.io/api-server-kubelet-client-certificate":
          "md5-of-api-server-kubelet-client-certificate",
        "component.kamaji.clastix.io/ca": "md5-of-ca",
        "component.kamaji.clastix.io/controller-manager-kubeconfig": "md5-of-controller-manager-kubeconfig",
        "component.kamaji.clastix.io/datastore": "etcd-primary",
        "component.kamaji.clastix.io/front-proxy-ca-certificate": "md5-of-front-proxy-ca-certificate",
        "component.kamaji.clastix.io/front-proxy-client-certificate": "md5-of-front-proxy-client-certificate",
        "component.kamaji.clastix.io/scheduler-kubeconfig": "md5-of-scheduler-kubeconfig",
        "component.kamaji.clastix.io/service-account": "md5-of-service-account",
        "kamaji.clastix.io/component": "deployment",
        "kamaji.clastix.io/name": "tenant-a",
        tier: "cp",
      },
      annotations: {
        "prometheus.io/scrape": "true",
        "storage.kamaji.clastix.io/certificate": "certificate-sum",
        "storage.kamaji.clastix.io/config": "config-sum",
      },
    });
  });

  test("a changed Secret checksum changes only its pod-template label", () => {
    const before = build();
    const after = build({ secretChecksums: { ...secretChecksums, ca: "rotated" } });
    assert.equal(after.spec!.template.metadata!.labels!["component.kamaji.clastix.io/ca"], "rotated");
    after.spec!.template.metadata!.labels!["component.kamaji.clastix.io/ca"] = "md5-of-ca";
    assert.deepEqual(after, before);
  });
});

describe("determinism", () => {
  const rich = (spec: Record<string, any>) => {
    spec.controlPlane.deployment = {
      extraArgs: { apiServer: ["--v=4"], controllerManager: ["--v=2"], scheduler: ["--v=3"], kine: ["--debug"] },
      additionalContainers: [{ name: "sidecar", image: "busybox" }],
      podAdditionalMetadata: { labels: { z: "1", a: "2" } },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" }],
    };
    spec.addons = { konnectivity: {} };
  };
  const variants = [
    { name: "etcd", overrides: {} },
    {
      name: "kine with TLS and konnectivity",
      overrides: { dataStore: { name: "pg", driver: "PostgreSQL", endpoints: [], tls: { clientCertificate: true } } },
    },
  ] as const;

  for (const { name, overrides } of variants) {
    test(`${name}: the same input gives identical JSON, with no undefined fields`, () => {
      const first = withSpec(rich, overrides);
      const second = withSpec(rich, overrides);
      assert.deepEqual(first, second);
      assert.equal(JSON.stringify(first), JSON.stringify(second));
      assert.deepEqual(JSON.parse(JSON.stringify(first)), first);
    });
  }

  test("re-building from the Deployment it produced is a fixed point", () => {
    const once = withSpec(rich);
    const twice = withSpec(rich, { existing: once });
    assert.equal(JSON.stringify(twice), JSON.stringify(once));
  });

  test("map key order of the input does not matter", () => {
    const a = withSpec(
      (spec) => (spec.controlPlane.deployment = { podAdditionalMetadata: { labels: { a: "1", b: "2" } } }),
    );
    const b = withSpec(
      (spec) => (spec.controlPlane.deployment = { podAdditionalMetadata: { labels: { b: "2", a: "1" } } }),
    );
    assert.equal(JSON.stringify(a), JSON.stringify(b));
  });

  test("the input is not mutated and the output shares nothing with it", () => {
    const given = input({ tenantControlPlane: tenantControlPlane(rich) });
    const snapshot = structuredClone(given);
    const d = buildControlPlaneDeployment(given);
    assert.deepEqual(given, snapshot);
    podSpec(d).containers[0]!.image = "changed";
    podSpec(d).topologySpreadConstraints![0]!.maxSkew = 9;
    assert.deepEqual(given, snapshot);
  });
});

test("v1.34 on a shared etcd: list snapshots off (the API server never compacts there); not on kine, not on v1.33", () => {
  const gate = "--feature-gates=ListFromCacheSnapshot=false";
  assert.ok(apiServerArgs(build()).includes(gate));
  const older = withSpec((spec) => {
    spec.kubernetes.version = "v1.33.6";
  });
  assert.ok(!apiServerArgs(older).some((arg) => arg.startsWith("--feature-gates")));
  const onKine = build({ dataStore: { name: "pg", driver: "PostgreSQL", endpoints: ["pg:5432"] } });
  assert.ok(!apiServerArgs(onKine).some((arg) => arg.startsWith("--feature-gates")));
  // The user's own feature gates replace the default, as for every safe default.
  const own = withSpec((spec) => {
    spec.controlPlane.deployment = { extraArgs: { apiServer: ["--feature-gates=Foo=true"] } };
  });
  assert.deepEqual(
    apiServerArgs(own).filter((arg) => arg.startsWith("--feature-gates")),
    ["--feature-gates=Foo=true"],
  );
});
