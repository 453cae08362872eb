// The manager runs informers, controllers and the HTTP endpoints. Informers start at once (a standby replica keeps
// a warm cache); controllers start only once this process is the leader. Losing the lease stops everything: the
// caller exits and the pod restarts, as controller-runtime does, so two leaders never reconcile together.
import { setMaxListeners } from "node:events";
import type { Server } from "node:http";
import type { Controller } from "./controller.js";
import { isAborted } from "./abort.js";
import type { Informer } from "./informer.js";
import type { KubeClient, KubeObject } from "./kube-client.js";
import { LeaderElector, type LeaderElectionOptions } from "./leader-election.js";
import type { Logger } from "./logger.js";
import type { RuntimeMetrics } from "./metrics.js";
import { closeServer, serveHealth, serveMetrics } from "./http-server.js";

export interface ManagerOptions {
  readonly client: KubeClient;
  readonly log: Logger;
  readonly metrics: RuntimeMetrics;
  /** Undefined: no leader election (single replica, or tests). */
  readonly leaderElection?: LeaderElectionOptions;
  readonly healthAddress?: { host: string; port: number };
  readonly metricsAddress?: { host: string; port: number };
}

export type Runnable = (signal: AbortSignal) => Promise<void>;

export class Manager {
  readonly #informers: Informer<KubeObject>[] = [];
  readonly #controllers: Controller[] = [];
  readonly #leaderRunnables: Runnable[] = [];
  readonly #servers: Server[] = [];
  readonly #elector: LeaderElector | undefined;
  /** The elector's own connections: a renewal never queues behind reconciles on a stalled one. */
  readonly #electionClient: KubeClient | undefined;

  constructor(private readonly options: ManagerOptions) {
    const { leaderElection, client, log, metrics } = options;
    this.#electionClient = leaderElection === undefined ? undefined : client.withSeparateConnections();
    this.#elector =
      leaderElection === undefined || this.#electionClient === undefined
        ? undefined
        : new LeaderElector(
            this.#electionClient,
            leaderElection,
            log.child({ logger: "leader-election" }),
            (leading) => {
              metrics.leader.set({ name: leaderElection.name }, leading ? 1 : 0);
            },
          );
  }

  /** True while this process holds the lease (always, without leader election). */
  get isLeader(): boolean {
    return this.#elector?.isLeader ?? true;
  }

  addInformer<T extends KubeObject>(informer: Informer<T>): Informer<T> {
    this.#informers.push(informer as unknown as Informer<KubeObject>);
    return informer;
  }

  addController(controller: Controller): void {
    this.#controllers.push(controller);
  }

  /** Work that only the leader does besides controllers (e.g. periodic metrics refresh). */
  addLeaderRunnable(runnable: Runnable): void {
    this.#leaderRunnables.push(runnable);
  }

  /**
   * Runs until `signal` aborts (resolves "stopped") or leadership is lost (resolves "leadership-lost"). Either way,
   * in-flight reconciles finish and the lease is released before it resolves.
   */
  async run(signal: AbortSignal): Promise<"stopped" | "leadership-lost"> {
    const { log, healthAddress, metricsAddress, metrics } = this.options;
    const internal = new AbortController();
    const stop = AbortSignal.any([signal, internal.signal]);
    // Every informer, controller worker and their backoff sleeps listen on this one signal.
    setMaxListeners(0, stop);
    if (healthAddress !== undefined) {
      this.#servers.push(await serveHealth(healthAddress, [() => this.#notSynced()]));
    }
    if (metricsAddress !== undefined) this.#servers.push(await serveMetrics(metricsAddress, metrics.registry));

    const informersDone = Promise.all(this.#informers.map((informer) => informer.run(stop)));
    let outcome: "stopped" | "leadership-lost" = "stopped";
    try {
      if (this.#elector !== undefined && !(await this.#elector.acquire(stop))) return outcome;
      await Promise.race([Promise.all(this.#informers.map((i) => i.waitForSync())), aborted(stop)]);
      if (isAborted(stop)) return outcome;
      log.info({ controllers: this.#controllers.map((c) => c.name) }, "starting controllers");
      const work = Promise.all([
        ...this.#controllers.map((controller) => controller.run(stop)),
        ...this.#leaderRunnables.map((runnable) => runnable(stop)),
      ]);
      if (this.#elector !== undefined) {
        await this.#elector.hold(stop);
        if (!stop.aborted) outcome = "leadership-lost";
        internal.abort();
      }
      await work;
      return outcome;
    } finally {
      internal.abort();
      await informersDone;
      await this.#elector?.release();
      this.#electionClient?.close();
      await Promise.all(this.#servers.map(closeServer));
      log.info({ outcome }, "manager stopped");
    }
  }

  #notSynced(): string | undefined {
    const pending = this.#informers.filter((informer) => !informer.hasSynced).map((i) => i.type.plural);
    return pending.length === 0 ? undefined : `informers not synced: ${pending.join(", ")}`;
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else
      signal.addEventListener(
        "abort",
        () => {
          resolve();
        },
        { once: true },
      );
  });
}
