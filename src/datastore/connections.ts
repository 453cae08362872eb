// One open administrative connection per DataStore, shared by every tenant reconcile; reopened when the
// DataStore or its credentials change.
import { createHash } from "node:crypto";
import type { Logger } from "../runtime/logger.js";
import { type DataStoreConnection, type DataStoreConnectionConfig } from "./driver.js";
import { openEtcdConnection } from "./etcd.js";
import { openMysqlConnection } from "./mysql.js";
import { openNatsConnection } from "./nats.js";
import { openPostgresConnection } from "./postgresql.js";

type Opener = (config: DataStoreConnectionConfig) => DataStoreConnection;

const openers: Record<DataStoreConnectionConfig["driver"], Opener> = {
  etcd: (config) => openEtcdConnection(config),
  PostgreSQL: (config) => openPostgresConnection(config),
  MySQL: (config) => openMysqlConnection(config),
  NATS: (config) => openNatsConnection(config),
};

/** A new administrative connection by the driver the configuration names, with that driver's default options. */
export const openDataStoreConnection: Opener = (config) => openers[config.driver](config);

export class DataStoreConnections {
  readonly #open = new Map<string, { fingerprint: string; connection: DataStoreConnection }>();

  constructor(private readonly log: Logger) {}

  /**
   * The DataStore's connection; with `signal`, every call of it is abandoned when the signal fires (see
   * abandonedOnAbort).
   */
  get(config: DataStoreConnectionConfig, signal?: AbortSignal): DataStoreConnection {
    const connection = this.#shared(config);
    return signal === undefined ? connection : abandonedOnAbort(connection, signal);
  }

  #shared(config: DataStoreConnectionConfig): DataStoreConnection {
    const fingerprint = createHash("sha256").update(JSON.stringify(config)).digest("hex");
    const current = this.#open.get(config.name);
    if (current?.fingerprint === fingerprint) return current.connection;
    if (current !== undefined) this.#closeQuietly(config.name, current.connection);
    const connection = openDataStoreConnection(config);
    this.#open.set(config.name, { fingerprint, connection });
    return connection;
  }

  /** Closes the connection of a DataStore that was deleted. */
  forget(name: string): void {
    const current = this.#open.get(name);
    if (current === undefined) return;
    this.#open.delete(name);
    this.#closeQuietly(name, current.connection);
  }

  async closeAll(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    await Promise.allSettled(open.map(({ connection }) => connection.close()));
  }

  #closeQuietly(name: string, connection: DataStoreConnection): void {
    connection.close().catch((error: unknown) => {
      this.log.warn({ dataStore: name, error }, "closing a datastore connection failed");
    });
  }
}

/**
 * `connection` with each call rejected as soon as `signal` fires: a stopped or deposed reconcile stops waiting on a
 * hung datastore at once. The drivers' clients cannot recall a statement already sent, so one may still complete;
 * every operation is idempotent and the next leader runs the same one, so a late completion changes nothing. Closing
 * is left to the shared connection's owner.
 */
export function abandonedOnAbort(connection: DataStoreConnection, signal: AbortSignal): DataStoreConnection {
  const bound =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (signal.aborted) return Promise.reject(abandoned(signal));
      return new Promise<R>((resolve, reject) => {
        const onAbort = () => {
          reject(abandoned(signal));
        };
        signal.addEventListener("abort", onAbort, { once: true });
        call(...args)
          .then(resolve, reject)
          .finally(() => {
            signal.removeEventListener("abort", onAbort);
          });
      });
    };
  return {
    check: bound(() => connection.check()),
    provision: bound((tenant) => connection.provision(tenant)),
    isProvisioned: bound((tenant) => connection.isProvisioned(tenant)),
    teardown: bound((tenant) => connection.teardown(tenant)),
    close: () => Promise.resolve(),
  };
}

const abandoned = (signal: AbortSignal): Error =>
  new Error("datastore call abandoned: the reconcile was stopped", { cause: signal.reason });
