// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a candidate takes the lease when the
// holder has not renewed it for leaseDuration (measured on the candidate's own clock since it last saw the record
// change, so clock skew between machines does not matter); the leader renews every retryPeriod and gives up
// leadership if it cannot renew for renewDeadline. Optimistic concurrency (resourceVersion) arbitrates races.
// Every attempt is cut at the renew deadline (its requests are abandoned, not left to land late), and the elector
// talks over connections of its own, so a renewal never waits behind reconciles on a stalled connection.
import type { Logger } from "./logger.js";
import { isConflict, type KubeClient, type KubeObject } from "./kube-client.js";
import { resourceTypes } from "./resource-types.js";
import { microTime } from "./time.js";
import { isAborted, sleep } from "./abort.js";

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export const defaultLeaseTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export class LeaderElector {
  #observedRecord = "";
  #observedAt = 0;
  #isLeader = false;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectionOptions,
    private readonly log: Logger,
    private readonly onLeadershipChange: (leading: boolean) => void = () => undefined,
  ) {}

  get isLeader(): boolean {
    return this.#isLeader;
  }

  /** Resolves once this candidate holds the lease, or when `signal` aborts (then with false). */
  async acquire(signal: AbortSignal): Promise<boolean> {
    this.log.info({ lease: this.#leaseName() }, "waiting to become leader");
    while (!signal.aborted) {
      const attempt = AbortSignal.any([signal, AbortSignal.timeout(this.options.renewDeadlineMs)]);
      if (await this.#tryAcquireOrRenew(attempt)) {
        this.#setLeader(true);
        this.log.info({ lease: this.#leaseName() }, "became leader");
        return true;
      }
      await sleep(this.options.retryPeriodMs * (1 + Math.random() * 0.2), signal);
    }
    return false;
  }

  /**
   * Renews until no renewal succeeded for renewDeadline (resolves: leadership lost) or `signal` aborts. An attempt
   * still running at the deadline is abandoned then: the lease is lost on time even when a request hangs.
   */
  async hold(signal: AbortSignal): Promise<void> {
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleep(this.options.retryPeriodMs, signal);
      if (isAborted(signal)) return;
      const left = lastRenew + this.options.renewDeadlineMs - Date.now();
      const attempt = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, left))]);
      if (await this.#tryAcquireOrRenew(attempt)) {
        lastRenew = Date.now();
      } else if (Date.now() - lastRenew >= this.options.renewDeadlineMs) {
        this.#setLeader(false);
        this.log.error({ lease: this.#leaseName() }, "leadership lost: the lease could not be renewed in time");
        return;
      }
    }
  }

  /** Gives the lease up so another candidate can take it at once (called on graceful shutdown). */
  async release(): Promise<void> {
    if (!this.#isLeader) return;
    this.#setLeader(false);
    try {
      // Bounded: a shutdown must not wait on a stalled connection (the lease then simply expires).
      const signal = AbortSignal.timeout(this.options.renewDeadlineMs);
      const lease = await this.#get(signal);
      if (lease?.spec?.holderIdentity !== this.options.identity) return;
      const now = microTime(new Date());
      const released = { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: now, acquireTime: now };
      await this.client.update<Lease>(resourceTypes.lease, { ...lease, spec: released }, { signal });
      this.log.info({ lease: this.#leaseName() }, "released the leader lease");
    } catch (error) {
      this.log.warn({ lease: this.#leaseName(), error }, "could not release the leader lease");
    }
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { identity, leaseDurationMs } = this.options;
    const now = new Date();
    const leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
    try {
      const lease = await this.#get(signal);
      if (lease === undefined) {
        await this.client.create<Lease>(
          resourceTypes.lease,
          {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name: this.options.name, namespace: this.options.namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: microTime(now),
              renewTime: microTime(now),
              leaseTransitions: 0,
            },
          },
          { signal },
        );
        return true;
      }
      const spec = lease.spec ?? {};
      const record = JSON.stringify(spec);
      if (record !== this.#observedRecord) {
        this.#observedRecord = record;
        this.#observedAt = Date.now();
      }
      const holder = spec.holderIdentity ?? "";
      const heldByOther = holder !== "" && holder !== identity;
      const expired = Date.now() > this.#observedAt + (spec.leaseDurationSeconds ?? 0) * 1000;
      if (heldByOther && !expired) return false;

      const taking = holder !== identity;
      await this.client.update<Lease>(
        resourceTypes.lease,
        {
          ...lease,
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: taking ? microTime(now) : spec.acquireTime,
            renewTime: microTime(now),
            leaseTransitions: (spec.leaseTransitions ?? 0) + (taking && holder !== "" ? 1 : 0),
          },
        },
        { signal },
      );
      return true;
    } catch (error) {
      if (!isConflict(error)) this.log.warn({ lease: this.#leaseName(), error }, "lease update failed");
      return false;
    }
  }

  #get(signal?: AbortSignal): Promise<Lease | undefined> {
    return this.client.get<Lease>(resourceTypes.lease, this.options.name, this.options.namespace, { signal });
  }

  #setLeader(leading: boolean): void {
    if (this.#isLeader === leading) return;
    this.#isLeader = leading;
    this.onLeadershipChange(leading);
  }

  #leaseName(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }
}
