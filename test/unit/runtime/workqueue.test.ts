import assert from "node:assert/strict";
import { test } from "node:test";
import { ExponentialBackoff } from "../../../src/runtime/rate-limiter.js";
import { WorkQueue } from "../../../src/runtime/workqueue.js";

test("a key added many times while waiting is handed out once", async () => {
  const queue = new WorkQueue();
  queue.add("ns/a");
  queue.add("ns/b");
  queue.add("ns/a");
  assert.equal(queue.depth, 2);
  assert.equal(await queue.get(), "ns/a");
  assert.equal(await queue.get(), "ns/b");
  assert.equal(queue.depth, 0);
});

test("a key added while it is processed is not handed to a second worker, and comes back after done", async () => {
  const queue = new WorkQueue();
  queue.add("k");
  const first = await queue.get();
  queue.add("k");
  assert.equal(queue.depth, 0, "the key must wait until the worker is done with it");
  let second: string | undefined;
  const waiting = queue.get().then((key) => (second = key));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(second, undefined);
  queue.done(first!);
  await waiting;
  assert.equal(second, "k");
});

test("done without a re-add leaves the queue empty", async () => {
  const queue = new WorkQueue();
  queue.add("k");
  queue.done((await queue.get())!);
  assert.equal(queue.depth, 0);
});

test("addAfter delays the key; an earlier delay for the same key wins", async () => {
  const queue = new WorkQueue();
  const start = Date.now();
  queue.addAfter("k", 200);
  queue.addAfter("k", 30);
  queue.addAfter("k", 500);
  assert.equal(await queue.get(), "k");
  const waited = Date.now() - start;
  assert.ok(waited >= 25 && waited < 190, `waited ${waited} ms`);
});

test("a delay longer than Node's timers allow (about 24.8 days) is waited for in full, not fired at once", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  const queue = new WorkQueue();
  const day = 24 * 3_600_000;
  queue.addAfter("k", 40 * day);
  let handed: string | undefined;
  void queue.get().then((key) => (handed = key));
  t.mock.timers.tick(1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(handed, undefined, "handed out after 1 ms");
  t.mock.timers.tick(39 * day);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(handed, undefined, "handed out after 39 days");
  t.mock.timers.tick(day);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(handed, "k");
});

test("shutdown releases waiting workers with undefined and refuses new keys", async () => {
  const queue = new WorkQueue();
  const waiting = queue.get();
  queue.shutdown();
  assert.equal(await waiting, undefined);
  queue.add("k");
  assert.equal(await queue.get(), undefined);
});

test("after shutdown no key is handed out, not even one queued before it or re-added by done", async () => {
  const queue = new WorkQueue();
  queue.add("queued");
  queue.add("busy");
  assert.equal(await queue.get(), "queued");
  queue.add("queued"); // dirty while processing: done() would put it back
  queue.shutdown();
  assert.equal(await queue.get(), undefined, "busy was queued before the shutdown");
  queue.done("queued");
  assert.equal(await queue.get(), undefined, "done() re-added nothing");
});

test("exponential backoff doubles per failure up to the cap and resets on forget", () => {
  const backoff = new ExponentialBackoff<string>({ baseMs: 5, maxMs: 100 });
  assert.deepEqual(
    Array.from({ length: 7 }, () => backoff.next("k")),
    [5, 10, 20, 40, 80, 100, 100],
  );
  assert.equal(backoff.next("other"), 5, "keys back off independently");
  backoff.forget("k");
  assert.equal(backoff.next("k"), 5);
  for (let i = 0; i < 2000; i++) backoff.next("many");
  assert.equal(backoff.next("many"), 100, "no overflow after many failures");
});

test("addRateLimited schedules with growing delays and counts failures", async () => {
  const queue = new WorkQueue({ baseMs: 10, maxMs: 1000 });
  assert.equal(queue.addRateLimited("k"), 10);
  assert.equal(await queue.get(), "k");
  queue.done("k");
  assert.equal(queue.addRateLimited("k"), 20);
  assert.equal(queue.failures("k"), 2);
  queue.forget("k");
  assert.equal(queue.failures("k"), 0);
  queue.shutdown();
});
