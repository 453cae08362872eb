import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import { tenantControlPlaneWith } from "./fixtures.js";
import { buildKubeadmConfig, kamajiCertSANs, type KubeadmConfigInput } from "../../../src/resources/kubeadm-config.js";

function tenantControlPlane(edit: (tcp: TenantControlPlane) => void = () => undefined): TenantControlPlane {
  return tenantControlPlaneWith(
    {
      networkProfile: {
        port: 6443,
        clusterDomain: "cluster.local",
        serviceCidr: "10.96.0.0/16",
        serviceCidrs: ["10.96.0.0/16"],
        podCidr: "10.244.0.0/16",
        podCidrs: ["10.244.0.0/16"],
      },
    },
    edit,
  );
}

const etcdInput: KubeadmConfigInput = {
  address: "192.0.2.10",
  port: 6443,
  dataStore: { driver: "etcd", endpoints: ["etcd-0.etcd:2379", "etcd-1.etcd:2379"] },
  schema: "7f1c2a9e-tenant",
};

const kamajiSANs = [
  "127.0.0.1",
  "localhost",
  "tenant-a",
  "tenant-a.tenants.svc",
  "tenant-a.tenants.svc.cluster.local",
  "192.0.2.10",
];

test("buildKubeadmConfig: the whole ConfigMap for an etcd DataStore, byte for byte", () => {
  const clusterConfiguration =
    '{"apiVersion":"kubeadm.k8s.io/v1beta4","kind":"ClusterConfiguration",' +
    '"etcd":{"external":{"endpoints":["https://etcd-0.etcd:2379","https://etcd-1.etcd:2379"],' +
    '"caFile":"/etc/kubernetes/pki/etcd/ca.crt","certFile":"/etc/kubernetes/pki/etcd/server.crt",' +
    '"keyFile":"/etc/kubernetes/pki/etcd/server.key"}},' +
    '"networking":{"dnsDomain":"cluster.local","podSubnet":"10.244.0.0/16","serviceSubnet":"10.96.0.0/16"},' +
    '"kubernetesVersion":"v1.34.10","controlPlaneEndpoint":"192.0.2.10:6443",' +
    '"apiServer":{"extraArgs":[{"name":"etcd-compaction-interval","value":"0s"},' +
    '{"name":"etcd-prefix","value":"/7f1c2a9e-tenant"}],' +
    '"certSANs":["127.0.0.1","localhost","tenant-a","tenant-a.tenants.svc","tenant-a.tenants.svc.cluster.local","192.0.2.10"]},' +
    '"clusterName":"tenant-a"}';
  const initConfiguration =
    '{"apiVersion":"kubeadm.k8s.io/v1beta4","kind":"InitConfiguration",' +
    '"localAPIEndpoint":{"advertiseAddress":"192.0.2.10","bindPort":6443}}';
  const checksum = createHash("md5")
    .update(clusterConfiguration + initConfiguration)
    .digest("hex");

  assert.deepEqual(buildKubeadmConfig(tenantControlPlane(), etcdInput), {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "tenant-a-kubeadmconfig",
      namespace: "tenants",
      labels: {
        "kamaji.clastix.io/project": "kamaji",
        "kamaji.clastix.io/name": "tenant-a",
        "kamaji.clastix.io/component": "kubeadmconfig",
      },
      annotations: { "kamaji.clastix.io/checksum": checksum },
    },
    data: { ClusterConfiguration: clusterConfiguration, InitConfiguration: initConfiguration },
  });
});

test("buildKubeadmConfig is deterministic", () => {
  assert.deepEqual(
    buildKubeadmConfig(tenantControlPlane(), etcdInput),
    buildKubeadmConfig(tenantControlPlane(), etcdInput),
  );
});

/** The parsed ClusterConfiguration and InitConfiguration of a build. */
function parsed(tcp: TenantControlPlane, input: KubeadmConfigInput = etcdInput) {
  const data = buildKubeadmConfig(tcp, input).data ?? {};
  return {
    cluster: JSON.parse(data.ClusterConfiguration ?? "null"),
    init: JSON.parse(data.InitConfiguration ?? "null"),
  };
}

for (const driver of ["PostgreSQL", "MySQL", "NATS"] as const) {
  test(`buildKubeadmConfig: ${driver} goes through kine on 127.0.0.1:2379 without TLS files`, () => {
    const { cluster } = parsed(tenantControlPlane(), {
      ...etcdInput,
      dataStore: { driver, endpoints: ["db.example.com:5432"] },
    });
    assert.deepEqual(cluster.etcd, { external: { endpoints: ["http://127.0.0.1:2379"] } });
  });
}

test("buildKubeadmConfig: the etcd prefix is the schema, the cluster name the tenant name", () => {
  const { cluster } = parsed(tenantControlPlane(), { ...etcdInput, schema: "tenants_tenant-a" });
  assert.deepEqual(cluster.apiServer.extraArgs, [
    { name: "etcd-compaction-interval", value: "0s" },
    { name: "etcd-prefix", value: "/tenants_tenant-a" },
  ]);
  assert.equal(cluster.clusterName, "tenant-a");
});

interface NetworkingCase {
  name: string;
  tcp: TenantControlPlane;
  expected: { dnsDomain: string; podSubnet: string; serviceSubnet: string };
}

