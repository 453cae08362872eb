import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { validateResource, assertValidResource, ValidationError } from "../../../src/api/validation.js";
import {
  dataStoreKind,
  kubeconfigGeneratorKind,
  tenantControlPlaneKind,
  type KindDefinition,
} from "../../../src/api/v1alpha1/kinds.js";
import { etcdDataStore, kubeconfigGenerator, minimalTenantControlPlane } from "./fixtures.js";

type Mutate = (o: Record<string, any>) => void;

interface RuleCase {
  rule: string;
  kind: KindDefinition;
  base: () => Record<string, any>;
  accepted: Mutate;
  rejected: Mutate;
  /** For transition rules: how the stored object differs from base. */
  old?: Mutate;
  field: string;
  message: string;
}

function errorsOf(c: RuleCase, mutate: Mutate) {
  const object = c.base();
  mutate(object);
  let old: Record<string, any> | undefined;
  if (c.old) {
    old = c.base();
    c.old(old);
  }
  return validateResource(c.kind, object, old).errors;
}

const tcp = tenantControlPlaneKind;
const ds = dataStoreKind;
const np = (o: Record<string, any>): Record<string, unknown> => (o.spec.networkProfile ??= {});

const cases: RuleCase[] = [
  {
    rule: "load-balancer source ranges are CIDRs",
    kind: tcp,
    base: minimalTenantControlPlane,
    accepted: (o) => {
      o.spec.controlPlane.service.serviceType = "LoadBalancer";
      np(o).loadBalancerSourceRanges = ["10.0.0.0/8", "2001:db8::/32"];
    },
    rejected: (o) => {
      o.spec.controlPlane.service.serviceType = "LoadBalancer";
      np(o).loadBalancerSourceRanges = ["10.0.0.0/8", "10.0.0.300/8"];
    },
    field: "spec.networkProfile.loadBalancerSourceRanges",
    message: "Invalid value: all LoadBalancer source range entries must be valid CIDR",
  },
  {
    rule: "load-balancer source ranges need a LoadBalancer Service",
    kind: tcp,
    base: minimalTenantControlPlane,
    accepted: (o) => {
      np(o).loadBalancerSourceRanges = [];
    },
    rejected: (o) => {
      np(o).loadBalancerSourceRanges = ["10.0.0.0/8"];
    },
    field: "spec",
    message: "Invalid value: LoadBalancer source ranges are supported only with LoadBalancer service type",
  },
  {
    rule: "loadBalancerClass needs a LoadBalancer Service",
    kind: tcp,
    base: minimalTenantControlPlane,
    accepted: (o) => {
      o.spec.controlPlane.service.serviceType = "LoadBalancer";
      np(o).loadBalancerClass = "metallb";
    },
    rejected: (o) => {
      np(o).loadBalancerClass = "metallb";
    },
    field: "spec",
    message: "Invalid value: LoadBalancerClass is supported only with LoadBalancer service type",
  },
  {
    rule: "allocateLoadBalancerNodePorts needs a LoadBalancer Service",
    kind: tcp,
    base: minimalTenantControlPlane,
    accepted: (o) => {
      o.spec.controlPlane.service.serviceType = "LoadBalancer";
      o.spec.controlPlane.service.allocateLoadBalancerNodePorts = false;
    },
    rejected: (o) => {
      o.spec.controlPlane.service.allocateLoadBalancerNodePorts = false;
    },
    field: "spec",
    message: "Invalid value: allocateLoadBalancerNodePorts is supported only with LoadBalancer service type",
  },
  {
    rule: "loadBalancerClass cannot be set at runtime",
    kind: tcp,
    base: () => {
      const o = minimalTenantControlPlane();
      o.spec.controlPlane.service.serviceType = "LoadBalancer";
      return o;
    },
    old: () => undefined,
    accepted: () => undefined,
    rejected: (o) => {
      np(o).loadBalancerClass = "metallb";
    },
    field: "spec",
    message: "Invalid value: LoadBalancerClass cannot be set or unset at runtime",
  },
  {
    rule: "loadBalancerClass is immutable",
    kind: tcp,
    base: () => {
      const o = minimalTenantControlPlane();
      o.spec.controlPlane.service.serviceType = "LoadBalancer";
      np(o).loadBalancerClass = "metallb";
      return o;
    },
    old: () => undefined,
    accepted: () => undefined,
    rejected: (o) => {
      np(o).loadBalancerClass = "cilium";
    },
    field: "spec.networkProfile.loadBalancerClass",
    message: "Invalid value: LoadBalancerClass is immutable",
  },
  {
    rule: "advertiseAddress is an IP",
    kind: tcp,
    base: minimalTenantControlPlane,
    accepted: (o) => {
      np(o).advertiseAddress = "192.168.1.10";
    },
    rejected: (o) => {
      np(o).advertiseAddress = "api.example.com";
    },
    field: "spec.networkProfile.advertiseAddress",
    message: "Invalid value: advertiseAddress must be a valid IP address",
  },
  {
    rule: "clusterDomain is immutable",
    kind: tcp,
    base: minimalTenantControlPlane,
    old: () => undefined,
    accepted: (o) => {
      np(o).clusterDomain = "cluster.local";
    },
    rejected: (o) => {
      np(o).clusterDomain = "tenant.local";
    },
    field: "spec.networkProfile.clusterDomain",
    message: "Invalid value: changing the cluster domain is not supported",
  },
  {
    rule: "serviceCidr is a CIDR",
    kind: tcp,
    base: minimalTenantControlPlane,
    accepted: (o) => {
      np(o).serviceCidr = "10.128.0.0/16";
    },
    rejected: (o) => {
      np(o).serviceCidr = "10.128.0.0";
    },
    field: "spec.networkProfile.serviceCidr",
    message: "Invalid value: serviceCidr must be empty or a valid CIDR",
  },
  {
    rule: "serviceCidrs are CIDRs",
    kind: tcp,
    base: minimalTenantControlPlane,
    accepted: (o) => {
      np(o).serviceCidrs = ["10.128.0.0/16", "fd00:10:96::/112"];
    },
    rejected: (o) => {
      np(o).serviceCidrs = ["10.128.0.0/33"];
    },
    field: "spec.networkProfile.serviceCidrs",
    message: "Invalid value: all serviceCidrs entries must be valid CIDRs",
  },
  {
    rule: "podCidr is a CIDR",
    kind: tcp,
    base: minimalTenantControlPlane,
    accepted: (o) => {
      np(o).podCidr = "";
    },
    rejected: (o) => {
      np(o).podCidr = "pods";
    },
    field: "spec.networkProfile.podCidr",
    message: "Invalid value: podCidr must be empty or a valid CIDR",
  },
  {
    rule: "podCidrs are CIDRs",
    kind: tcp,
    base: minimalTenantControlPlane,
    accepted: (o) => {
      np(o).podCidrs = ["10.244.0.0/16"];
    },
    rejected: (o) => {
      np(o).podCidrs = ["010.244.0.0/16"];
    },
    field: "spec.networkProfile.podCidrs",
    message: "Invalid value: all podCidrs entries must be valid CIDRs",
  },
  {
    rule: "dataStoreSchema is immutable",
    kind: tcp,
    base: () => ({
      ...minimalTenantControlPlane(),
      spec: { ...minimalTenantControlPlane().spec, dataStoreSchema: "a" },
    }),
    old: () => undefined,
    accepted: () => undefined,
    rejected: (o) => {
      o.spec.dataStoreSchema = "b";
    },
    field: "spec.dataStoreSchema",
    message: "Invalid value: changing the dataStoreSchema is not supported",
  },
  {
    rule: "dataStoreUsername is immutable",
    kind: tcp,
    base: () => ({
      ...minimalTenantControlPlane(),
      spec: { ...minimalTenantControlPlane().spec, dataStoreUsername: "a" },
    }),
    old: () => undefined,
    accepted: () => undefined,
    rejected: (o) => {
      o.spec.dataStoreUsername = "b";
    },
    field: "spec.dataStoreUsername",
    message: "Invalid value: changing the dataStoreUsername is not supported",
  },
  ...(["dataStore", "dataStoreSchema", "dataStoreUsername"] as const).map((field): RuleCase => ({
    rule: `${field} cannot be unset`,
    kind: tcp,
    base: minimalTenantControlPlane,
    old: (o) => {
      o.spec[field] = "x";
    },
    accepted: (o) => {
      o.spec[field] = "x";
    },
    rejected: () => undefined,
    field: "spec",
    message: `Invalid value: unsetting the ${field} is not supported`,
  })),
  {
    rule: "ingress and gateway are exclusive",
    kind: tcp,
    base: minimalTenantControlPlane,
    accepted: (o) => {
      o.spec.controlPlane.ingress = { hostname: "a.example.com" };
    },
    rejected: (o) => {
      o.spec.controlPlane.ingress = { hostname: "a.example.com" };
      o.spec.controlPlane.gateway = { hostname: "a.example.com" };
    },
    field: "spec.controlPlane",
    message: "Invalid value: using both ingress and gateway is not supported",
  },
  {
    rule: "konnectivity agent replicas match the mode",
    kind: tcp,
    base: minimalTenantControlPlane,
    accepted: (o) => {
      o.spec.addons = { konnectivity: { agent: { mode: "Deployment", replicas: 2 } } };
    },
    rejected: (o) => {
      o.spec.addons = { konnectivity: { agent: { mode: "DaemonSet", replicas: 2 } } };
    },
    field: "spec.addons.konnectivity.agent",
    message:
      "Invalid value: replicas must be 0 (or unset) when mode is DaemonSet, and greater than 0 (or unset) when mode is Deployment",
  },
  {
    rule: "DataStore driver is immutable",
    kind: ds,
    base: etcdDataStore,
    old: () => undefined,
    accepted: () => undefined,
    rejected: (o) => {
      o.spec.driver = "PostgreSQL";
    },
    field: "spec.driver",
    message: "Invalid value: Datastore driver is immutable",
  },
  {
    rule: "etcd needs the CA private key",
    kind: ds,
    base: etcdDataStore,
    accepted: () => undefined,
    rejected: (o) => {
      delete o.spec.tlsConfig.certificateAuthority.privateKey;
    },
    field: "spec",
    message: "Invalid value: certificateAuthority privateKey must have secretReference or content when driver is etcd",
  },
  {
    rule: "etcd needs a client certificate",
    kind: ds,
    base: etcdDataStore,
    accepted: (o) => {
      o.spec.tlsConfig.clientCertificate.certificate = { content: "Y2VydA==" };
    },
    rejected: (o) => {
      o.spec.tlsConfig.clientCertificate.certificate = {};
    },
    field: "spec",
    message: "Invalid value: clientCertificate must have secretReference or content when driver is etcd",
  },
  {
    rule: "etcd needs a client key",
    kind: ds,
    base: etcdDataStore,
    accepted: () => undefined,
    rejected: (o) => {
      o.spec.tlsConfig.clientCertificate.privateKey = {};
    },
    field: "spec",
    message: "Invalid value: clientCertificate privateKey must have secretReference or content when driver is etcd",
  },
  {
    rule: "a SQL client certificate has content",
    kind: ds,
    base: () => {
      const o = etcdDataStore();
      o.spec.driver = "PostgreSQL";
      return o;
    },
    accepted: () => undefined,
    rejected: (o) => {
      o.spec.tlsConfig.clientCertificate.certificate = {};
    },
    field: "spec",
    message:
      "Invalid value: When driver is not etcd and tlsConfig exists, clientCertificate must be null or contain valid content",
  },
  ...(["username", "password"] as const).map((part): RuleCase => ({
    rule: `basic-auth ${part} has a value`,
    kind: ds,
    base: () => ({
      ...etcdDataStore(),
      spec: {
        driver: "MySQL",
        endpoints: ["db:3306"],
        basicAuth: { username: { content: "cm9vdA==" }, password: { content: "cm9vdA==" } },
      },
    }),
    accepted: () => undefined,
    rejected: (o) => {
      o.spec.basicAuth[part] = {};
    },
    field: "spec",
    message: `Invalid value: When driver is not etcd and basicAuth exists, ${part} must have secretReference or content`,
  })),
  {
    rule: "a non-etcd DataStore has credentials",
    kind: ds,
    base: () => ({ ...etcdDataStore(), spec: { driver: "NATS", endpoints: ["nats:4222"] } }),
    accepted: (o) => {
      o.spec.basicAuth = { username: { content: "YQ==" }, password: { content: "Yg==" } };
    },
    rejected: () => undefined,
    field: "spec",
    message: "Invalid value: When driver is not etcd, either tlsConfig or basicAuth must be provided",
  },
  {
    rule: "a compound value has exactly one source",
    kind: kubeconfigGeneratorKind,
    base: kubeconfigGenerator,
    accepted: (o) => {
      o.spec.user = { stringValue: "alice" };
    },
    rejected: (o) => {
      o.spec.user = { stringValue: "alice", fromDefinition: "metadata.name" };
    },
    field: "spec.user",
    message: "Invalid value: Either stringValue or fromDefinition must be set, but not both.",
  },
];

