// One open administrative connection per DataStore, shared by every tenant reconcile; reopened when the
// DataStore or its credentials change.
import { createHash } from "node:crypto";
import type { Logger } from "../runtime/logger.js";
import { DataStoreError, type DataStoreConnection, type DataStoreConnectionConfig } from "./driver.js";
import { openEtcdConnection } from "./etcd.js";

type Opener = (config: DataStoreConnectionConfig) => DataStoreConnection;

const openers: Partial<Record<DataStoreConnectionConfig["driver"], Opener>> = {
  etcd: (config) => openEtcdConnection(config),
};

export class DataStoreConnections {
  readonly #open = new Map<string, { fingerprint: string; connection: DataStoreConnection }>();

  constructor(private readonly log: Logger) {}

  get(config: DataStoreConnectionConfig): DataStoreConnection {
    const fingerprint = createHash("sha256").update(JSON.stringify(config)).digest("hex");
    const current = this.#open.get(config.name);
    if (current?.fingerprint === fingerprint) return current.connection;
    if (current !== undefined) this.#closeQuietly(config.name, current.connection);
    const opener = openers[config.driver];
    if (opener === undefined) {
      throw new DataStoreError(config.name, "InvalidConfiguration", `the ${config.driver} driver is not available yet`);
    }
    const connection = opener(config);
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
