// The e2e readers' resend rules (test/helpers/tenant-traffic.ts) against a local HTTPS server: a 503 with Retry-After
// and a kept-alive connection closed under a request are sent again as Kubernetes clients do; anything else counts
// as a failure with what the server said.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildCertificateKubeconfig, renderKubeconfig } from "../../../src/kubeconfig/index.js";
import {
  createCertificateAuthority,
  encodeCertificateAndKey,
  generateKeyPair,
  issueCertificate,
  issueTenantCertificate,
} from "../../../src/pki/index.js";
import { startReader, type TrafficCounts } from "../../helpers/tenant-traffic.js";

describe("tenant traffic reader", () => {
  let server: Server;
  let kubeconfig: string;
  /** What the server does with the next requests, in order; then 200. */
  const script: ("503-retry-after" | "500" | "close")[] = [];

  before(async () => {
    const [caKey, serverKey, clientKey] = await Promise.all([
      generateKeyPair("ECDSA"),
      generateKeyPair("ECDSA"),
      generateKeyPair("ECDSA"),
    ]);
    const authority = await createCertificateAuthority({ commonName: "kubernetes", key: caKey });
    const serving = await issueCertificate(authority, serverKey.publicKey, {
      commonName: "kube-apiserver",
      ipAddresses: ["127.0.0.1"],
      extendedKeyUsages: ["serverAuth"],
    });
    const servingPem = encodeCertificateAndKey({ certificate: serving, key: serverKey });
    const client = encodeCertificateAndKey(await issueTenantCertificate("admin", authority, clientKey));
    server = createServer(
      { cert: servingPem.certificatePem, key: servingPem.privateKeyPem, ca: authority.certificate.pem },
      (req, res) => {
        const next = script.shift();
        if (next === "close") {
          req.socket.destroy();
          return;
        }
        if (next === "503-retry-after") {
          res.writeHead(503, { "Retry-After": "0", "Content-Type": "application/json" });
          res.end('{"kind":"Status","message":"apiserver is shutting down"}');
          return;
        }
        if (next === "500") {
          res.writeHead(500);
          res.end("etcdserver: request timed out");
          return;
        }
        res.end("{}");
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    kubeconfig = renderKubeconfig(
      buildCertificateKubeconfig({
        clusterName: "tcp",
        server: `https://127.0.0.1:${String(port)}`,
        certificateAuthorityPem: authority.certificate.pem,
        userName: "kubernetes-admin",
        clientCertificatePem: client.certificatePem,
        clientKeyPem: client.privateKeyPem,
      }),
    );
  });

  after(() => {
    server.close();
  });

  /** Runs a reader until `script` is used up and a few more reads went through. */
  async function readThrough(): Promise<TrafficCounts> {
    const reader = startReader(() => kubeconfig, "/api/v1/namespaces/default/pods?limit=1", 5);
    while (script.length > 0) await sleep(5);
    const through = reader.counts().ok;
    while (reader.counts().ok + reader.counts().failed < through + 3) await sleep(5);
    return reader.stop();
  }

  test("a 503 with Retry-After is sent again and the read succeeds", async () => {
    script.push("503-retry-after");
    const counts = await readThrough();
    assert.equal(counts.failed, 0, counts.failures.join("; "));
    assert.equal(counts.resentAfterRetryAfter, 1);
    assert.match(counts.retryAfterAnswers[0] ?? "", /HTTP 503: .*apiserver is shutting down/);
  });

  test("a kept-alive connection closed before an answer is sent again on a new one", async () => {
    // The first read opens the connection that the second finds closed.
    const reader = startReader(() => kubeconfig, "/api/v1/namespaces/default/pods?limit=1", 5);
    while (reader.counts().ok < 1) await sleep(5);
    script.push("close");
    while (script.length > 0 || reader.counts().ok < 4) await sleep(5);
    const counts = await reader.stop();
    assert.equal(counts.failed, 0, counts.failures.join("; "));
    assert.equal(counts.resentOnClosedConnection, 1);
  });

  test("a 5xx without Retry-After fails with the server's words; resends stop after two", async () => {
    script.push("500", "503-retry-after", "503-retry-after", "503-retry-after");
    const counts = await readThrough();
    assert.equal(counts.failed, 2, counts.failures.join("; "));
    assert.match(counts.failures[0] ?? "", /HTTP 500: etcdserver: request timed out/);
    assert.match(counts.failures[1] ?? "", /HTTP 503 \(Retry-After: 0\): .*shutting down/);
    assert.equal(counts.resentAfterRetryAfter, 2);
  });
});
