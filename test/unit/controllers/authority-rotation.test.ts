import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { test } from "node:test";
import {
  planAuthority,
  previousAuthorityUntilAnnotation,
  type AuthorityMaterial,
  type AuthoritySecretState,
} from "../../../src/controllers/tenantcontrolplane/authority-rotation.js";
import { rotationStageAnnotation } from "../../../src/controllers/tenantcontrolplane/rotation.js";
import {
  createCertificateAuthority,
  crossSignAuthority,
  encodeCertificateAndKey,
  generateKeyPair,
  loadCertificateAuthority,
  parseCertificatePem,
  type CertificateAuthority,
} from "../../../src/pki/index.js";

const rotate = "certs.kamaji.clastix.io/rotate";
const now = new Date("2026-12-07T12:00:00Z");
const hour = 3_600_000;
const year = 8_760 * hour;
const keys = { crt: "ca.crt", key: "ca.key" };

const newCa = async (validityMs = 10 * year) =>
  createCertificateAuthority({ commonName: "kubernetes", key: await generateKeyPair("ECDSA"), now, validityMs });

let created = 0;
const material: AuthorityMaterial = {
  create: async () => {
    created += 1;
    return newCa();
  },
  load: (certificatePem, privateKeyPem) => loadCertificateAuthority({ certificatePem, privateKeyPem }, "next"),
  crossSign: async (successor, issuer) => crossSignAuthority(successor, issuer, now),
  privateKeyPem: (authority) => encodeCertificateAndKey(authority).privateKeyPem,
  notAfter: (pem) => parseCertificatePem(pem, "cross").notAfter,
};

const stateOf = (
  signer: CertificateAuthority,
  data: Record<string, string>,
  over: Partial<AuthoritySecretState> = {},
): AuthoritySecretState => ({
  keys,
  data,
  annotations: {},
  signer,
  rolledOut: true,
  now,
  graceMs: year,
  deadlineMs: 24 * hour,
  ...over,
});
const dataOf = (ca: CertificateAuthority) => ({ "ca.crt": ca.certificate.pem, "ca.key": material.privateKeyPem(ca) });
const certificates = (pem: string) => [...pem.matchAll(/-----BEGIN CERTIFICATE-----/g)].length;

test("an idle CA far from expiry with no request stays as it is, and nothing is made", async () => {
  const ca = await newCa();
  created = 0;
  const plan = await planAuthority(
    stateOf(ca, dataOf(ca), { annotations: { [rotate]: "2026-01-01T00:00:00Z" } }),
    material,
  );
  assert.deepEqual(plan.data, dataOf(ca));
  assert.deepEqual(plan.annotations, {});
  assert.equal(plan.signer, ca);
  assert.equal(plan.chainPem, "");
  assert.equal(plan.stage, undefined);
  assert.equal(created, 0);
});

