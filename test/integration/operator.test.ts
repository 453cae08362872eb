// The operator against a real kube-apiserver and a real etcd (TLS client certificates, auth on): DataStore checks,
// the TenantControlPlane pipeline, tenant isolation on etcd, spec changes, bad input, an outage, and deletion.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { resourceTypes } from "../../src/runtime/resource-types.js";
import { waitFor } from "../../tools/cluster/wait.js";
import {
  addEtcdDataStoreAndNamespace,
  expectedSecrets,
  etcdDataStore,
  getTcp,
  reconciledAfter,
  spawnManagerProcess,
  startManager,
  startOperatorEnvironment,
  tenantControlPlane,
  waitCondition,
  waitReconciled,
  type OperatorEnvironment,
  type RunningManager,
} from "../helpers/operator.js";

const ns = "tenants";
const tenants = ["alpha", "beta", "gamma"];

const secretKeys: Record<string, string[]> = {
  ca: ["ca.crt", "ca.key", "tls.crt", "tls.key"],
  "front-proxy-ca-certificate": ["front-proxy-ca.crt", "front-proxy-ca.key"],
  "sa-certificate": ["sa.key", "sa.pub"],
  "api-server-certificate": ["apiserver.crt", "apiserver.key"],
  "api-server-kubelet-client-certificate": ["apiserver-kubelet-client.crt", "apiserver-kubelet-client.key"],
  "front-proxy-client-certificate": ["front-proxy-client.crt", "front-proxy-client.key"],
  "admin-kubeconfig": ["admin.conf", "admin.svc", "super-admin.conf", "super-admin.svc"],
  "controller-manager-kubeconfig": ["controller-manager.conf"],
  "scheduler-kubeconfig": ["scheduler.conf"],
  "datastore-config": ["DB_CONNECTION_STRING", "DB_PASSWORD", "DB_SCHEMA", "DB_USER"],
  "datastore-certificate": ["ca.crt", "server.crt", "server.key"],
};

const decode = (value: string | undefined) => Buffer.from(value ?? "", "base64").toString("utf8");

