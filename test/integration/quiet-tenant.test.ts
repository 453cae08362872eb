// A tenant nobody touches is not forgotten: the manager looks at every TenantControlPlane again once per resync
// period, and each reconcile schedules the next one for when its earliest certificate enters the renewal deadline.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { LEAF_VALIDITY_MS } from "../../src/pki/index.js";
import { resourceTypes } from "../../src/runtime/resource-types.js";
import { waitFor } from "../../tools/cluster/wait.js";
import {
  addEtcdDataStoreAndNamespace,
  reconcilesSince,
  settled,
  startManager,
  startOperatorEnvironment,
  tenantControlPlane,
  waitReconciled,
  type OperatorEnvironment,
  type RunningManager,
} from "../helpers/operator.js";

const ns = "quiet";

describe("a quiet tenant", { timeout: 300_000 }, () => {
  let env: OperatorEnvironment;
  let manager: RunningManager | undefined;

  before(async () => {
    env = await startOperatorEnvironment();
    await addEtcdDataStoreAndNamespace(env, ns);
  });

  after(async () => {
    await manager?.stop();
    await env.stop();
  });

  test("is reconciled again every resync period with nothing changed", async () => {
    manager = startManager(env, { defaultDataStore: "etcd", cacheResyncPeriodMs: 1_000 });
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(tenantControlPlane("still", ns)));
    await waitReconciled(env, "still", ns);
    const since = manager.logs.length;
    const generation = (await env.client.get<any>(resourceTypes.tenantControlPlane, "still", ns))?.metadata;
    await sleep(9_000);
    // Without a resync, 2 looks were seen in these 9 s (the Deployment's status settling, a starting pod's recheck).
    const count = reconcilesSince(manager, "tenantcontrolplane", `${ns}/still`, since);
    assert.ok(count >= 5, `${count} reconciles in 9 s with a 1 s resync period`);
    const now = (await env.client.get<any>(resourceTypes.tenantControlPlane, "still", ns))?.metadata;
    assert.equal(now.generation, generation.generation, "the resync must not change the spec");
    await manager.stop();
    manager = undefined;
  });

  test("has its certificates renewed when they reach the deadline, with no event to wake it", async () => {
    // A deadline 12 s short of the lifetime: every leaf certificate is due 12 s after it was issued.
    manager = startManager(env, {
      defaultDataStore: "etcd",
      certificateExpirationDeadlineMs: LEAF_VALIDITY_MS - 12_000,
    });
    await env.cluster.kubectl(["apply", "-f", "-"], JSON.stringify(tenantControlPlane("renewed", ns)));
    await waitReconciled(env, "renewed", ns);
    await settled(manager, `${ns}/renewed`, 2_000);
    const secret = async () =>
      (await env.client.get<any>(resourceTypes.secret, "renewed-api-server-certificate", ns))?.data?.["apiserver.crt"];
    const before = await secret();
    assert.ok(before, "the API server certificate exists");
    // Due within 12 s; the next look without a renewal schedule would be the 30 s recheck of a starting pod.
    await waitFor(
      "the API server certificate to be renewed",
      async () => (await secret()) !== before || undefined,
      20_000,
    );
    const renewedLines = manager.logs.filter((line) => line.includes('"renewed certificate"'));
    assert.ok(renewedLines.length > 0, "the renewal is logged");
  });
});
