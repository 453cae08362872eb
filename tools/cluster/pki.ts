// Certificates and kubeconfigs of a local management cluster, made with the product's own PKI library.
// Generated once per cluster directory and reused while the CA is valid and the SANs still match.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CertificateAuthority,
  type CertificateRequest,
  createCertificateAuthority,
  encodeCertificateAndKey,
  exportPrivateKeyPem,
  generateKeyPair,
  generateServiceAccountKeyPair,
  issueCertificate,
  loadCertificateAuthority,
} from "../../src/pki/index.js";
import { buildCertificateKubeconfig, renderKubeconfig } from "../../src/kubeconfig/index.js";

export interface ClusterPkiRequest {
  dir: string;
  /** URL clients use to reach the API server, written into the kubeconfigs. */
  server: string;
  apiServerIPs: string[];
  apiServerDNSNames: string[];
  /** Node name for the kubelet's identity; omitted for a cluster without nodes. */
  nodeName?: string;
  nodeIP?: string;
}

export interface ClusterPki {
  dir: string;
  caCert: string;
  caKey: string;
  apiServerCert: string;
  apiServerKey: string;
  kubeletClientCert: string;
  kubeletClientKey: string;
  saPub: string;
  saKey: string;
  kubeletServingCert: string;
  kubeletServingKey: string;
  /** Kubeconfig paths by identity: admin, controller-manager, scheduler, kubelet, kube-proxy. */
  kubeconfigs: Record<string, string>;
}

async function writeLeaf(ca: CertificateAuthority, dir: string, name: string, request: CertificateRequest) {
  const key = await generateKeyPair("ECDSA");
  const certificate = await issueCertificate(ca, key.publicKey, request);
  writeFileSync(join(dir, `${name}.crt`), certificate.pem);
  writeFileSync(join(dir, `${name}.key`), exportPrivateKeyPem(key), { mode: 0o600 });
  return { certificatePem: certificate.pem, privateKeyPem: exportPrivateKeyPem(key) };
}

async function loadOrCreateCa(dir: string): Promise<CertificateAuthority> {
  const cert = join(dir, "ca.crt");
  const key = join(dir, "ca.key");
  if (existsSync(cert) && existsSync(key)) {
    return loadCertificateAuthority(
      { certificatePem: readFileSync(cert, "utf8"), privateKeyPem: readFileSync(key, "utf8") },
      `cluster CA in ${dir}`,
    );
  }
  const ca = await createCertificateAuthority({ commonName: "kubernetes", key: await generateKeyPair("ECDSA") });
  const pem = encodeCertificateAndKey(ca);
  writeFileSync(cert, pem.certificatePem);
  writeFileSync(key, pem.privateKeyPem, { mode: 0o600 });
  return ca;
}

export async function ensureClusterPki(request: ClusterPkiRequest): Promise<ClusterPki> {
  const dir = request.dir;
  mkdirSync(dir, { recursive: true });
  const ca = await loadOrCreateCa(dir);
  const caPem = readFileSync(join(dir, "ca.crt"), "utf8");
  const path = (name: string) => join(dir, name);

  await writeLeaf(ca, dir, "apiserver", {
    commonName: "kube-apiserver",
    dnsNames: [
      "kubernetes",
      "kubernetes.default",
      "kubernetes.default.svc",
      "kubernetes.default.svc.cluster.local",
      "localhost",
      ...request.apiServerDNSNames,
    ],
    ipAddresses: request.apiServerIPs,
    extendedKeyUsages: ["serverAuth"],
  });
  await writeLeaf(ca, dir, "apiserver-kubelet-client", {
    commonName: "kube-apiserver-kubelet-client",
    organizations: ["kubeadm:cluster-admins"],
    extendedKeyUsages: ["clientAuth"],
  });
  if (!existsSync(path("sa.key"))) {
    const sa = await generateServiceAccountKeyPair();
    writeFileSync(path("sa.pub"), sa.publicKeyPem);
    writeFileSync(path("sa.key"), sa.privateKeyPem, { mode: 0o600 });
  }

  const identities: Record<string, Pick<CertificateRequest, "commonName" | "organizations">> = {
    admin: { commonName: "kubernetes-admin", organizations: ["system:masters"] },
    "controller-manager": { commonName: "system:kube-controller-manager" },
    scheduler: { commonName: "system:kube-scheduler" },
  };
  if (request.nodeName) {
    identities.kubelet = { commonName: `system:node:${request.nodeName}`, organizations: ["system:nodes"] };
    identities["kube-proxy"] = { commonName: "system:kube-proxy" };
    await writeLeaf(ca, dir, "kubelet-serving", {
      commonName: request.nodeName,
      dnsNames: [request.nodeName],
      ipAddresses: request.nodeIP ? [request.nodeIP] : [],
      extendedKeyUsages: ["serverAuth"],
    });
  }
  const kubeconfigs: Record<string, string> = {};
  for (const [identity, subject] of Object.entries(identities)) {
    const client = await writeLeaf(ca, dir, `${identity}-client`, { ...subject, extendedKeyUsages: ["clientAuth"] });
    const file = path(`${identity}.kubeconfig`);
    const kubeconfig = buildCertificateKubeconfig({
      clusterName: "kamaji-management",
      server: request.server,
      certificateAuthorityPem: caPem,
      userName: subject.commonName,
      clientCertificatePem: client.certificatePem,
      clientKeyPem: client.privateKeyPem,
    });
    writeFileSync(file, renderKubeconfig(kubeconfig), { mode: 0o600 });
    kubeconfigs[identity] = file;
  }
  return {
    dir,
    caCert: path("ca.crt"),
    caKey: path("ca.key"),
    apiServerCert: path("apiserver.crt"),
    apiServerKey: path("apiserver.key"),
    kubeletClientCert: path("apiserver-kubelet-client.crt"),
    kubeletClientKey: path("apiserver-kubelet-client.key"),
    saPub: path("sa.pub"),
    saKey: path("sa.key"),
    kubeletServingCert: path("kubelet-serving.crt"),
    kubeletServingKey: path("kubelet-serving.key"),
    kubeconfigs,
  };
}
