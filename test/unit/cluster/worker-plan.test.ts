import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  bootstrapTokenId,
  caCertHash,
  defaultWorkerNames,
  firstFree,
  kubeletServiceArgs,
  kubeletSkewProblem,
  lanAddressing,
  lanResourceNames,
  parseJoinCommand,
  tokenExpiredAt,
  workerAddress,
  workerNameProblem,
  workerResourceNames,
} from "../../../tools/cluster/workers/plan.js";
import { kubeProxyConntrackMax } from "../../../tools/cluster/workers/host-settings.js";

test("worker names must be DNS labels of at most 40 characters", () => {
  assert.equal(workerNameProblem("tenant-00-w1"), undefined);
  assert.match(workerNameProblem("Worker") ?? "", /not a DNS label/);
  assert.match(workerNameProblem("-w") ?? "", /not a DNS label/);
  assert.match(workerNameProblem("w_1") ?? "", /not a DNS label/);
  assert.match(workerNameProblem("a".repeat(41)) ?? "", /longer than 40/);
});

test("derived interface names fit Linux's 15 characters and differ between workers and tenants", () => {
  const a = workerResourceNames("a-very-long-worker-name-of-forty-chars-x");
  const b = workerResourceNames("a-very-long-worker-name-of-forty-chars-y");
  assert.ok(a.lanVeth.length <= 15);
  assert.notEqual(a.lanVeth, b.lanVeth);
  assert.equal(a.netns, "kamaji-w-a-very-long-worker-name-of-forty-chars-x");
  const lan = lanResourceNames("default/tenant-00");
  assert.ok(`${lan.nodeVeth}r`.length <= 15);
  assert.notEqual(lan.netns, lanResourceNames("other/tenant-00").netns);
});

test("default worker names take the first free indexes", () => {
  assert.deepEqual(defaultWorkerNames("t", [], 2), ["t-w1", "t-w2"]);
  assert.deepEqual(defaultWorkerNames("t", ["t-w1", "t-w3"], 2), ["t-w2", "t-w4"]);
});

test("each LAN has its own /30 uplink and /24, and workers are numbered from .10", () => {
  const first = lanAddressing(0);
  assert.deepEqual(first, {
    uplinkNode: "172.31.253.1",
    uplinkRouter: "172.31.253.2",
    subnet: "172.30.0.0/24",
    gateway: "172.30.0.1",
  });
  const last = lanAddressing(63);
  assert.equal(last.uplinkNode, "172.31.253.253");
  assert.equal(last.uplinkRouter, "172.31.253.254");
  assert.equal(workerAddress(lanAddressing(5), 0), "172.30.5.10");
  assert.equal(workerAddress(lanAddressing(5), 3), "172.30.5.13");
  assert.throws(() => lanAddressing(64), /out of range/);
  assert.equal(firstFree([0, 1, 3], 64, "LAN"), 2);
  assert.throws(() => firstFree([0, 1], 2, "tenant LAN"), /no free tenant LAN/);
});

test("the version-skew policy: never a newer kubelet minor, at most three minors older", () => {
  assert.equal(kubeletSkewProblem("v1.34.10", "v1.34.10"), undefined);
  assert.equal(kubeletSkewProblem("v1.34.10", "v1.34.2"), undefined, "patch levels are not part of the policy");
  assert.equal(kubeletSkewProblem("v1.31.0", "v1.34.10"), undefined);
  assert.match(kubeletSkewProblem("v1.34.10", "v1.33.6") ?? "", /newer than the control plane v1\.33\.6/);
  assert.match(kubeletSkewProblem("v1.30.0", "v1.34.10") ?? "", /more than three minors older/);
  assert.match(kubeletSkewProblem("1.x", "v1.34.10") ?? "", /not a version/);
});

test("kubeadm's join command is read back into endpoint, token and CA hash", () => {
  const hash = `sha256:${"ab".repeat(32)}`;
  const parsed = parseJoinCommand(
    `kubeadm join 172.31.254.2:31443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${hash} \n`,
  );
  assert.deepEqual(parsed, { endpoint: "172.31.254.2:31443", token: "abcdef.0123456789abcdef", caCertHash: hash });
  assert.throws(() => parseJoinCommand("error: something"), /unexpected output/);
  assert.throws(() => parseJoinCommand("kubeadm join --token x"), /unexpected output/);
});

test("bootstrap tokens are recognised by their shape, and expiry is judged against now", () => {
  assert.equal(bootstrapTokenId("abcdef.0123456789abcdef"), "abcdef");
  assert.throws(() => bootstrapTokenId("abcdef.short"), /not a bootstrap token/);
  const now = new Date("2026-12-07T10:00:00Z");
  assert.equal(tokenExpiredAt("2026-12-07T09:59:59Z", now), "2026-12-07T09:59:59Z");
  assert.equal(tokenExpiredAt("2026-12-07T10:00:01Z", now), undefined);
  assert.equal(tokenExpiredAt(undefined, now), undefined, "a token without expiration never expires");
});

test("the kubelet gets kubeadm's systemd drop-in arguments followed by KUBELET_KUBEADM_ARGS", () => {
  const args = kubeletServiceArgs(
    'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --hostname-override=w1"\n',
  );
  assert.deepEqual(args, [
    "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
    "--kubeconfig=/etc/kubernetes/kubelet.conf",
    "--config=/var/lib/kubelet/config.yaml",
    "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock",
    "--hostname-override=w1",
  ]);
  assert.throws(() => kubeletServiceArgs("OTHER=1"), /no KUBELET_KUBEADM_ARGS/);
});

test("the CA hash is sha256 of the CA's public key info, as openssl computes it", () => {
  const dir = mkdtempSync(join(tmpdir(), "ca-hash-"));
  try {
    const key = join(dir, "ca.key");
    const cert = join(dir, "ca.crt");
    execFileSync("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
    execFileSync("openssl", [
      "req",
      "-x509",
      "-new",
      "-key",
      key,
      "-subj",
      "/CN=kubernetes",
      "-days",
      "1",
      "-out",
      cert,
    ]);
    const der = execFileSync("openssl", ["pkey", "-in", key, "-pubout", "-outform", "DER"]);
    const expected = execFileSync("openssl", ["dgst", "-sha256", "-r"], { input: der, encoding: "utf8" }).split(" ")[0];
    const pem = execFileSync("openssl", ["x509", "-in", cert], { encoding: "utf8" });
    assert.equal(caCertHash(pem), `sha256:${expected}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the host's conntrack table is sized as kube-proxy computes it: 32768 per CPU, at least 131072", () => {
  assert.equal(kubeProxyConntrackMax(1), 131_072);
  assert.equal(kubeProxyConntrackMax(2), 131_072);
  assert.equal(kubeProxyConntrackMax(8), 262_144);
});
