// The DataStoreErrors every driver throws from an open connection, worded alike: "<operation> of tenant …: <step>
// failed, <server> unreachable: <detail>". A driver brings only its `diagnose`, its reading of its client library's
// errors, and its checks of a tenant's names.
import { DataStoreError, type TenantStorage } from "./driver.js";
import type { Diagnosis } from "./failures.js";

/** A driver's reading of an error its client library raised. */
export type Diagnose = (error: unknown) => Diagnosis;

export interface DriverErrorsOptions {
  readonly dataStore: string;
  /** The endpoint or endpoints the driver calls, as messages name them. */
  readonly server: string;
  /** Said in parentheses after "<server> unreachable", such as the deadline. */
  readonly unreachableNote?: string;
  readonly diagnose: Diagnose;
  /**
   * Why the tenant's names cannot be used on this server, or undefined; checked by `tenantContext`. A driver that
   * needs the server's answer for this checks later and throws `invalid`.
   */
  readonly tenantNameProblem?: (tenant: TenantStorage) => string | undefined;
  /** How messages name a tenant; by default by its schema and user. */
  readonly tenantName?: (tenant: TenantStorage) => string;
}

const schemaAndUser = (tenant: TenantStorage) => `schema "${tenant.schema}" (user "${tenant.user}")`;

/** The errors of one administrative connection. */
export class DriverErrors {
  constructor(private readonly options: DriverErrorsOptions) {}

  /** How messages name `operation` on `tenant`; throws an InvalidConfiguration error when its names cannot be used. */
  tenantContext(operation: string, tenant: TenantStorage): string {
    const { tenantName = schemaAndUser, tenantNameProblem } = this.options;
    const context = `${operation} of tenant ${tenantName(tenant)}`;
    const problem = tenantNameProblem?.(tenant);
    if (problem === undefined) return context;
    throw this.invalid(context, problem);
  }

  /** The operation in `context` cannot go ahead because of `problem`, which the DataStore or the tenant must fix. */
  invalid(context: string, problem: string, cause?: unknown): DataStoreError {
    const options = cause === undefined ? undefined : { cause };
    return new DataStoreError(this.options.dataStore, "InvalidConfiguration", `${context}: ${problem}`, options);
  }

  /** `step` of the operation in `context` failed with `error`, which the driver diagnoses unless told `diagnosis`. */
  failure(context: string, step: string, error: unknown, diagnosis = this.options.diagnose(error)): DataStoreError {
    const { dataStore, server, unreachableNote } = this.options;
    const { reason, detail } = diagnosis;
    const note = unreachableNote === undefined ? "" : ` (${unreachableNote})`;
    const where = reason === "Unreachable" ? `${server} unreachable${note}` : `on ${server}`;
    return new DataStoreError(dataStore, reason, `${context}: ${step} failed, ${where}: ${detail}`, { cause: error });
  }
}