describe("CEL rules: each accepts a valid object and rejects an invalid one with its message", () => {
  for (const c of cases) {
    test(c.rule, () => {
      assert.deepEqual(errorsOf(c, c.accepted), []);
      assert.deepEqual(errorsOf(c, c.rejected), [{ field: c.field, message: c.message }]);
    });
  }
});

describe("schema rules", () => {
  const check = (mutate: Mutate) => {
    const o = minimalTenantControlPlane();
    mutate(o);
    return validateResource(tcp, o).errors;
  };

  test("required fields", () => {
    assert.deepEqual(
      check((o) => {
        delete o.spec.kubernetes.version;
      }),
      [{ field: "spec.kubernetes.version", message: "Required value" }],
    );
    assert.deepEqual(
      check((o) => {
        delete o.spec.controlPlane;
      }),
      [{ field: "spec.controlPlane", message: "Required value" }],
    );
  });

  test("enums name the supported values", () => {
    assert.deepEqual(
      check((o) => {
        o.spec.controlPlane.service.serviceType = "ExternalName";
      }),
      [
        {
          field: "spec.controlPlane.service.serviceType",
          message: 'Unsupported value: "ExternalName": supported values: "ClusterIP", "NodePort", "LoadBalancer"',
        },
      ],
    );
  });

  test("preferred kubelet address types: a set of known values (upstream e2e scenario)", () => {
    assert.deepEqual(
      check((o) => {
        o.spec.kubernetes.kubelet.preferredAddressTypes = ["InternalIP", "Hostname", "InternalIP"];
      }),
      [{ field: "spec.kubernetes.kubelet.preferredAddressTypes[2]", message: 'Duplicate value: "InternalIP"' }],
    );
    const unknown = check((o) => {
      o.spec.kubernetes.kubelet.preferredAddressTypes = ["Foo"];
    });
    assert.equal(unknown.length, 1);
    assert.equal(unknown[0]?.field, "spec.kubernetes.kubelet.preferredAddressTypes[0]");
    assert.match(unknown[0].message, /^Unsupported value: "Foo": supported values: "Hostname", "InternalIP"/);
    assert.deepEqual(
      check((o) => {
        o.spec.kubernetes.kubelet.preferredAddressTypes = [];
      }),
      [
        {
          field: "spec.kubernetes.kubelet.preferredAddressTypes",
          message: "Invalid value: []: must NOT have fewer than 1 items",
        },
      ],
    );
  });

  test("types, bounds and formats", () => {
    assert.deepEqual(
      check((o) => {
        o.spec.networkProfile = { port: "6443" };
      }),
      [{ field: "spec.networkProfile.port", message: 'Invalid value: "6443": must be of type integer' }],
    );
    assert.deepEqual(
      check((o) => {
        o.spec.controlPlane.deployment = { probes: { liveness: { periodSeconds: 0 } } };
      }),
      [
        {
          field: "spec.controlPlane.deployment.probes.liveness.periodSeconds",
          message: "Invalid value: 0: must be >= 1",
        },
      ],
    );
    assert.deepEqual(
      check((o) => {
        o.spec.networkProfile = { clusterDomain: "local" };
      }),
      [{ field: "spec.networkProfile.clusterDomain", message: 'Invalid value: "local": must match ".*\\\\..*"' }],
    );
  });

  test("unknown fields are reported, also inside embedded Kubernetes types", () => {
    assert.deepEqual(
      check((o) => {
        o.spec.kubernetes.versoin = "v1.34.0";
        o.spec.controlPlane.deployment = { additionalContainers: [{ name: "x", image: "y", imagePullPolcy: "Never" }] };
      }),
      [
        { field: "spec.controlPlane.deployment.additionalContainers[0].imagePullPolcy", message: "Unknown field" },
        { field: "spec.kubernetes.versoin", message: "Unknown field" },
      ],
    );
  });

  test("an int-or-string accepts both and nothing else", () => {
    const port = (targetPort: unknown) =>
      check((o) => {
        o.spec.controlPlane.service.additionalPorts = [{ name: "m", port: 9090, targetPort }];
      });
    assert.deepEqual(port(9090), []);
    assert.deepEqual(port("metrics"), []);
    assert.equal(port(true)[0]?.message, "Invalid value: true: must be an integer or a string");
  });

  test("the status is ignored, as with the status subresource", () => {
    assert.deepEqual(
      check((o) => {
        o.status = { nonsense: true };
      }),
      [],
    );
  });
});

