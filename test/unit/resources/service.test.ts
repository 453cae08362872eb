import { test } from "node:test";
import assert from "node:assert/strict";
import type { TenantControlPlane } from "../../../src/api/v1alpha1/kinds.js";
import { tenantControlPlaneWith } from "./fixtures.js";
import {
  buildService,
  joinHostPort,
  resolveServiceEndpoint,
  type Service,
  type ServiceEndpoint,
  type ServiceOptions,
} from "../../../src/resources/service.js";

function tenantControlPlane(edit: (tcp: TenantControlPlane) => void = () => undefined): TenantControlPlane {
  return tenantControlPlaneWith(
    { controlPlane: { service: { serviceType: "ClusterIP" } }, networkProfile: { port: 6443 } },
    edit,
  );
}

const labels = {
  "kamaji.clastix.io/project": "kamaji",
  "kamaji.clastix.io/name": "tenant-a",
  "kamaji.clastix.io/component": "service",
};
const selector = { "kamaji.clastix.io/name": "tenant-a" };
const apiServerPort = { name: "kube-apiserver", protocol: "TCP", port: 6443, targetPort: 6443 };

interface BuildCase {
  name: string;
  tcp: TenantControlPlane;
  options?: ServiceOptions;
  expected: Service;
}

const service = (spec: Service["spec"], metadata: Partial<NonNullable<Service["metadata"]>> = {}): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "tenant-a", namespace: "tenants", labels, ...metadata },
  spec,
});

const buildCases: BuildCase[] = [
  {
    name: "ClusterIP: the API server port only",
    tcp: tenantControlPlane(),
    expected: service({ type: "ClusterIP", selector, ports: [apiServerPort] }),
  },
  {
    name: "the port follows networkProfile.port, and defaults to 6443 without a networkProfile",
    tcp: tenantControlPlane((tcp) => {
      delete tcp.spec.networkProfile;
    }),
    expected: service({ type: "ClusterIP", selector, ports: [apiServerPort] }),
  },
  {
    name: "custom port",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { port: 8443 };
    }),
    expected: service({
      type: "ClusterIP",
      selector,
      ports: [{ name: "kube-apiserver", protocol: "TCP", port: 8443, targetPort: 8443 }],
    }),
  },
  {
    name: "ClusterIP: the declared address becomes an external IP when allowed",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { port: 6443, address: "192.0.2.10", allowAddressAsExternalIP: true };
    }),
    expected: service({ type: "ClusterIP", selector, ports: [apiServerPort], externalIPs: ["192.0.2.10"] }),
  },
  {
    name: "ClusterIP: no external IP when not allowed",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { port: 6443, address: "192.0.2.10" };
    }),
    expected: service({ type: "ClusterIP", selector, ports: [apiServerPort] }),
  },
  {
    name: "ClusterIP: no external IP without a declared address",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { port: 6443, allowAddressAsExternalIP: true };
    }),
    expected: service({ type: "ClusterIP", selector, ports: [apiServerPort] }),
  },
  {
    name: "NodePort: the API server port is also the node port; additional ports get none",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.service = {
        serviceType: "NodePort",
        additionalPorts: [{ name: "metrics", port: 9100, targetPort: "metrics" }],
      };
      tcp.spec.networkProfile = { port: 31443, address: "192.0.2.10", allowAddressAsExternalIP: true };
    }),
    expected: service({
      type: "NodePort",
      selector,
      ports: [
        { name: "kube-apiserver", protocol: "TCP", port: 31443, targetPort: 31443, nodePort: 31443 },
        { name: "metrics", protocol: "TCP", port: 9100, targetPort: "metrics" },
      ],
      externalIPs: ["192.0.2.10"],
    }),
  },
  {
    name: "NodePort with konnectivity: ports[1] is konnectivity-server with its own node port",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.service = { serviceType: "NodePort" };
      tcp.spec.networkProfile = { port: 31443 };
    }),
    options: { konnectivityPort: 31132 },
    expected: service({
      type: "NodePort",
      selector,
      ports: [
        { name: "kube-apiserver", protocol: "TCP", port: 31443, targetPort: 31443, nodePort: 31443 },
        { name: "konnectivity-server", protocol: "TCP", port: 31132, targetPort: 31132, nodePort: 31132 },
      ],
    }),
  },
  {
    name: "ClusterIP with konnectivity and additional ports: konnectivity stays second",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.service = {
        serviceType: "ClusterIP",
        additionalPorts: [
          { name: "dns", protocol: "UDP", port: 53, targetPort: 5353 },
          { name: "web", protocol: "TCP", appProtocol: "https", port: 8443, targetPort: 443 },
        ],
      };
    }),
    options: { konnectivityPort: 8132 },
    expected: service({
      type: "ClusterIP",
      selector,
      ports: [
        apiServerPort,
        { name: "konnectivity-server", protocol: "TCP", port: 8132, targetPort: 8132 },
        { name: "dns", protocol: "UDP", port: 53, targetPort: 5353 },
        { name: "web", protocol: "TCP", appProtocol: "https", port: 8443, targetPort: 443 },
      ],
    }),
  },
  {
    name: "LoadBalancer: allocateLoadBalancerNodePorts is written as true when unset; never external IPs",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.service = { serviceType: "LoadBalancer" };
      tcp.spec.networkProfile = { port: 6443, address: "192.0.2.10", allowAddressAsExternalIP: true };
    }),
    expected: service({ type: "LoadBalancer", selector, ports: [apiServerPort], allocateLoadBalancerNodePorts: true }),
  },
  {
    name: "LoadBalancer: class, source ranges and no node ports",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.service = { serviceType: "LoadBalancer", allocateLoadBalancerNodePorts: false };
      tcp.spec.networkProfile = {
        port: 6443,
        loadBalancerClass: "example.com/internal-vip",
        loadBalancerSourceRanges: ["10.0.0.0/8", "192.168.0.0/16"],
      };
    }),
    options: { konnectivityPort: 8132 },
    expected: service({
      type: "LoadBalancer",
      selector,
      ports: [apiServerPort, { name: "konnectivity-server", protocol: "TCP", port: 8132, targetPort: 8132 }],
      allocateLoadBalancerNodePorts: false,
      loadBalancerClass: "example.com/internal-vip",
      loadBalancerSourceRanges: ["10.0.0.0/8", "192.168.0.0/16"],
    }),
  },
  {
    name: "LoadBalancer: empty source ranges are left out",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.service = { serviceType: "LoadBalancer", allocateLoadBalancerNodePorts: true };
      tcp.spec.networkProfile = { port: 6443, loadBalancerSourceRanges: [] };
    }),
    expected: service({ type: "LoadBalancer", selector, ports: [apiServerPort], allocateLoadBalancerNodePorts: true }),
  },
  {
    name: "additional metadata: user labels and annotations are added, Kamaji's labels win",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.service = {
        serviceType: "ClusterIP",
        additionalMetadata: {
          labels: { team: "blue", "kamaji.clastix.io/name": "spoofed" },
          annotations: { "lb.example.com/ipam": "pool-a" },
        },
      };
    }),
    expected: service(
      { type: "ClusterIP", selector, ports: [apiServerPort] },
      { labels: { team: "blue", ...labels }, annotations: { "lb.example.com/ipam": "pool-a" } },
    ),
  },
];

