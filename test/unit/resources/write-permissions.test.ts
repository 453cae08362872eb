import assert from "node:assert/strict";
import { test } from "node:test";
import { blockedOperations, writePermissionsConfiguration } from "../../../src/resources/tenant/write-permissions.js";
import { freezeConfiguration } from "../../../src/resources/tenant/freeze.js";
import { tenantGuardHandlers, tenantGuardPaths } from "../../../src/webhooks/http/tenant-guards.js";
import { tenantControlPlaneWith } from "./fixtures.js";

const endpoint = { baseUrl: "https://kamaji-webhook-service.kamaji-system.svc:443", caBundlePem: "CA" };

test("the blocked operations follow spec.writePermissions", () => {
  assert.deepEqual(blockedOperations(tenantControlPlaneWith({})), []);
  const all = tenantControlPlaneWith({
    writePermissions: { blockCreation: true, blockUpdate: true, blockDeletion: true },
  });
  assert.deepEqual(blockedOperations(all), ["CREATE", "UPDATE", "DELETE"]);
  assert.deepEqual(blockedOperations(tenantControlPlaneWith({ writePermissions: { blockUpdate: true } })), ["UPDATE"]);
});

test("the configuration: node leases only renewed, the rest outside kube-system blocked, system:masters let through", () => {
  const tcp = tenantControlPlaneWith({ writePermissions: { blockDeletion: true } });
  const configuration = writePermissionsConfiguration(tcp, endpoint);
  assert.equal(configuration.metadata.name, "kamaji-write-permissions");
  const [leases, catchall] = configuration.webhooks;
  assert.ok(leases !== undefined && catchall !== undefined);
  assert.equal(leases.name, "leases.write-permissions.kamaji.clastix.io");
  assert.deepEqual(leases.rules.at(0)?.operations, ["CREATE", "DELETE"]);
  assert.deepEqual(leases.namespaceSelector.matchExpressions.at(0)?.values, ["kube-node-lease"]);
  assert.equal(catchall.name, "catchall.write-permissions.kamaji.clastix.io");
  assert.deepEqual(catchall.rules.at(0)?.operations, ["DELETE"]);
  assert.equal(catchall.rules.at(0)?.scope, "*");
  assert.deepEqual(catchall.namespaceSelector.matchExpressions.at(0), {
    key: "kubernetes.io/metadata.name",
    operator: "NotIn",
    values: ["kube-system", "kube-node-lease"],
  });
  const url = new URL(catchall.clientConfig.url);
  assert.equal(url.pathname, `/write-permission/${tcp.metadata.namespace}/${tcp.metadata.name}`);
  assert.equal(url.search, "", "API servers refuse query parameters in webhook URLs");
  assert.equal(Buffer.from(catchall.clientConfig.caBundle, "base64").toString(), "CA");
  assert.equal(catchall.failurePolicy, "Fail");
  assert.match(catchall.matchConditions?.at(0)?.expression ?? "", /system:masters/);
});

test("the freeze sends every write outside kube-system and kube-node-lease to /migrate, system:masters included", () => {
  const tcp = tenantControlPlaneWith({});
  const configuration = freezeConfiguration(tcp, {
    baseUrl: "https://kamaji-webhook-service.kamaji-system.svc:443",
    caBundlePem: "CA",
  });
  assert.equal(configuration.metadata.name, "kamaji-freeze");
  const leases = configuration.webhooks.find((w) => w.name.startsWith("leases."));
  const catchall = configuration.webhooks.find((w) => w.name.startsWith("catchall."));
  assert.equal(leases?.name, "leases.migrate.kamaji.clastix.io");
  assert.deepEqual(catchall?.rules[0]?.operations, ["CREATE", "UPDATE", "DELETE"]);
  assert.equal(new URL(catchall.clientConfig.url).pathname, `/migrate/${tcp.metadata.namespace}/${tcp.metadata.name}`);
  assert.equal(catchall.matchConditions, undefined, "nobody is let through: a write after the snapshot would be lost");
});

test("the tenant guards refuse what they are sent, naming the request and the tenant", async () => {
  const handlers = tenantGuardHandlers();
  const request = {
    uid: "1",
    operation: "CREATE" as const,
    resource: { group: "", version: "v1", resource: "configmaps" },
    namespace: "default",
    name: "x",
  };
  const call = { subpath: "ns/tcp" };
  const denied = await handlers[tenantGuardPaths.writePermission]?.(request, call);
  assert.ok(denied !== undefined && !("allowed" in denied));
  assert.match(denied.message, /^CREATE of configmaps default\/x refused: .*limited write permissions .*ns\/tcp/);
  const frozen = await handlers[tenantGuardPaths.migrate]?.({ ...request, operation: "DELETE" }, call);
  assert.ok(frozen !== undefined && !("allowed" in frozen));
  assert.match(frozen.message, /^DELETE of configmaps default\/x refused: .*freezing mode/);
});
