import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { before, describe, test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import {
  buildCertificateKubeconfig,
  type Kubeconfig,
  KubeconfigError,
  parseKubeconfig,
  renderKubeconfig,
  resolveCurrentContext,
} from "../../../src/kubeconfig/index.js";
import {
  createCertificateAuthority,
  encodeCertificateAndKey,
  generateKeyPair,
  issueTenantCertificate,
  loadCertificateAndKey,
} from "../../../src/pki/index.js";
import { opensslOk, withFiles } from "../pki/openssl.js";

const KUBECTL = "/usr/bin/kubectl";

describe("kubeconfig render and parse", () => {
  let admin: Kubeconfig;
  let rendered: string;

  before(async () => {
    const [caKey, adminKey] = await Promise.all([generateKeyPair("ECDSA"), generateKeyPair("ECDSA")]);
    const authority = await createCertificateAuthority({ commonName: "kubernetes", key: caKey });
    const pem = encodeCertificateAndKey(await issueTenantCertificate("admin", authority, adminKey));
    admin = buildCertificateKubeconfig({
      clusterName: "tcp",
      server: "https://10.0.0.10:6443",
      certificateAuthorityPem: authority.certificate.pem,
      userName: "kubernetes-admin",
      clientCertificatePem: pem.certificatePem,
      clientKeyPem: pem.privateKeyPem,
    });
    rendered = renderKubeconfig(admin);
  });

  test("the YAML has kubeadm's shape, with base64 data", () => {
    const document = parseYaml(rendered) as Record<string, unknown>;
    assert.deepEqual(Object.keys(document), [
      "apiVersion",
      "kind",
      "clusters",
      "contexts",
      "current-context",
      "preferences",
      "users",
    ]);
    assert.equal(document.apiVersion, "v1");
    assert.equal(document.kind, "Config");
    assert.equal(document["current-context"], "kubernetes-admin@tcp");
    assert.deepEqual(document.contexts, [
      { name: "kubernetes-admin@tcp", context: { cluster: "tcp", user: "kubernetes-admin" } },
    ]);
    const [cluster] = document.clusters as { name: string; cluster: Record<string, string> }[];
    assert.ok(cluster);
    assert.equal(cluster.name, "tcp");
    assert.equal(cluster.cluster.server, "https://10.0.0.10:6443");
    const caData = cluster.cluster["certificate-authority-data"] ?? "";
    assert.equal(Buffer.from(caData, "base64").toString("utf8"), admin.clusters[0]?.certificateAuthorityPem);
    // Long base64 values stay on one line.
    assert.ok(rendered.split("\n").some((line) => line.includes(`certificate-authority-data: ${caData}`)));
  });

  test("parse(render(x)) gives x back, from text or bytes", () => {
    assert.deepEqual(parseKubeconfig(rendered), admin);
    assert.deepEqual(parseKubeconfig(Buffer.from(rendered)), admin);
    assert.equal(renderKubeconfig(parseKubeconfig(rendered)), rendered);
  });

  test("a namespace and a custom context name survive the round trip", () => {
    const withNamespace: Kubeconfig = {
      ...admin,
      contexts: [{ name: "default", cluster: "tcp", user: "kubernetes-admin", namespace: "kube-system" }],
      currentContext: "default",
    };
    assert.deepEqual(parseKubeconfig(renderKubeconfig(withNamespace)), withNamespace);
    const konnectivity = buildCertificateKubeconfig({
      clusterName: "kubernetes",
      server: "https://localhost:6443",
      certificateAuthorityPem: "ca",
      userName: "system:konnectivity-server",
      clientCertificatePem: "cert",
      clientKeyPem: "key",
      contextName: "default",
    });
    assert.equal(konnectivity.currentContext, "default");
    assert.deepEqual(parseKubeconfig(renderKubeconfig(konnectivity)), konnectivity);
  });

  test("the current context resolves to its cluster and user, whose certificate openssl verifies", async () => {
    const { cluster, user, context } = resolveCurrentContext(parseKubeconfig(rendered));
    assert.equal(context.name, "kubernetes-admin@tcp");
    const { certificate } = await loadCertificateAndKey(
      { certificatePem: user.clientCertificatePem, privateKeyPem: user.clientKeyPem },
      "admin.conf",
    );
    assert.equal(certificate.commonName, "kubernetes-admin");
    await withFiles({ "ca.crt": cluster.certificateAuthorityPem, "client.crt": user.clientCertificatePem }, (dir) => {
      assert.equal(opensslOk(["verify", "-CAfile", "ca.crt", "client.crt"], dir).trim(), "client.crt: OK");
    });
  });

  test("kubectl loads the rendered file", { skip: !existsSync(KUBECTL) && "kubectl is not installed" }, async () => {
    await withFiles({ "admin.conf": rendered }, (dir) => {
      const result = spawnSync(
        KUBECTL,
        ["config", "view", "--kubeconfig", "admin.conf", "--raw", "-o", "jsonpath={.users[0].user.client-key-data}"],
        { cwd: dir, encoding: "utf8" },
      );
      assert.equal(result.status, 0, result.stderr);
      assert.equal(Buffer.from(result.stdout, "base64").toString("utf8"), admin.users[0]?.clientKeyPem);
    });
  });

  describe("errors name the field", () => {
    const mutate = (change: (document: Record<string, unknown>) => void): string => {
      const document = parseYaml(rendered) as Record<string, unknown>;
      change(document);
      return stringify(document);
    };
    const entry = (document: Record<string, unknown>, list: string): Record<string, Record<string, unknown>> =>
      (document[list] as Record<string, Record<string, unknown>>[])[0] ?? {};

    const cases: { name: string; input: () => string; message: string | RegExp }[] = [
      {
        name: "not YAML",
        input: () => "clusters: [\n",
        message: "kubeconfig: not valid YAML at line 2, column 1: Flow sequence",
      },
      {
        name: "several YAML documents",
        input: () => `${rendered}---\n${rendered}`,
        message: /^kubeconfig: not valid YAML at line \d+, column 1: Source contains multiple documents/,
      },
      { name: "empty", input: () => "", message: "kubeconfig: the document is empty" },
      { name: "a list", input: () => "- a\n", message: "kubeconfig: the document must be a mapping" },
      { name: "a scalar", input: () => "hello", message: "kubeconfig: the document must be a mapping" },
      {
        name: "wrong kind",
        input: () => mutate((d) => (d.kind = "Pod")),
        message: 'kubeconfig: kind is "Pod", expected "Config"',
      },
      { name: "missing kind", input: () => mutate((d) => delete d.kind), message: "kubeconfig: kind is missing" },
      {
        name: "wrong apiVersion",
        input: () => mutate((d) => (d.apiVersion = "v2")),
        message: 'kubeconfig: apiVersion is "v2", expected "v1"',
      },
      {
        name: "missing users",
        input: () => mutate((d) => delete d.users),
        message: "kubeconfig: users is missing",
      },
      {
        name: "users not a list",
        input: () => mutate((d) => (d.users = { a: 1 })),
        message: "kubeconfig: users must be a list",
      },
      {
        name: "missing client key",
        input: () => mutate((d) => delete entry(d, "users").user?.["client-key-data"]),
        message: "kubeconfig: users[0].user.client-key-data is missing",
      },
      {
        name: "missing client certificate",
        input: () => mutate((d) => delete entry(d, "users").user?.["client-certificate-data"]),
        message: "kubeconfig: users[0].user.client-certificate-data is missing",
      },
      {
        name: "client key not base64",
        input: () => mutate((d) => ((entry(d, "users").user ?? {})["client-key-data"] = "not base64!")),
        message: "kubeconfig: users[0].user.client-key-data is not valid base64",
      },
      {
        name: "user name not a string",
        input: () => mutate((d) => (entry(d, "users").name = 7 as unknown as Record<string, unknown>)),
        message: "kubeconfig: users[0].name must be a string",
      },
      {
        name: "missing cluster mapping",
        input: () => mutate((d) => delete entry(d, "clusters").cluster),
        message: "kubeconfig: clusters[0].cluster is missing",
      },
      {
        name: "missing CA data",
        input: () => mutate((d) => delete entry(d, "clusters").cluster?.["certificate-authority-data"]),
        message: "kubeconfig: clusters[0].cluster.certificate-authority-data is missing",
      },
      {
        name: "server not a URL",
        input: () => mutate((d) => ((entry(d, "clusters").cluster ?? {}).server = "10.0.0.1:6443 oops")),
        message: 'kubeconfig: clusters[0].cluster.server "10.0.0.1:6443 oops" is not a URL',
      },
      {
        name: "empty server",
        input: () => mutate((d) => ((entry(d, "clusters").cluster ?? {}).server = "")),
        message: "kubeconfig: clusters[0].cluster.server is empty",
      },
      {
        name: "context names an unknown user",
        input: () => mutate((d) => ((entry(d, "contexts").context ?? {}).user = "nobody")),
        message: 'kubeconfig: contexts[0].context.user "nobody" names no entry in users',
      },
      {
        name: "context names an unknown cluster",
        input: () => mutate((d) => ((entry(d, "contexts").context ?? {}).cluster = "elsewhere")),
        message: 'kubeconfig: contexts[0].context.cluster "elsewhere" names no entry in clusters',
      },
      {
        name: "missing current-context",
        input: () => mutate((d) => delete d["current-context"]),
        message: "kubeconfig: current-context is missing",
      },
      {
        name: "dangling current-context",
        input: () => mutate((d) => (d["current-context"] = "gone")),
        message: 'kubeconfig: current-context "gone" names no entry in contexts',
      },
      {
        name: "duplicate user names",
        input: () => mutate((d) => (d.users = [entry(d, "users"), entry(d, "users")])),
        message: 'kubeconfig: users[1].name "kubernetes-admin" is a duplicate',
      },
    ];
    for (const { name, input, message } of cases) {
      test(name, () => {
        assert.throws(
          () => parseKubeconfig(input()),
          (error: unknown) => {
            assert.ok(error instanceof KubeconfigError, `expected a KubeconfigError, got ${String(error)}`);
            if (message instanceof RegExp) assert.match(error.message, message);
            else assert.ok(error.message.startsWith(message), `"${error.message}" does not start with "${message}"`);
            return true;
          },
        );
      });
    }

    test("YAML errors do not quote the input, which holds private keys", () => {
      const keyData = Buffer.from(admin.users[0]?.clientKeyPem ?? "").toString("base64");
      const broken = rendered.replace(`client-key-data: ${keyData}`, `client-key-data: ${keyData}\n  : [`);
      assert.throws(
        () => parseKubeconfig(broken),
        (error: unknown) => {
          assert.ok(error instanceof KubeconfigError);
          assert.match(error.message, /^kubeconfig: not valid YAML at line \d+, column \d+: /);
          assert.ok(!error.message.includes(keyData.slice(0, 20)), error.message);
          return true;
        },
      );
    });

    test("the source is named when given", () => {
      assert.throws(
        () => parseKubeconfig("kind: Pod\napiVersion: v1\n", "secret ns/tcp-admin-kubeconfig key admin.conf"),
        {
          message: 'kubeconfig in secret ns/tcp-admin-kubeconfig key admin.conf: kind is "Pod", expected "Config"',
        },
      );
    });

    test("resolveCurrentContext refuses a hand-built config with a dangling reference", () => {
      assert.throws(() => resolveCurrentContext({ ...admin, currentContext: "missing" }), {
        name: "KubeconfigError",
        message: 'kubeconfig: current-context "missing" names no entry in contexts',
      });
      assert.throws(() => resolveCurrentContext({ ...admin, users: [] }), {
        message: 'kubeconfig: context "kubernetes-admin@tcp" names the unknown user "kubernetes-admin"',
      });
    });
  });
});