for (const { name, tcp, options, expected } of buildCases) {
  test(`buildService: ${name}`, () => {
    assert.deepEqual(buildService(tcp, options), expected);
  });
}

test("buildService does not share arrays with the TenantControlPlane", () => {
  const tcp = tenantControlPlane((t) => {
    t.spec.controlPlane.service = { serviceType: "LoadBalancer" };
    t.spec.networkProfile = { loadBalancerSourceRanges: ["10.0.0.0/8"] };
  });
  buildService(tcp).spec?.loadBalancerSourceRanges?.push("0.0.0.0/0");
  assert.deepEqual(tcp.spec.networkProfile?.loadBalancerSourceRanges, ["10.0.0.0/8"]);
});

test("buildService rejects a TenantControlPlane without a name", () => {
  const tcp = tenantControlPlane((t) => {
    delete t.metadata.name;
  });
  assert.throws(() => buildService(tcp), /without metadata.name/);
});

test("joinHostPort brackets IPv6 hosts only", () => {
  assert.equal(joinHostPort("192.0.2.1", 6443), "192.0.2.1:6443");
  assert.equal(joinHostPort("api.example.com", 443), "api.example.com:443");
  assert.equal(joinHostPort("fd00::1", 6443), "[fd00::1]:6443");
});

interface ResolveCase {
  name: string;
  tcp: TenantControlPlane;
  live: Service;
  expected: ServiceEndpoint;
}

const live = (spec: Service["spec"], status?: Service["status"]): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "tenant-a", namespace: "tenants" },
  spec,
  ...(status ? { status } : {}),
});
const loadBalancer = (ingress: { ip?: string; hostname?: string }[]): Service =>
  live({ type: "LoadBalancer", clusterIP: "10.0.0.5" }, { loadBalancer: { ingress } });
