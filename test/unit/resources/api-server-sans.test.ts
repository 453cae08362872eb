import { test } from "node:test";
import assert from "node:assert/strict";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import { tenantControlPlaneWith } from "./fixtures.js";
import { apiServerSubjectAltNames } from "../../../src/resources/api-server-sans.js";

function tenantControlPlane(edit: (tcp: TenantControlPlane) => void = () => undefined): TenantControlPlane {
  return tenantControlPlaneWith({ networkProfile: { port: 6443, serviceCidrs: ["10.96.0.0/16"] } }, edit);
}

const kubeadmDnsNames = ["kubernetes", "kubernetes.default", "kubernetes.default.svc"];
const kamajiDnsNames = ["localhost", "tenant-a", "tenant-a.tenants.svc", "tenant-a.tenants.svc.cluster.local"];
const defaultDnsNames = [...kubeadmDnsNames, "kubernetes.default.svc.cluster.local", ...kamajiDnsNames];

interface Case {
  name: string;
  tcp: TenantControlPlane;
  address?: string;
  dnsNames: string[];
  ipAddresses: string[];
}

const cases: Case[] = [
  {
    name: "defaults: kubeadm's names, the kubernetes Service IP, the address, then Kamaji's names",
    tcp: tenantControlPlane(),
    dnsNames: defaultDnsNames,
    ipAddresses: ["10.96.0.1", "192.0.2.10", "127.0.0.1"],
  },
  {
    name: "the CRD default service CIDR without a networkProfile",
    tcp: tenantControlPlane((tcp) => {
      delete tcp.spec.networkProfile;
    }),
    dnsNames: defaultDnsNames,
    ipAddresses: ["10.96.0.1", "192.0.2.10", "127.0.0.1"],
  },
  {
    name: "the deprecated serviceCidr when serviceCidrs is unset",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { serviceCidr: "10.100.64.0/18" };
    }),
    dnsNames: defaultDnsNames,
    ipAddresses: ["10.100.64.1", "192.0.2.10", "127.0.0.1"],
  },
  {
    name: "the service IP counts from the network address even when the CIDR has host bits",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { serviceCidrs: ["10.96.7.9/16"] };
    }),
    dnsNames: defaultDnsNames,
    ipAddresses: ["10.96.0.1", "192.0.2.10", "127.0.0.1"],
  },
  {
    name: "IPv6 service CIDR and address",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { serviceCidrs: ["fd00:10:96::/112"] };
    }),
    address: "2001:db8::10",
    dnsNames: defaultDnsNames,
    ipAddresses: ["fd00:10:96::1", "2001:db8::10", "127.0.0.1"],
  },
  {
    name: "dual stack: only the first service CIDR gives the kubernetes Service IP (IPv4 primary)",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { serviceCidrs: ["10.96.0.0/16", "fd00:10:96::/112"] };
    }),
    dnsNames: defaultDnsNames,
    ipAddresses: ["10.96.0.1", "192.0.2.10", "127.0.0.1"],
  },
  {
    name: "dual stack: only the first service CIDR gives the kubernetes Service IP (IPv6 primary)",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { serviceCidrs: ["fd00:10:96::/112", "10.96.0.0/16"] };
    }),
    dnsNames: defaultDnsNames,
    ipAddresses: ["fd00:10:96::1", "192.0.2.10", "127.0.0.1"],
  },
  {
    name: "the cluster domain shapes kubeadm's name, not Kamaji's hard-coded .svc.cluster.local",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { clusterDomain: "tenant-a.local" };
    }),
    dnsNames: [...kubeadmDnsNames, "kubernetes.default.svc.tenant-a.local", ...kamajiDnsNames],
    ipAddresses: ["10.96.0.1", "192.0.2.10", "127.0.0.1"],
  },
  {
    name: "advertiseAddress: the endpoint host and an extra certSAN, once",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { advertiseAddress: "198.51.100.20" };
    }),
    dnsNames: defaultDnsNames,
    ipAddresses: ["10.96.0.1", "192.0.2.10", "198.51.100.20", "127.0.0.1"],
  },
  {
    name: "user certSANs are split into DNS names and IPs; duplicates and other spellings of an IP collapse",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = {
        certSANs: [
          "api.example.com",
          "*.tenants.example.com",
          "kubernetes",
          "tenant-a",
          "api.example.com",
          "10.96.0.1",
          "192.0.2.10",
          "2001:0db8:0000::0001",
          "2001:db8::1",
          "203.0.113.9",
        ],
      };
    }),
    dnsNames: [...defaultDnsNames, "api.example.com", "*.tenants.example.com"],
    ipAddresses: ["10.96.0.1", "192.0.2.10", "127.0.0.1", "2001:db8::1", "203.0.113.9"],
  },
  {
    name: "values that are neither an IP nor a DNS name are skipped, as kubeadm does",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { certSANs: ["API.example.com", "not a name", "10.0.0.1/8"] };
    }),
    dnsNames: defaultDnsNames,
    ipAddresses: ["10.96.0.1", "192.0.2.10", "127.0.0.1"],
  },
  {
    name: "an IPv4 address with leading zeros is not an IP (as in Go) but is a valid DNS subdomain",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { certSANs: ["192.168.001.001"] };
    }),
    dnsNames: [...defaultDnsNames, "192.168.001.001"],
    ipAddresses: ["10.96.0.1", "192.0.2.10", "127.0.0.1"],
  },
  {
    name: "ingress hostname: its host without the port is a DNS name",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.ingress = { hostname: "tenant-a.example.com:443" };
    }),
    dnsNames: [...kubeadmDnsNames, "kubernetes.default.svc.cluster.local", "tenant-a.example.com", ...kamajiDnsNames],
    ipAddresses: ["10.96.0.1", "192.0.2.10", "127.0.0.1"],
  },
  {
    name: "gateway hostname",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.gateway = { hostname: "tenant-a.gw.example.com" };
    }),
    dnsNames: [
      ...kubeadmDnsNames,
      "kubernetes.default.svc.cluster.local",
      "tenant-a.gw.example.com",
      ...kamajiDnsNames,
    ],
    ipAddresses: ["10.96.0.1", "192.0.2.10", "127.0.0.1"],
  },
  {
    name: "a declared address that is a DNS name lands among the DNS names",
    tcp: tenantControlPlane(),
    address: "cp.example.com",
    dnsNames: [...defaultDnsNames.slice(0, 4), "cp.example.com", ...kamajiDnsNames],
    ipAddresses: ["10.96.0.1", "127.0.0.1"],
  },
];

for (const { name, tcp, address, dnsNames, ipAddresses } of cases) {
  test(`apiServerSubjectAltNames: ${name}`, () => {
    assert.deepEqual(apiServerSubjectAltNames(tcp, address ?? "192.0.2.10"), { dnsNames, ipAddresses });
  });
}
