import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  CA_VALIDITY_MS,
  generateKeyPair,
  generateTenantCertificateSet,
  issueTenantCertificate,
  LEAF_VALIDITY_MS,
  loadCertificateAndKey,
  loadCertificateAuthority,
  loadServiceAccountKeyPair,
  parseCertificatePem,
  TENANT_CERTIFICATE_PROFILES,
  type TenantCertificateName,
  type TenantCertificateSet,
} from "../../../src/pki/index.js";
import { openssl, opensslOk, withFiles } from "./openssl.js";

const apiServerSubjectAltNames = {
  dnsNames: ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "tcp.ns.svc", "tcp.ns.svc.cluster.local"],
  ipAddresses: ["10.96.0.1", "127.0.0.1", "172.18.0.10", "fd00:10:96::1"],
};

const expectedSubjects: Record<TenantCertificateName, { cn: string; o: string[]; eku: string; ca: string }> = {
  apiServer: { cn: "kube-apiserver", o: [], eku: "serverAuth", ca: "kubernetes" },
  apiServerKubeletClient: { cn: "kube-apiserver-kubelet-client", o: [], eku: "clientAuth", ca: "kubernetes" },
  frontProxyClient: { cn: "front-proxy-client", o: [], eku: "clientAuth", ca: "front-proxy-ca" },
  admin: { cn: "kubernetes-admin", o: ["kubeadm:cluster-admins"], eku: "clientAuth", ca: "kubernetes" },
  superAdmin: { cn: "kubernetes-super-admin", o: ["system:masters"], eku: "clientAuth", ca: "kubernetes" },
  controllerManager: { cn: "system:kube-controller-manager", o: [], eku: "clientAuth", ca: "kubernetes" },
  scheduler: { cn: "system:kube-scheduler", o: [], eku: "clientAuth", ca: "kubernetes" },
  konnectivity: { cn: "system:konnectivity-server", o: [], eku: "clientAuth", ca: "kubernetes" },
};

/** X.509 times have a resolution of one second. */
const wholeSeconds = (ms: number): number => Math.floor(ms / 1000) * 1000;

const leafNames = Object.keys(TENANT_CERTIFICATE_PROFILES) as TenantCertificateName[];

