// Informers against a real API server: one whose watch connection dies silently (packets dropped, nothing closed, as
// when a NAT entry or a load balancer forgets the flow) must notice that the watch outlived its server-side timeout,
// cut it and watch again, instead of waiting forever for events that cannot arrive; a metadata-only informer gets
// and keeps no data.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { Informer } from "../../src/runtime/informer.js";
import { KubeClient, type KubeObject } from "../../src/runtime/kube-client.js";
import { createLogger } from "../../src/runtime/logger.js";
import { resourceTypes } from "../../src/runtime/resource-types.js";
import { waitFor } from "../../tools/cluster/wait.js";
import { startTestApiTier, type ApiTier } from "../helpers/api-tier.js";
import { proxyKubeconfig, type StallProxy } from "../helpers/stall-proxy.js";

/** A logger whose lines land in `logs`. */
function collectingLog(logs?: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs?.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      callback();
    },
  });
  return createLogger("debug", sink);
}
const quietLog = () => collectingLog();

describe("informers", { timeout: 180_000 }, () => {
  let cluster: ApiTier;
  let proxy: StallProxy;
  let client: KubeClient;
  const stop = new AbortController();
  const logs: string[] = [];

  before(async () => {
    cluster = await startTestApiTier();
    const proxied = await proxyKubeconfig(cluster.kubeconfig);
    proxy = proxied.proxy;
    client = KubeClient.load(proxied.kubeconfig);
  });

  after(async () => {
    stop.abort();
    client.close();
    await proxy.close();
    await cluster.stop();
  });

  test("a watch silent past its timeout is restarted, and what happened meanwhile arrives", async () => {
    const informer = new Informer<KubeObject>(client, resourceTypes.configMap, collectingLog(logs), {
      namespace: "default",
      watchTimeoutSeconds: 3,
      watchGraceMs: 2_000,
    });
    void informer.run(stop.signal);
    await informer.waitForSync();
    await cluster.kubectl(["create", "configmap", "-n", "default", "before-the-stall"]);
    await waitFor("the informer to see before-the-stall", () => informer.get("before-the-stall", "default"), 10_000);

    // The watch's connection goes dead; new connections still pass.
    proxy.stallExisting();
    await cluster.kubectl(["create", "configmap", "-n", "default", "during-the-stall"]);
    await waitFor("the informer to see during-the-stall", () => informer.get("during-the-stall", "default"), 20_000);
    assert.ok(
      logs.some((line) => line.includes("watch silent past its timeout")),
      "the restart is logged",
    );
    proxy.resume();
  });
  test("a metadata-only informer of nothing syncs (the server lists no items as null)", async () => {
    const informer = new Informer<KubeObject>(client, resourceTypes.pod, quietLog(), {
      namespace: "default",
      labelSelector: "matches=nothing",
      metadataOnly: true,
    });
    void informer.run(stop.signal);
    await waitFor("the empty informer to sync", () => informer.hasSynced || undefined, 10_000);
    assert.deepEqual(informer.list(), []);
  });

  test("a metadata-only informer of Secrets keeps neither their data nor their managedFields", async () => {
    await cluster.kubectl(["create", "secret", "generic", "-n", "default", "held", "--from-literal=password=hunter2"]);
    const informer = new Informer<KubeObject & { data?: unknown }>(client, resourceTypes.secret, quietLog(), {
      namespace: "default",
      metadataOnly: true,
    });
    void informer.run(stop.signal);
    await informer.waitForSync();
    const listed = informer.get("held", "default");
    assert.ok(listed, "listed");
    assert.equal(listed.data, undefined);
    assert.equal((listed.metadata as { managedFields?: unknown }).managedFields, undefined);
    assert.equal(listed.kind, "Secret");
    await cluster.kubectl(["label", "secret", "-n", "default", "held", "changed=yes"]);
    const watched = await waitFor(
      "the label change",
      () => {
        const found = informer.get("held", "default");
        return found?.metadata.labels?.changed === "yes" ? found : undefined;
      },
      10_000,
    );
    assert.equal(watched.data, undefined);
    assert.equal((watched.metadata as { managedFields?: unknown }).managedFields, undefined);
  });
});
