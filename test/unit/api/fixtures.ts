// Builders of minimal valid objects for the API tests.
import { apiVersion } from "../../../src/api/v1alpha1/kinds.js";

export function minimalTenantControlPlane(): Record<string, any> {
  return {
    apiVersion,
    kind: "TenantControlPlane",
    metadata: { name: "tenant-a", namespace: "default" },
    spec: {
      controlPlane: { service: { serviceType: "ClusterIP" } },
      kubernetes: { version: "v1.34.10", kubelet: {} },
    },
  };
}

export function etcdDataStore(): Record<string, any> {
  const ref = (keyPath: string) => ({ secretReference: { name: "etcd-certs", namespace: "kamaji-system", keyPath } });
  return {
    apiVersion,
    kind: "DataStore",
    metadata: { name: "default" },
    spec: {
      driver: "etcd",
      endpoints: ["etcd:2379"],
      tlsConfig: {
        certificateAuthority: { certificate: ref("ca.crt"), privateKey: ref("ca.key") },
        clientCertificate: { certificate: ref("tls.crt"), privateKey: ref("tls.key") },
      },
    },
  };
}

export function kubeconfigGenerator(): Record<string, any> {
  return {
    apiVersion,
    kind: "KubeconfigGenerator",
    metadata: { name: "readers" },
    spec: { user: { fromDefinition: "metadata.name" }, groups: [{ stringValue: "readers" }] },
  };
}