for (const algorithm of ["RSA", "ECDSA"] as const) {
  describe(`tenant certificate set (${algorithm})`, () => {
    const now = new Date();
    let set: TenantCertificateSet;
    before(async () => {
      set = await generateTenantCertificateSet({ algorithm, apiServerSubjectAltNames, now });
    });

    test("both CAs have kubeadm's subjects and 10-year validity", () => {
      for (const [name, commonName] of [
        ["ca", "kubernetes"],
        ["frontProxyCa", "front-proxy-ca"],
      ] as const) {
        const certificate = parseCertificatePem(set[name].certificatePem, name);
        assert.equal(certificate.commonName, commonName);
        assert.equal(certificate.isCA, true);
        assert.equal(certificate.notAfter.getTime(), wholeSeconds(now.getTime() + CA_VALIDITY_MS));
      }
    });

    test("every leaf has its identity, usage and validity, and openssl verifies it against its own CA only", async () => {
      const files: Record<string, string> = {
        "ca.crt": set.ca.certificatePem,
        "front-proxy-ca.crt": set.frontProxyCa.certificatePem,
      };
      for (const name of leafNames) files[`${name}.crt`] = set[name].certificatePem;
      await withFiles(files, (dir) => {
        for (const name of leafNames) {
          const expected = expectedSubjects[name];
          const certificate = parseCertificatePem(set[name].certificatePem, name);
          assert.equal(certificate.commonName, expected.cn, name);
          assert.deepEqual(certificate.organizations, expected.o, name);
          assert.deepEqual(certificate.extendedKeyUsages, [expected.eku], name);
          assert.equal(certificate.issuer, `CN=${expected.ca}`, name);
          const validityMs = name === "konnectivity" ? CA_VALIDITY_MS : LEAF_VALIDITY_MS;
          assert.equal(certificate.notAfter.getTime(), wholeSeconds(now.getTime() + validityMs), name);

          const ownCa = expected.ca === "kubernetes" ? "ca.crt" : "front-proxy-ca.crt";
          const otherCa = ownCa === "ca.crt" ? "front-proxy-ca.crt" : "ca.crt";
          assert.equal(opensslOk(["verify", "-CAfile", ownCa, `${name}.crt`], dir).trim(), `${name}.crt: OK`);
          assert.notEqual(openssl(["verify", "-CAfile", otherCa, `${name}.crt`], dir).status, 0, name);
        }
      });
    });

    test("the API server certificate carries exactly the SANs it was given", async () => {
      const certificate = parseCertificatePem(set.apiServer.certificatePem, "apiserver.crt");
      assert.deepEqual(certificate.dnsNames, apiServerSubjectAltNames.dnsNames);
      assert.deepEqual(certificate.ipAddresses, apiServerSubjectAltNames.ipAddresses);
      const text = await withFiles({ "apiserver.crt": set.apiServer.certificatePem }, (dir) =>
        opensslOk(["x509", "-in", "apiserver.crt", "-noout", "-ext", "subjectAltName"], dir),
      );
      assert.match(text, /IP Address:FD00:10:96:0:0:0:0:1/);
      const kubeletClient = parseCertificatePem(set.apiServerKubeletClient.certificatePem, "x");
      assert.deepEqual([...kubeletClient.dnsNames, ...kubeletClient.ipAddresses], []);
    });

    test(`every key is ${algorithm} (the service-account key RSA), passes openssl's check and matches its certificate`, async () => {
      const entries = [
        ...(["ca", "frontProxyCa", ...leafNames] as const).map((name) => [name, set[name].privateKeyPem] as const),
        ["serviceAccount", set.serviceAccount.privateKeyPem] as const,
      ];
      const files = Object.fromEntries(entries.map(([name, pem]) => [`${name}.key`, pem]));
      await withFiles(files, (dir) => {
        for (const [name, pem] of entries) {
          assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/, name);
          const text = opensslOk(["pkey", "-in", `${name}.key`, "-check", "-noout", "-text"], dir);
          assert.match(text, /Key is valid/, name);
          const rsa = algorithm === "RSA" || name === "serviceAccount";
          assert.match(text, rsa ? /Private-Key: \(2048 bit/ : /ASN1 OID: prime256v1/, name);
        }
      });
      for (const name of leafNames) await loadCertificateAndKey(set[name], name);
      await loadServiceAccountKeyPair(set.serviceAccount, "sa");
    });

    test("one certificate can be reissued from the stored CA, e.g. after a SAN change", async () => {
      const authority = await loadCertificateAuthority(set.ca, "secret ns/tcp-ca");
      const { certificate } = await issueTenantCertificate("apiServer", authority, await generateKeyPair(algorithm), {
        subjectAltNames: { ...apiServerSubjectAltNames, dnsNames: ["api.example.com"] },
      });
      assert.deepEqual(certificate.dnsNames, ["api.example.com"]);
      await withFiles({ "ca.crt": set.ca.certificatePem, "apiserver.crt": certificate.pem }, (dir) => {
        assert.equal(opensslOk(["verify", "-CAfile", "ca.crt", "apiserver.crt"], dir).trim(), "apiserver.crt: OK");
      });
    });
  });
}

test("kubeadm-style (traditional) private keys on request", async () => {
  const set = await generateTenantCertificateSet({
    algorithm: "ECDSA",
    apiServerSubjectAltNames: {},
    privateKeyFormat: "traditional",
  });
  assert.match(set.ca.privateKeyPem, /^-----BEGIN EC PRIVATE KEY-----\n/);
  assert.match(set.admin.privateKeyPem, /^-----BEGIN EC PRIVATE KEY-----\n/);
  assert.match(set.serviceAccount.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
  await loadCertificateAuthority(set.ca, "ca");
});