describe("defaults", () => {
  test("a minimal TenantControlPlane gets the upstream defaults", () => {
    const { object, errors } = validateResource(tcp, minimalTenantControlPlane());
    assert.deepEqual(errors, []);
    const spec = object.spec as any;
    assert.equal(spec.controlPlane.deployment.replicas, 2);
    assert.equal(spec.controlPlane.deployment.serviceAccountName, "default");
    assert.deepEqual(spec.controlPlane.deployment.registrySettings, {
      registry: "registry.k8s.io",
      apiServerImage: "kube-apiserver",
      controllerManagerImage: "kube-controller-manager",
      schedulerImage: "kube-scheduler",
    });
    assert.deepEqual(spec.controlPlane.deployment.strategy, {
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: "100%" },
    });
    assert.deepEqual(spec.networkProfile, {
      clusterDomain: "cluster.local",
      port: 6443,
      serviceCidr: "10.96.0.0/16",
      podCidr: "10.244.0.0/16",
    });
    assert.deepEqual(spec.kubernetes.kubelet.preferredAddressTypes, ["InternalIP", "ExternalIP", "Hostname"]);
    assert.equal(spec.kubernetes.admissionControllers.length, 17);
    assert.equal(spec.addons, undefined, "addons stay disabled unless present");
  });

  test("given values win over defaults; nested defaults fill present objects only", () => {
    const o = minimalTenantControlPlane();
    o.spec.controlPlane.deployment = { replicas: 0, registrySettings: { registry: "mirror.example.com" } };
    o.spec.addons = { konnectivity: {}, coreDNS: {} };
    o.spec.controlPlane.service.additionalPorts = [{ name: "m", port: 1, targetPort: 1 }];
    const spec = validateResource(tcp, o).object.spec as any;
    assert.equal(spec.controlPlane.deployment.replicas, 0);
    assert.equal(spec.controlPlane.deployment.registrySettings.registry, "mirror.example.com");
    assert.equal(spec.controlPlane.deployment.registrySettings.apiServerImage, "kube-apiserver");
    assert.deepEqual(spec.addons.konnectivity.server, {
      image: "registry.k8s.io/kas-network-proxy/proxy-server",
      port: 8132,
    });
    assert.deepEqual(spec.addons.konnectivity.agent.tolerations, [{ key: "CriticalAddonsOnly", operator: "Exists" }]);
    assert.equal(spec.addons.konnectivity.agent.mode, "DaemonSet");
    assert.deepEqual(spec.addons.coreDNS, {});
    assert.equal(spec.controlPlane.service.additionalPorts[0].protocol, "TCP");
  });

  test("KubeconfigGenerator defaults the endpoint key", () => {
    const { object } = validateResource(kubeconfigGeneratorKind, kubeconfigGenerator());
    assert.equal((object.spec as any).controlPlaneEndpointFrom, "admin.svc");
  });
});

test("assertValidResource throws one error naming every field", () => {
  const o = minimalTenantControlPlane();
  o.spec.controlPlane.service.serviceType = "Foo";
  delete o.spec.kubernetes.version;
  assert.throws(
    () => assertValidResource(tcp, o),
    (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.errors.length, 2);
      assert.match(error.message, /^TenantControlPlane "tenant-a" is invalid: /);
      assert.match(error.message, /spec\.kubernetes\.version: Required value/);
      assert.match(error.message, /spec\.controlPlane\.service\.serviceType: Unsupported value: "Foo"/);
      return true;
    },
  );
  assert.throws(() => assertValidResource(tcp, "not an object"), /TenantControlPlane must be an object/);
});
