import assert from "node:assert/strict";
import { test } from "node:test";
import versions from "../../../hack/versions.json" with { type: "json" };
import { parseDuration } from "../../../src/cli/duration.js";
import { defaultKineImage, managerSettings, type ManagerFlags } from "../../../src/cli/manager-command.js";
import { canonicalJson } from "../../../src/controllers/canonical-json.js";
import { parseBindAddress } from "../../../src/runtime/http-server.js";

const defaults: ManagerFlags = {
  metricsBindAddress: ":8080",
  healthProbeBindAddress: ":8081",
  leaderElect: "true",
  podNamespace: "kamaji-system",
  datastore: "default",
  maxConcurrentTcpReconciles: "4",
  controllerReconcileTimeout: "30s",
  cacheResyncPeriod: "10h",
  certificateExpirationDeadline: "24h",
  certificateValidityPeriod: "8760h",
  caCertificateValidityPeriod: "87600h",
  serviceAccountKeyGracePeriod: "24h",
  certificateAuthorityGracePeriod: "8760h",
  certificateKeyAlgorithm: "ECDSA",
  kineImage: defaultKineImage,
  imagePullPolicy: "IfNotPresent",
  logLevel: "info",
  webhookPort: "9443",
  webhookServiceName: "kamaji-webhook-service",
  webhookServingSecret: "kamaji-webhook-serving",
  mutatingWebhookConfiguration: "kamaji-mutating-webhook-configuration",
  validatingWebhookConfiguration: "kamaji-validating-webhook-configuration",
};

test("Go-style durations", () => {
  assert.equal(parseDuration("30s", "--f"), 30_000);
  assert.equal(parseDuration("1h30m", "--f"), 5_400_000);
  assert.equal(parseDuration("500ms", "--f"), 500);
  assert.equal(parseDuration("1.5h", "--f"), 5_400_000);
  for (const bad of ["", "30", "s", "10 s", "3d", "1h-5m"]) {
    assert.throws(() => parseDuration(bad, "--flag"), /^Error: --flag: .* is not a duration/, bad);
  }
});

test("bind addresses", () => {
  assert.deepEqual(parseBindAddress(":8080", "--f"), { host: "::", port: 8080 });
  assert.deepEqual(parseBindAddress("127.0.0.1:0", "--f"), { host: "127.0.0.1", port: 0 });
  assert.deepEqual(parseBindAddress("[::1]:9000", "--f"), { host: "::1", port: 9000 });
  assert.equal(parseBindAddress("0", "--f"), undefined);
  for (const bad of ["8080", "host:", "host:99999", "x:y"]) {
    assert.throws(() => parseBindAddress(bad, "--metrics-bind-address"), /--metrics-bind-address: expected/, bad);
  }
});

test("the default flags give upstream's behaviour with our documented changes", () => {
  const settings = managerSettings(defaults, "1.2.3");
  assert.equal(settings.defaultDataStore, "default");
  assert.equal(settings.leaderElectionNamespace, "kamaji-system");
  assert.equal(settings.reconcileTimeoutMs, 30_000);
  assert.equal(settings.cacheResyncPeriodMs, 36_000_000);
  assert.equal(settings.certificateValidityMs, 365 * 86_400_000, "kubeadm's leaf lifetime");
  assert.equal(settings.caCertificateValidityMs, 3_650 * 86_400_000, "kubeadm's CA lifetime");
  assert.equal(settings.serviceAccountKeyGraceMs, 86_400_000);
  assert.equal(settings.certificateAuthorityGraceMs, 365 * 86_400_000, "one leaf lifetime");
  assert.equal(settings.certificateExpirationDeadlineMs, 86_400_000);
  assert.equal(settings.maxConcurrentReconciles, 4);
  assert.equal(settings.keyAlgorithm, "ECDSA");
  assert.deepEqual(settings.metricsAddress, { host: "::", port: 8080 });
  assert.deepEqual(settings.healthAddress, { host: "::", port: 8081 });
  assert.deepEqual(settings.webhook, {
    port: 9443,
    namespace: "kamaji-system",
    serviceName: "kamaji-webhook-service",
    secretName: "kamaji-webhook-serving",
    mutatingWebhookConfiguration: "kamaji-mutating-webhook-configuration",
    validatingWebhookConfiguration: "kamaji-validating-webhook-configuration",
  });
  assert.equal(managerSettings({ ...defaults, webhookPort: "0" }, "v").webhook, undefined);
});

test("bad flags are refused with the flag named", () => {
  const cases: [Partial<ManagerFlags>, RegExp][] = [
    [{ leaderElect: "yes" }, /--leader-elect: "yes" is not one of true, false/],
    [{ podNamespace: undefined }, /--pod-namespace .* is required with --leader-elect=true/],
    [{ maxConcurrentTcpReconciles: "0" }, /--max-concurrent-tcp-reconciles: expected a whole number/],
    [{ controllerReconcileTimeout: "0s" }, /--controller-reconcile-timeout: must be greater than 0/],
    [{ certificateExpirationDeadline: "23h" }, /--certificate-expiration-deadline: must be at least 24h/],
    [
      { certificateExpirationDeadline: "8760h" },
      /--certificate-expiration-deadline: must be shorter than --certificate-validity-period/,
    ],
    [
      { certificateValidityPeriod: "48h", certificateExpirationDeadline: "48h" },
      /must be shorter than --certificate-validity-period \(48h\)/,
    ],
    [
      { caCertificateValidityPeriod: "100h" },
      /--ca-certificate-validity-period: must be at least --certificate-validity-period/,
    ],
    [
      { certificateAuthorityGracePeriod: "87576h" },
      /--certificate-authority-grace-period: with --certificate-expiration-deadline \(24h\) it must be shorter than --ca-certificate-validity-period \(87600h\)/,
    ],
    [{ certificateValidityPeriod: "1y" }, /--certificate-validity-period: "1y" is not a duration/],
    [{ cacheResyncPeriod: "0s" }, /--cache-resync-period: must be greater than 0/],
    [{ cacheResyncPeriod: "577h" }, /--cache-resync-period: .* at most 576h/],
    [{ cacheResyncPeriod: "10" }, /--cache-resync-period: "10" is not a duration/],
    [{ certificateKeyAlgorithm: "DSA" }, /--certificate-key-algorithm: "DSA" is not one of RSA, ECDSA/],
    [{ imagePullPolicy: "Sometimes" }, /--image-pull-policy/],
    [{ logLevel: "trace" }, /--log-level/],
    [{ webhookPort: "70000" }, /--webhook-port: expected a port number/],
    [{ leaderElect: "false", podNamespace: undefined }, /--pod-namespace .* is required with the webhooks/],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => managerSettings({ ...defaults, ...change }, "v"), message, JSON.stringify(change));
  }
  assert.equal(
    managerSettings({ ...defaults, leaderElect: "false", podNamespace: undefined, webhookPort: "0" }, "v")
      .leaderElectionNamespace,
    undefined,
  );
});

test("the default kine image is the pinned kine version", () => {
  assert.equal(defaultKineImage, `docker.io/rancher/kine:${versions.kine}`);
});

test("canonical JSON ignores key order but not values or array order", () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: null } }), canonicalJson({ a: { c: null, d: [2, 1] }, b: 1 }));
  assert.notEqual(canonicalJson({ a: [1, 2] }), canonicalJson({ a: [2, 1] }));
  assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: "1" }));
});
