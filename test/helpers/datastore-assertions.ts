// What the DataStore driver tests assert about the drivers' failures: a DataStoreError's DataStore, reason and
// message, and how long a call took to fail.
import assert from "node:assert/strict";
import { DataStoreError, type DataStoreErrorReason } from "../../src/datastore/driver.js";

/** An assertion that a promise rejects with a DataStoreError about `dataStore`, of a reason, matching every pattern. */
export function dataStoreErrorAssertion(dataStore: string) {
  return async (promise: Promise<unknown>, reason: DataStoreErrorReason, ...patterns: RegExp[]): Promise<void> => {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof DataStoreError, `not a DataStoreError: ${String(error)}`);
      assert.equal(error.reason, reason, error.message);
      assert.equal(error.dataStore, dataStore);
      for (const pattern of patterns) assert.match(error.message, pattern);
      return true;
    });
  };
}

/** For assert.throws: the error is an InvalidConfiguration DataStoreError whose message matches `pattern`. */
export function invalidConfiguration(pattern: RegExp): (error: unknown) => boolean {
  return (error) =>
    error instanceof DataStoreError && error.reason === "InvalidConfiguration" && pattern.test(error.message);
}

/** How long `run` took, in milliseconds; its failures (assertions) propagate. */
export async function elapsedMs(run: () => Promise<unknown>): Promise<number> {
  const start = Date.now();
  await run();
  return Date.now() - start;
}
