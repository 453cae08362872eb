import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Informer, isVeryShortWatch } from "../../../src/runtime/informer.js";
import type { KubeClient, KubeObject } from "../../../src/runtime/kube-client.js";
import { createLogger } from "../../../src/runtime/logger.js";
import { resourceTypes } from "../../../src/runtime/resource-types.js";

const quiet = createLogger(
  "error",
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  }),
);

test("a watch is very short when it ends within a second with no event", () => {
  assert.equal(isVeryShortWatch(50, 0), true);
  assert.equal(isVeryShortWatch(999, 0), true);
  assert.equal(isVeryShortWatch(50, 1), false, "it delivered an event");
  assert.equal(isVeryShortWatch(1_000, 0), false, "it lasted a second");
});

test("watches that a server ends at once are retried with backoff, not in a loop", async () => {
  let watches = 0;
  // A server that lists fine but ends every watch the moment it starts (as a proxy refusing long requests does).
  const client = {
    list: () => Promise.resolve({ metadata: { resourceVersion: "1", continue: "" }, items: [] }),
    watch: () => {
      watches += 1;
      return new Promise((resolve) => setImmediate(resolve));
    },
  } as unknown as KubeClient;
  const informer = new Informer<KubeObject>(client, resourceTypes.configMap, quiet);
  const stop = new AbortController();
  const running = informer.run(stop.signal);
  await sleep(1_700);
  stop.abort();
  await running;
  // Backoff from 0.5 s: watches at about 0, 0.5 and 1.5 s.
  assert.ok(watches >= 2 && watches <= 4, `${watches} watches in 1.7 s`);
});
