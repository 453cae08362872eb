// An informer whose watch connection dies silently (packets dropped, nothing closed, as when a NAT entry or a load
// balancer forgets the flow) must notice that the watch outlived its server-side timeout, cut it and watch again,
// instead of waiting forever for events that cannot arrive.
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

describe("watch liveness", { timeout: 180_000 }, () => {
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
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        callback();
      },
    });
    const informer = new Informer<KubeObject>(client, resourceTypes.configMap, createLogger("debug", sink), {
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
  });
});