test("the three stages: trust both, sign with the new one behind a cross-signed copy, drop the old", async () => {
  const old = await newCa();
  const requested = await planAuthority(stateOf(old, dataOf(old), { annotations: { [rotate]: "" } }), material);
  assert.equal(requested.stage, "TrustingNewCA");
  assert.equal(requested.signer, old, "the old CA still signs in stage 1");
  assert.equal(certificates(requested.trustPem), 2);
  assert.ok(
    requested.trustPem.startsWith(old.certificate.pem.trim()),
    "the signing CA comes first (the CSR signer reads it)",
  );
  assert.equal(requested.data["ca.key"], dataOf(old)["ca.key"]);
  assert.ok(requested.data["ca-next.key"] !== undefined && requested.data["ca-next.crt"] !== undefined);
  assert.equal(requested.chainPem, "");

  const annotations = { [rotate]: "", ...requested.annotations };
  const waiting = await planAuthority(stateOf(old, requested.data, { annotations, rolledOut: false }), material);
  assert.deepEqual(waiting.data, requested.data, "stage 1 waits for the rollout");
  assert.equal(waiting.stage, "TrustingNewCA");

  const signing = await planAuthority(stateOf(old, requested.data, { annotations }), material);
  assert.equal(signing.stage, "SigningWithNewCA");
  assert.equal(signing.signer.certificate.pem, requested.data["ca-next.crt"]);
  assert.equal(signing.data["ca.key"], requested.data["ca-next.key"]);
  assert.equal(signing.data["ca-next.key"], undefined);
  assert.ok(signing.data["ca.crt"]?.startsWith(signing.signer.certificate.pem.trim()), "the new CA first now");
  assert.equal(certificates(signing.data["ca.crt"] ?? ""), 2);
  assert.equal(signing.annotations[previousAuthorityUntilAnnotation], "2027-12-07T12:00:00Z");
  assert.deepEqual(signing.waitUntil, new Date(now.getTime() + year));
  // The cross-signed copy: the new CA's subject and key, signed by the old one.
  const cross = new X509Certificate(signing.chainPem);
  assert.equal(cross.checkIssued(new X509Certificate(old.certificate.pem)), true);
  assert.equal(cross.verify(new X509Certificate(old.certificate.pem).publicKey), true);
  assert.equal(cross.publicKey.equals(new X509Certificate(signing.signer.certificate.pem).publicKey), true);
  assert.equal(signing.data["ca-cross.crt"], signing.chainPem);

  const signer = signing.signer;
  const inGrace = await planAuthority(
    stateOf(signer, signing.data, {
      annotations: { [rotate]: "", ...signing.annotations },
      now: new Date(now.getTime() + hour),
    }),
    material,
  );
  assert.equal(inGrace.stage, "SigningWithNewCA");
  assert.equal(certificates(inGrace.trustPem), 2, "the old CA stays trusted during the grace period");
  assert.equal(inGrace.chainPem, signing.chainPem);
  assert.equal(inGrace.finished, false);

  const after = new Date(now.getTime() + year + 1);
  const done = await planAuthority(
    stateOf(signer, signing.data, { annotations: { [rotate]: "", ...signing.annotations }, now: after }),
    material,
  );
  assert.equal(done.finished, true);
  assert.equal(done.stage, undefined);
  assert.deepEqual(done.annotations, {});
  assert.equal(done.trustPem.trim(), signer.certificate.pem.trim(), "the old CA left the bundle");
  assert.equal(done.chainPem, signing.chainPem, "the cross-signed copy is served until it expires with the old CA");
  assert.deepEqual(done.waitUntil, old.certificate.notAfter);

  const expired = await planAuthority(
    stateOf(signer, done.data, { now: new Date(old.certificate.notAfter.getTime() + 1) }),
    material,
  );
  assert.equal(expired.chainPem, "");
  assert.equal(expired.data["ca-cross.crt"], undefined);
});

test("a CA with no more than the grace period and the deadline left starts rotating by itself", async () => {
  const shortLived = await newCa(year + 12 * hour);
  const plan = await planAuthority(stateOf(shortLived, dataOf(shortLived)), material);
  assert.equal(plan.stage, "TrustingNewCA");
  assert.match(plan.transition ?? "", /the CA expires soon/);
});

test("a request made again during a rotation does not start another", async () => {
  const old = await newCa();
  const started = await planAuthority(stateOf(old, dataOf(old), { annotations: { [rotate]: "" } }), material);
  created = 0;
  const again = await planAuthority(
    stateOf(old, started.data, { annotations: { [rotate]: "", ...started.annotations }, rolledOut: false }),
    material,
  );
  assert.equal(created, 0);
  assert.deepEqual(again.data, started.data);
  assert.deepEqual(again.annotations, { [rotationStageAnnotation]: "TrustingNewCA" });
});

test("an unusable next CA is an error, not a silent replacement", async () => {
  const old = await newCa();
  const started = await planAuthority(stateOf(old, dataOf(old), { annotations: { [rotate]: "" } }), material);
  const broken = { ...started.data, "ca-next.key": material.privateKeyPem(await newCa()) };
  await assert.rejects(
    planAuthority(stateOf(old, broken, { annotations: started.annotations }), material),
    /does not match the certificate/,
  );
});