const networkingCases: NetworkingCase[] = [
  {
    name: "dual stack: the CIDRs are joined with commas",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = {
        clusterDomain: "tenant-a.local",
        serviceCidrs: ["10.96.0.0/16", "fd00:10:96::/112"],
        podCidrs: ["10.244.0.0/16", "fd00:10:244::/56"],
      };
    }),
    expected: {
      dnsDomain: "tenant-a.local",
      podSubnet: "10.244.0.0/16,fd00:10:244::/56",
      serviceSubnet: "10.96.0.0/16,fd00:10:96::/112",
    },
  },
  {
    name: "the lists win over the deprecated single CIDRs",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = {
        serviceCidr: "10.96.0.0/16",
        serviceCidrs: ["10.100.0.0/16"],
        podCidr: "10.244.0.0/16",
        podCidrs: ["10.200.0.0/16"],
      };
    }),
    expected: { dnsDomain: "cluster.local", podSubnet: "10.200.0.0/16", serviceSubnet: "10.100.0.0/16" },
  },
  {
    name: "the deprecated single CIDRs when the lists are empty",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = {
        serviceCidr: "10.100.0.0/16",
        serviceCidrs: [],
        podCidr: "10.200.0.0/16",
      };
    }),
    expected: { dnsDomain: "cluster.local", podSubnet: "10.200.0.0/16", serviceSubnet: "10.100.0.0/16" },
  },
  {
    name: "the CRD defaults without a networkProfile",
    tcp: tenantControlPlane((tcp) => {
      delete tcp.spec.networkProfile;
    }),
    expected: { dnsDomain: "cluster.local", podSubnet: "10.244.0.0/16", serviceSubnet: "10.96.0.0/16" },
  },
];

for (const { name, tcp, expected } of networkingCases) {
  test(`buildKubeadmConfig networking: ${name}`, () => {
    assert.deepEqual(parsed(tcp).cluster.networking, expected);
  });
}

interface EndpointCase {
  name: string;
  tcp: TenantControlPlane;
  input?: Partial<KubeadmConfigInput>;
  controlPlaneEndpoint: string;
  certSANs: string[];
  localAPIEndpoint?: { advertiseAddress: string; bindPort: number };
}

const endpointCases: EndpointCase[] = [
  {
    name: "advertiseAddress wins for the endpoint and is appended to the certSANs",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { advertiseAddress: "198.51.100.20" };
    }),
    controlPlaneEndpoint: "198.51.100.20:6443",
    certSANs: [...kamajiSANs, "198.51.100.20"],
  },
  {
    name: "advertiseAddress equal to the address is not repeated",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { advertiseAddress: "192.0.2.10" };
    }),
    controlPlaneEndpoint: "192.0.2.10:6443",
    certSANs: kamajiSANs,
  },
  {
    name: "user certSANs follow the address, in order and as given",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { certSANs: ["api.example.com", "localhost", "203.0.113.9"], advertiseAddress: "" };
    }),
    controlPlaneEndpoint: "192.0.2.10:6443",
    certSANs: [...kamajiSANs, "api.example.com", "localhost", "203.0.113.9"],
  },
  {
    name: "ingress hostname with a port",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.ingress = { hostname: "tenant-a.example.com:443" };
      tcp.spec.networkProfile = { advertiseAddress: "198.51.100.20" };
    }),
    controlPlaneEndpoint: "tenant-a.example.com:443",
    certSANs: [...kamajiSANs, "198.51.100.20"],
  },
  {
    name: "ingress hostname without a port takes the API server port",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.ingress = { hostname: "tenant-a.example.com" };
    }),
    input: { port: 8443 },
    controlPlaneEndpoint: "tenant-a.example.com:8443",
    certSANs: kamajiSANs,
    localAPIEndpoint: { advertiseAddress: "192.0.2.10", bindPort: 8443 },
  },
  {
    name: "ingress hostname with a malformed port takes the API server port",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.ingress = { hostname: "tenant-a.example.com:https" };
    }),
    controlPlaneEndpoint: "tenant-a.example.com:6443",
    certSANs: kamajiSANs,
  },
  {
    name: "gateway hostname",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.gateway = { hostname: "tenant-a.gw.example.com" };
    }),
    controlPlaneEndpoint: "tenant-a.gw.example.com:6443",
    certSANs: kamajiSANs,
  },
  {
    name: "an IPv6 address is bracketed",
    tcp: tenantControlPlane(),
    input: { address: "fd00::10" },
    controlPlaneEndpoint: "[fd00::10]:6443",
    certSANs: [...kamajiSANs.slice(0, 5), "fd00::10"],
    localAPIEndpoint: { advertiseAddress: "fd00::10", bindPort: 6443 },
  },
];

for (const { name, tcp, input, controlPlaneEndpoint, certSANs, localAPIEndpoint } of endpointCases) {
  test(`buildKubeadmConfig endpoint: ${name}`, () => {
    const { cluster, init } = parsed(tcp, { ...etcdInput, ...input });
    assert.equal(cluster.controlPlaneEndpoint, controlPlaneEndpoint);
    assert.deepEqual(cluster.apiServer.certSANs, certSANs);
    assert.deepEqual(init.localAPIEndpoint, localAPIEndpoint ?? { advertiseAddress: "192.0.2.10", bindPort: 6443 });
  });
}

test("kamajiCertSANs hard-codes .svc.cluster.local whatever the tenant cluster domain", () => {
  const tcp = tenantControlPlane((t) => {
    t.spec.networkProfile = { clusterDomain: "tenant-a.local" };
  });
  assert.deepEqual(kamajiCertSANs(tcp, "192.0.2.10"), kamajiSANs);
});