describe("operator on the api tier with an etcd DataStore", { timeout: 600_000 }, () => {
  let env: OperatorEnvironment;
  let manager: RunningManager;

  before(async () => {
    env = await startOperatorEnvironment();
    await addEtcdDataStoreAndNamespace(env, ns);
    manager = startManager(env, { defaultDataStore: "etcd" });
  });

  after(async () => {
    await manager.stop();
    await env.stop();
  });

  test("the DataStore is checked against the server, becomes ready and gets its finalizer", async () => {
    const ds = await waitFor(
      "DataStore etcd ready",
      async () => {
        const found = await env.client.get<any>(resourceTypes.dataStore, "etcd");
        return found?.status?.ready === true ? found : undefined;
      },
      30_000,
    );
    const condition = ds.status.conditions.find((c: any) => c.type === "kamaji.clastix.io/DataStoreValidation");
    assert.equal(condition.status, "True");
    assert.equal(condition.reason, "DataStoreIsValid");
    assert.deepEqual(ds.metadata.finalizers, ["kamaji.clastix.io/TenantControlPlane"]);
    const columns = await env.cluster.kubectl(["get", "datastore", "etcd", "--no-headers"]);
    assert.match(columns, /^etcd\s+etcd\s+true\s+/);
  });

  test("three TenantControlPlanes get every object, with upstream names, keys, labels and status", async () => {
    for (const name of tenants) {
      await env.cluster.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(tenantControlPlane(name, ns)));
    }
    for (const name of tenants) {
      const tcp = await waitReconciled(env, name, ns);
      const uid = tcp.metadata.uid;
      assert.equal(tcp.status.storage.dataStoreName, "etcd");
      assert.equal(tcp.status.storage.driver, "etcd");
      assert.deepEqual(
        { schema: tcp.status.storage.setup.schema, user: tcp.status.storage.setup.user },
        { schema: uid, user: uid },
        "schema and user default to the TCP UID",
      );
      assert.match(tcp.status.controlPlaneEndpoint, /^10\.96\.\d+\.\d+:6443$/);
      assert.ok(tcp.metadata.finalizers?.includes("finalizer.kamaji.clastix.io"));
      for (const field of ["ca", "frontProxyCA", "sa", "apiServer", "apiServerKubeletClient", "frontProxyClient"]) {
        assert.equal(tcp.status.certificates[field].secretName !== undefined, true, `status.certificates.${field}`);
        assert.match(tcp.status.certificates[field].checksum, /^[0-9a-f]{32}$/);
      }
      assert.equal(tcp.status.kubeconfig.admin.secretName, `${name}-admin-kubeconfig`);
      assert.equal(tcp.status.kubernetesResources.deployment.name, name);
      assert.equal(tcp.status.kubernetesResources.deployment.selector, `kamaji.clastix.io/name=${name}`);
      // No nodes on the api tier: the pods never become ready.
      assert.equal(tcp.status.kubernetesResources.version.status, "NotReady");
      assert.equal(tcp.status.conditions.find((c: any) => c.type === "Reconciled").status, "True");

      for (const secretName of expectedSecrets(name)) {
        const secret = await env.client.get<any>(resourceTypes.secret, secretName, ns);
        assert.ok(secret, `Secret ${secretName} exists`);
        const suffix = secretName.slice(name.length + 1);
        assert.deepEqual(Object.keys(secret.data ?? {}).sort(), secretKeys[suffix], `keys of ${secretName}`);
        assert.equal(secret.metadata.labels["kamaji.clastix.io/project"], "kamaji");
        assert.equal(secret.metadata.labels["kamaji.clastix.io/name"], name);
        assert.deepEqual(
          secret.metadata.ownerReferences.map((o: any) => [o.kind, o.name, o.uid, o.controller]),
          [["TenantControlPlane", name, uid, true]],
        );
      }
      const config = await env.client.get<any>(resourceTypes.secret, `${name}-datastore-config`, ns);
      assert.equal(decode(config.data.DB_SCHEMA), uid);
      assert.equal(decode(config.data.DB_USER), uid);
      assert.deepEqual(config.metadata.finalizers, ["finalizer.kamaji.clastix.io/datastore-secret"]);

      const kubeadm = await env.client.get<any>(resourceTypes.configMap, `${name}-kubeadmconfig`, ns);
      assert.deepEqual(Object.keys(kubeadm.data).sort(), ["ClusterConfiguration", "InitConfiguration"]);
      const service = await env.client.get<any>(resourceTypes.service, name, ns);
      assert.deepEqual(service.spec.selector, { "kamaji.clastix.io/name": name });
      assert.equal(service.spec.ports[0].name, "kube-apiserver");

      const deployment = await env.client.get<any>(resourceTypes.deployment, name, ns);
      const containers = deployment.spec.template.spec.containers.map((c: any) => c.name);
      assert.deepEqual(containers, ["kube-apiserver", "kube-scheduler", "kube-controller-manager"]);
      const apiServerArgs: string[] = deployment.spec.template.spec.containers[0].args;
      assert.ok(apiServerArgs.includes(`--etcd-prefix=/${uid}`), apiServerArgs.join(" "));
      assert.ok(apiServerArgs.includes(`--etcd-servers=https://${env.etcd.endpoints[0]}`));
    }
    const table = await env.cluster.kubectl(["get", "tcp", "-n", ns, "--no-headers"]);
    for (const name of tenants) {
      assert.match(
        table,
        new RegExp(
          `^${name}\\s+v1\\.34\\.10\\s+NotReady\\s+10\\.96\\.\\S+:6443\\s+${name}-admin-kubeconfig\\s+etcd\\s`,
          "m",
        ),
      );
    }
  });

  test("a tenant's etcd credentials reach its own prefix and nothing else", async () => {
    const [a, b] = await Promise.all([getTcp(env, "alpha", ns), getTcp(env, "beta", ns)]);
    const certA = await env.client.get<any>(resourceTypes.secret, "alpha-datastore-certificate", ns);
    const identityA = {
      certificatePem: decode(certA.data["server.crt"]),
      privateKeyPem: decode(certA.data["server.key"]),
    };
    const prefixA = `/${a!.metadata.uid}/`;
    const prefixB = `/${b!.metadata.uid}/`;
    await env.etcd.etcdctl(["put", `${prefixB}secret`, "b-data"]);
    await env.etcd.etcdctl(["put", `${prefixA}own`, "a-data"], identityA);
    assert.equal((await env.etcd.etcdctl(["get", `${prefixA}own`, "--print-value-only"], identityA)).trim(), "a-data");
    await assert.rejects(env.etcd.etcdctl(["get", `${prefixB}secret`], identityA), /permission denied/);
    await assert.rejects(env.etcd.etcdctl(["put", `${prefixB}x`, "evil"], identityA), /permission denied/);
    await assert.rejects(env.etcd.etcdctl(["get", "/", "--prefix"], identityA), /permission denied/);
  });

  test("re-reconciling changes nothing; a spec change rolls the Deployment exactly once", async () => {
    const before = await env.client.get<any>(resourceTypes.deployment, "alpha", ns);
    const beforeAnnotation = manager.logs.length;
    await env.cluster.kubectl(["annotate", "tcp", "-n", ns, "alpha", "touched=1"]);
    await reconciledAfter(manager, "tenantcontrolplane", `${ns}/alpha`, beforeAnnotation);
    const touched = await env.client.get<any>(resourceTypes.deployment, "alpha", ns);
    assert.equal(touched.metadata.generation, before.metadata.generation, "an annotation does not roll the pods");

    await env.cluster.kubectl([
      "patch",
      "tcp",
      "-n",
      ns,
      "alpha",
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { controlPlane: { deployment: { extraArgs: { apiServer: ["--v=4"] } } } } }),
    ]);
    const rolled = await waitFor(
      "the Deployment to get the new flag",
      async () => {
        const d = await env.client.get<any>(resourceTypes.deployment, "alpha", ns);
        return d.spec.template.spec.containers[0].args.includes("--v=4") ? d : undefined;
      },
      30_000,
    );
    await waitReconciled(env, "alpha", ns);
    // A reconcile loop would change the Deployment on every pass: one more pass, woken on purpose, must not.
    const settledAt = manager.logs.length;
    await env.cluster.kubectl(["annotate", "tcp", "-n", ns, "alpha", "touched=2", "--overwrite"]);
    await reconciledAfter(manager, "tenantcontrolplane", `${ns}/alpha`, settledAt);
    const settled = await env.client.get<any>(resourceTypes.deployment, "alpha", ns);
    assert.equal(rolled.metadata.generation, Number(before.metadata.generation) + 1);
    assert.equal(settled.metadata.generation, rolled.metadata.generation, "no reconcile loop after the change");
  });

  test("the konnectivity addon: a new kubeconfig rolls the pods; turned off, its objects go", async () => {
    const konnectivityLabel = "component.kamaji.clastix.io/konnectivity-kubeconfig";
    const tcp = tenantControlPlane("kon", ns);
    await env.cluster.kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({ ...tcp, spec: { ...tcp.spec, addons: { konnectivity: {} } } }),
    );
    const first = await waitReconciled(env, "kon", ns);
    assert.equal(first.status.addons.konnectivity.enabled, true);
    const kubeconfig = () => env.client.get<any>(resourceTypes.secret, "kon-konnectivity-kubeconfig", ns);
    const egress = () =>
      env.client.get<any>(resourceTypes.configMap, "kon-konnectivity-egress-selector-configuration", ns);
    const podLabel = async () =>
      (await env.client.get<any>(resourceTypes.deployment, "kon", ns))?.spec.template.metadata.labels[
        konnectivityLabel
      ];
    const labelBefore = await podLabel();
    assert.ok(labelBefore, "the pods carry the konnectivity kubeconfig's checksum");
    assert.ok(await egress());

    // A re-issued kubeconfig (here: its Secret deleted) must reach the sidecar, which mounts it with subPath.
    const oldSecret = await kubeconfig();
    await env.client.delete(resourceTypes.secret, "kon-konnectivity-kubeconfig", ns);
    await waitFor(
      "the pods to roll for the new konnectivity kubeconfig",
      async () => {
        const label = await podLabel();
        return label !== undefined && label !== labelBefore ? label : undefined;
      },
      30_000,
    );
    assert.notEqual((await kubeconfig())?.metadata.uid, oldSecret.metadata.uid);

    await env.client.patch(resourceTypes.tenantControlPlane, "kon", ns, { spec: { addons: { konnectivity: null } } });
    await waitFor(
      "the konnectivity ConfigMap and kubeconfig Secret to be removed",
      async () => ((await kubeconfig()) === undefined && (await egress()) === undefined) || undefined,
      30_000,
    );
    const off = await waitReconciled(env, "kon", ns);
    assert.deepEqual(off.status.addons.konnectivity, { enabled: false });
    const deployment = await env.client.get<any>(resourceTypes.deployment, "kon", ns);
    const containers = deployment.spec.template.spec.containers.map((c: { name: string }) => c.name);
    assert.ok(!containers.includes("konnectivity-server"), `containers: ${containers.join(", ")}`);
    assert.equal(deployment.spec.template.metadata.labels[konnectivityLabel], undefined);
    await env.client.delete(resourceTypes.tenantControlPlane, "kon", ns);
  });

  test("a TCP naming a missing DataStore gets a condition and an event, the others are unaffected", async () => {
    await env.cluster.kubectl(
      ["apply", "--server-side", "-f", "-"],
      JSON.stringify(tenantControlPlane("lost", ns, "nowhere")),
    );
    const condition = await waitCondition(env, "lost", ns, "False", "DataStoreNotFound");
    assert.equal(condition.message, "DataStore nowhere does not exist");
    const events = await waitFor(
      "a Warning event on lost",
      async () => {
        const out = await env.cluster.kubectl(["get", "events.events.k8s.io", "-n", ns, "-o", "json"]);
        const items = JSON.parse(out).items.filter(
          (e: any) => e.regarding.name === "lost" && e.reason === "DataStoreNotFound",
        );
        return items.length > 0 ? items : undefined;
      },
      30_000,
    );
    assert.equal(events[0].type, "Warning");
    assert.equal(events[0].note, "DataStore nowhere does not exist");
    const alpha = await getTcp(env, "alpha", ns);
    assert.equal(alpha!.status.conditions.find((c: any) => c.type === "Reconciled").status, "True");
    await env.cluster.kubectl(["delete", "tcp", "-n", ns, "lost", "--wait=true", "--timeout=30s"]);
  });

  test("a DataStore with credentials the server refuses is not ready and says why", async () => {
    const wrong = etcdDataStore("etcd-wrong", env.etcd, "etcd-wrong-certs");
    // A valid certificate of the right CA, but for a user etcd does not know.
    const certB = await env.client.get<any>(resourceTypes.secret, "beta-datastore-certificate", ns);
    wrong.secret.data["tls.crt"] = certB.data["ca.crt"];
    wrong.secret.data["tls.key"] = certB.data["server.key"];
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(wrong.secret));
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(wrong.dataStore));
    const ds = await waitFor(
      "etcd-wrong to report a failed validation",
      async () => {
        const found = await env.client.get<any>(resourceTypes.dataStore, "etcd-wrong");
        const c = found?.status?.conditions?.find((x: any) => x.type === "kamaji.clastix.io/DataStoreValidation");
        return c?.status === "False" ? { found, c } : undefined;
      },
      30_000,
    );
    assert.equal(ds.found.status.ready, false);
    assert.match(ds.c.message, /etcd-wrong/);
    await env.cluster.kubectl(["delete", "datastore", "etcd-wrong", "--wait=true", "--timeout=30s"]);
  });

  test("a DataStore whose Secret lacks a key says which key, and recovers when it is added", async () => {
    const partial = etcdDataStore("etcd-partial", env.etcd, "etcd-partial-certs");
    const complete = structuredClone(partial.secret);
    delete (partial.secret.data as Record<string, string>)["tls.key"];
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(partial.secret));
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(partial.dataStore));
    const condition = await waitFor(
      "etcd-partial to report the missing key",
      async () => {
        const found = await env.client.get<any>(resourceTypes.dataStore, "etcd-partial");
        const c = found?.status?.conditions?.find((x: any) => x.type === "kamaji.clastix.io/DataStoreValidation");
        return c?.status === "False" ? c : undefined;
      },
      30_000,
    );
    assert.equal(condition.reason, "TLSConfigurationValidationFailed");
    assert.equal(
      condition.message,
      'DataStore etcd-partial: spec.tlsConfig.clientCertificate.privateKey.secretReference.keyPath: Secret kamaji-system/etcd-partial-certs has no key "tls.key"',
    );
    // Fixing the Secret is enough: Secrets referenced by DataStores are watched.
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(complete));
    await waitFor(
      "etcd-partial to become ready",
      async () =>
        (await env.client.get<any>(resourceTypes.dataStore, "etcd-partial"))?.status?.ready === true ? true : undefined,
      30_000,
    );
    await env.cluster.kubectl(["delete", "datastore", "etcd-partial", "--wait=true", "--timeout=30s"]);
  });

  test("an etcd outage gives a condition with a reason, and the tenant recovers by itself", async () => {
    await env.etcd.kill();
    try {
      await env.cluster.kubectl(["annotate", "tcp", "-n", ns, "gamma", "outage=1"]);
      const condition = await waitCondition(env, "gamma", ns, "False", undefined, 60_000);
      // Whichever notices first: the TCP's own datastore call, or the DataStore controller's check.
      assert.match(condition.reason, /^DataStore(Unreachable|OperationFailed|NotReady)$/);
      assert.match(condition.message, /DataStore etcd/);
    } finally {
      await env.etcd.restart();
    }
    await waitCondition(env, "gamma", ns, "True", "ReconcileSucceeded", 120_000);
  });

  test("deleting a TCP removes its etcd user, role and keys, and nothing of the other tenants", async () => {
    const gamma = await getTcp(env, "gamma", ns);
    const beta = await getTcp(env, "beta", ns);
    const uidG = gamma!.metadata.uid!;
    const uidB = beta!.metadata.uid!;
    await env.etcd.etcdctl(["put", `/${uidG}/registry/x`, "g"]);
    await env.cluster.kubectl(["delete", "tcp", "-n", ns, "gamma", "--wait=true", "--timeout=60s"]);
    const users = await env.etcd.etcdctl(["user", "list"]);
    const roles = await env.etcd.etcdctl(["role", "list"]);
    assert.ok(!users.includes(uidG), users);
    assert.ok(!roles.includes(uidG), roles);
    assert.equal((await env.etcd.etcdctl(["get", `/${uidG}/`, "--prefix", "--keys-only"])).trim(), "");
    assert.ok(users.includes(uidB) && roles.includes(uidB), "the other tenants keep their user and role");
    assert.equal((await env.etcd.etcdctl(["get", `/${uidB}/secret`, "--print-value-only"])).trim(), "b-data");
    await waitFor(
      "gamma's objects to be garbage-collected",
      async () =>
        (await env.client.get(resourceTypes.secret, "gamma-datastore-config", ns)) === undefined ? true : undefined,
      60_000,
    );
  });

  test("a manager killed mid-pipeline and restarted converges with nothing duplicated or leaked", async () => {
    await manager.stop();
    // A separate process, so that SIGKILL interrupts it between two API calls with no chance to clean up.
    const child = spawnManagerProcess(env);
    try {
      await env.cluster.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(tenantControlPlane("delta", ns)));
      await waitFor(
        "the first Secrets of delta",
        async () => ((await env.client.get(resourceTypes.secret, "delta-ca", ns)) === undefined ? undefined : true),
        60_000,
        20,
      );
    } finally {
      child.kill("SIGKILL");
    }
    const partial = await env.client.get<any>(resourceTypes.deployment, "delta", ns);
    assert.equal(partial, undefined, "the kill happened before the end of the pipeline");
    manager = startManager(env, { defaultDataStore: "etcd" });
    const tcp = await waitReconciled(env, "delta", ns);
    const list = await env.client.list<any>(resourceTypes.secret, {
      namespace: ns,
      labelSelector: "kamaji.clastix.io/name=delta",
    });
    assert.deepEqual(list.items.map((s: any) => s.metadata.name).sort(), expectedSecrets("delta").sort());
    const users = (await env.etcd.etcdctl(["user", "list"])).split("\n").filter((u) => u === tcp.metadata.uid);
    assert.equal(users.length, 1);
    await env.cluster.kubectl(["delete", "tcp", "-n", ns, "delta", "--wait=true", "--timeout=60s"]);
    assert.ok(!(await env.etcd.etcdctl(["user", "list"])).includes(tcp.metadata.uid!));
    assert.ok(!(await env.etcd.etcdctl(["role", "list"])).includes(tcp.metadata.uid!));
  });

  test("a DataStore in use cannot be deleted until its tenants are gone", async () => {
    await env.cluster.kubectl(["delete", "datastore", "etcd", "--wait=false"]);
    const ds = await waitFor(
      "the deletion to be held",
      async () => {
        const found = await env.client.get<any>(resourceTypes.dataStore, "etcd");
        const c = found?.status?.conditions?.find((x: any) => x.type === "kamaji.clastix.io/DataStoreAllowedDeletion");
        return c?.status === "False" ? { found, c } : undefined;
      },
      30_000,
    );
    assert.equal(ds.c.reason, "DataStoreStillUsed");
    assert.match(ds.c.message, /tenants\/alpha/);
    for (const name of ["alpha", "beta"]) {
      await env.cluster.kubectl(["delete", "tcp", "-n", ns, name, "--wait=true", "--timeout=60s"]);
    }
    await waitFor(
      "the DataStore to go",
      async () => ((await env.client.get(resourceTypes.dataStore, "etcd")) === undefined ? true : undefined),
      30_000,
    );
  });
});