const lbTenant = tenantControlPlane((tcp) => {
  tcp.spec.controlPlane.service = { serviceType: "LoadBalancer" };
});
const resolved = (address: string, port: number, controlPlaneEndpoint: string): ServiceEndpoint => ({
  kind: "resolved",
  address,
  port,
  controlPlaneEndpoint,
});
const missingValidIP: ServiceEndpoint = {
  kind: "pending",
  reason: "MissingValidIP",
  message: "the Service has no valid IP address yet",
};

const resolveCases: ResolveCase[] = [
  {
    name: "the declared address wins over the LoadBalancer IP",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.controlPlane.service = { serviceType: "LoadBalancer" };
      tcp.spec.networkProfile = { port: 6443, address: "192.0.2.10" };
    }),
    live: loadBalancer([{ ip: "203.0.113.7" }]),
    expected: resolved("192.0.2.10", 6443, "192.0.2.10:6443"),
  },
  {
    name: "the declared address wins over the ClusterIP",
    tcp: tenantControlPlane((tcp) => {
      tcp.spec.networkProfile = { port: 8443, address: "192.0.2.10" };
    }),
    live: live({ type: "ClusterIP", clusterIP: "10.0.0.5" }),
    expected: resolved("192.0.2.10", 8443, "192.0.2.10:8443"),
  },
  {
    name: "ClusterIP Service: the ClusterIP",
    tcp: tenantControlPlane(),
    live: live({ type: "ClusterIP", clusterIP: "10.0.0.5" }),
    expected: resolved("10.0.0.5", 6443, "10.0.0.5:6443"),
  },
  {
    name: "NodePort Service: the ClusterIP",
    tcp: tenantControlPlane(),
    live: live({ type: "NodePort", clusterIP: "10.0.0.6" }),
    expected: resolved("10.0.0.6", 6443, "10.0.0.6:6443"),
  },
  {
    name: "an IPv6 address is bracketed in the endpoint",
    tcp: tenantControlPlane(),
    live: live({ type: "ClusterIP", clusterIP: "fd00:10:96::5" }),
    expected: resolved("fd00:10:96::5", 6443, "[fd00:10:96::5]:6443"),
  },
  {
    name: "a Service without a ClusterIP yet is pending",
    tcp: tenantControlPlane(),
    live: live({ type: "ClusterIP" }),
    expected: missingValidIP,
  },
  {
    name: "a headless Service is pending",
    tcp: tenantControlPlane(),
    live: live({ type: "ClusterIP", clusterIP: "None" }),
    expected: missingValidIP,
  },
  {
    name: "an ExternalName Service has no valid IP",
    tcp: tenantControlPlane(),
    live: live({ type: "ExternalName", externalName: "api.example.com" }),
    expected: missingValidIP,
  },
  {
    name: "LoadBalancer without ingress yet is pending",
    tcp: lbTenant,
    live: live({ type: "LoadBalancer", clusterIP: "10.0.0.5" }),
    expected: {
      kind: "pending",
      reason: "NonExposedLoadBalancer",
      message: "the LoadBalancer Service has not been assigned an address yet",
    },
  },
  {
    name: "LoadBalancer: the first ingress IP",
    tcp: lbTenant,
    live: loadBalancer([{ ip: "203.0.113.7" }, { ip: "203.0.113.8" }]),
    expected: resolved("203.0.113.7", 6443, "203.0.113.7:6443"),
  },
  {
    name: "LoadBalancer: empty ingress entries are skipped",
    tcp: lbTenant,
    live: loadBalancer([{}, { ip: "203.0.113.8" }]),
    expected: resolved("203.0.113.8", 6443, "203.0.113.8:6443"),
  },
  {
    name: "LoadBalancer: an IP before a hostname is used",
    tcp: lbTenant,
    live: loadBalancer([{ ip: "203.0.113.7" }, { hostname: "lb.example.com" }]),
    expected: resolved("203.0.113.7", 6443, "203.0.113.7:6443"),
  },
  {
    name: "LoadBalancer: a hostname-only ingress is an error",
    tcp: lbTenant,
    live: loadBalancer([{ hostname: "lb.example.com" }, { ip: "203.0.113.8" }]),
    expected: {
      kind: "error",
      message: "hostname not supported for LoadBalancer ingress (lb.example.com): use a static IP address instead",
    },
  },
  {
    name: "LoadBalancer: ingress entries without IP or hostname are pending",
    tcp: lbTenant,
    live: loadBalancer([{}]),
    expected: missingValidIP,
  },
];

for (const { name, tcp, live: liveService, expected } of resolveCases) {
  test(`resolveServiceEndpoint: ${name}`, () => {
    assert.deepEqual(resolveServiceEndpoint(tcp, liveService), expected);
  });
}
