// The PostgreSQL driver (kine's backend): a tenant is a database (`schema`) owned by a login role (`user`) with a
// password, which kine uses. Nobody else may connect to that database: PUBLIC's CONNECT privilege
// is revoked, so one tenant's credentials do not even open another tenant's database.
//
// Tenants choose their names (spec.dataStoreSchema, spec.dataStoreUsername), so the driver only ever takes over,
// changes or removes a database or role that is this tenant's: a database owned by the tenant's role, and a role
// that this driver created (marked by a comment) or that owns the tenant's database, owns no other database and has
// no administrative attribute. Anything else of that name is refused by provision and left alone by teardown.
import { isIP } from "node:net";
import {
  Client,
  type ClientConfig,
  DatabaseError,
  escapeIdentifier,
  escapeLiteral,
  Pool,
  type PoolClient,
  type QueryConfig,
} from "pg";
import { checkedEndpoints, checkedTls, invalidConfiguration } from "./config-checks.js";
import type { DataStoreConnection, DataStoreConnectionConfig, TenantStorage } from "./driver.js";
import { DriverErrors } from "./driver-errors.js";
import {
  CLIENT_CERTIFICATE_REJECTED,
  type Diagnosis,
  messageOf,
  isNetworkError,
  SERVER_CERTIFICATE_REJECTED,
} from "./failures.js";

export const DEFAULT_POSTGRES_TIMEOUT_MS = 5_000;

export interface PostgresConnectionOptions {
  /** Deadline of connecting and of every statement; a server silent this long counts as unreachable. */
  readonly timeoutMs?: number;
}

/** PostgreSQL's NAMEDATALEN - 1: it silently truncates longer identifiers. */
export const MAX_IDENTIFIER_BYTES = 63;

/** The comment on every role this driver creates, so that it never adopts someone else's role of the same name. */
export const TENANT_ROLE_COMMENT = "Kamaji tenant control plane storage user";

const RESERVED_DATABASES = ["postgres", "template0", "template1"];
/** `public` and `none` are reserved by PostgreSQL itself; `postgres` is the conventional superuser. */
const RESERVED_ROLES = ["postgres", "public", "none"];

/** `name` as an SQL identifier: always double-quoted, inner quotes doubled, so any name is taken literally. */
export function quoteIdentifier(name: string): string {
  return escapeIdentifier(name);
}

/**
 * `value` as an SQL string literal, for the statements that cannot take bound parameters (CREATE/ALTER ROLE …
 * PASSWORD): quotes doubled, and with backslashes the E'' form with them doubled, so the value is the same whatever
 * standard_conforming_strings says.
 */
export function quoteLiteral(value: string): string {
  return escapeLiteral(value);
}

function identifierProblem(what: string, name: string): string | undefined {
  if (name === "") return `the ${what} is empty`;
  if (name.includes("\0")) return `the ${what} contains a NUL character`;
  if (Buffer.from(name, "utf8").toString("utf8") !== name) return `the ${what} is not valid Unicode`;
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > MAX_IDENTIFIER_BYTES) {
    return `the ${what} "${name}" is ${bytes} bytes long, over PostgreSQL's ${MAX_IDENTIFIER_BYTES}: PostgreSQL would silently truncate it, so two long names could collide`;
  }
  return undefined;
}

/**
 * Why the tenant's names cannot be used on PostgreSQL, or undefined. Quotes, semicolons, backslashes, spaces, dots
 * and any Unicode are fine (identifiers are always quoted). Refused: names PostgreSQL would truncate or cannot
 * store, the built-in databases, roles PostgreSQL reserves (`pg_*`, `public`, `none`), and the administrators
 * (`postgres` and `adminUser`), whose password provision would change and whom teardown would drop.
 */
export function postgresNameProblem(tenant: TenantStorage, adminUser: string): string | undefined {
  const problem = identifierProblem("schema", tenant.schema) ?? identifierProblem("user", tenant.user);
  if (problem !== undefined) return problem;
  if (RESERVED_DATABASES.includes(tenant.schema)) {
    return `the schema may not be "${tenant.schema}", a database PostgreSQL itself uses`;
  }
  if (tenant.user === adminUser) return `the user may not be "${tenant.user}", the DataStore administrator`;
  if (RESERVED_ROLES.includes(tenant.user) || tenant.user.startsWith("pg_")) {
    return `the user may not be "${tenant.user}", a role name PostgreSQL reserves or its administrator`;
  }
  return undefined;
}

/** Why `password` cannot be a tenant's password: PostgreSQL stores no password for "", and a NUL ends the text. */
function passwordProblem(password: string): string | undefined {
  if (password === "") return "the password is empty, which PostgreSQL takes as no password";
  if (password.includes("\0")) return "the password contains a NUL character";
  return undefined;
}

/** pg's own messages for a connection or query that timed out, and for a connection the server closed. */
const TIMED_OUT =
  /^(Connection terminated due to connection timeout|timeout exceeded when trying to connect|Query read timeout)/;
const CONNECTION_LOST = /^Connection terminated/;
/** pg's messages for an answer no PostgreSQL server gives, to the TLS request or to the startup message. */
const NOT_POSTGRES = /^(There was an error establishing an SSL connection|received invalid response)/;
/** SQLSTATEs of refused credentials (28P01, 28000) and of a missing privilege (42501). */
const UNAUTHORIZED_SQLSTATES = new Set(["28P01", "28000", "42501"]);
/** The server is starting up, shutting down or in recovery. */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03"]);

function diagnose(error: unknown, timeoutMs: number): Diagnosis {
  const message = messageOf(error);
  if (NOT_POSTGRES.test(message)) {
    return {
      reason: "InvalidConfiguration",
      detail: `the server does not speak PostgreSQL's protocol, is it a PostgreSQL server? (${message})`,
    };
  }
  if (error instanceof DatabaseError) {
    const detail = `${message} (SQLSTATE ${error.code ?? "unknown"})${error.detail ? `: ${error.detail}` : ""}`;
    if (error.code !== undefined && UNAUTHORIZED_SQLSTATES.has(error.code)) return { reason: "Unauthorized", detail };
    if (error.code !== undefined && UNAVAILABLE_SQLSTATES.has(error.code)) return { reason: "Unreachable", detail };
    return { reason: "OperationFailed", detail };
  }
  if (message === "The server does not support SSL connections") {
    return {
      reason: "Unreachable",
      detail: "the server does not accept TLS connections, but the DataStore has a TLS configuration",
    };
  }
  if (SERVER_CERTIFICATE_REJECTED.test(message)) {
    return {
      reason: "Unauthorized",
      detail: `certificate verification failed: the server's certificate does not verify against the DataStore CA: ${message}`,
    };
  }
  if (CLIENT_CERTIFICATE_REJECTED.test(message)) {
    return { reason: "Unauthorized", detail: `the server refused the administrator client certificate: ${message}` };
  }
  if (TIMED_OUT.test(message)) {
    return { reason: "Unreachable", detail: `no answer within ${timeoutMs / 1000} s (${message})` };
  }
  if (isNetworkError(error) || CONNECTION_LOST.test(message)) {
    return { reason: "Unreachable", detail: message };
  }
  return { reason: "OperationFailed", detail: message };
}

/** Opens an administrative connection (lazily: the first call connects). Throws on an unusable configuration. */
export function openPostgresConnection(
  config: DataStoreConnectionConfig,
  options: PostgresConnectionOptions = {},
): DataStoreConnection {
  // Only the first endpoint, as kine does.
  const [address] = checkedEndpoints(config, "PostgreSQL");
  const endpoint = address.endpoint;
  const auth = config.basicAuth;
  if (auth === undefined || auth.username === "") {
    throw invalidConfiguration(config, "PostgreSQL needs basicAuth: the administrator's user name and password");
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_POSTGRES_TIMEOUT_MS;
  const client: ClientConfig = {
    host: address.host,
    port: address.port,
    user: auth.username,
    password: auth.password,
    database: "postgres",
    application_name: "kamaji",
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    // A little later than the server's own statement timeout, so a live server reports why it was slow.
    query_timeout: timeoutMs + 1_000,
    ssl: tlsOptions(config, address.host),
  };
  return new PostgresConnection(config.name, endpoint, auth.username, timeoutMs, client);
}

function tlsOptions(config: DataStoreConnectionConfig, host: string): ClientConfig["ssl"] {
  const tls = checkedTls(config, "administrator client");
  if (tls === undefined) return false;
  return {
    ...tls,
    rejectUnauthorized: true,
    // TLS forbids an IP address as SNI; pg then verifies the certificate against the IP itself.
    ...(isIP(host) === 0 ? { servername: host } : {}),
  };
}

/** pg reads `queryMode`; @types/pg does not declare it. */
interface ExtendedQuery extends QueryConfig {
  readonly queryMode: "extended";
}

type Run = <Row extends Record<string, unknown>>(step: string, text: string, values?: unknown[]) => Promise<Row[]>;

/** What exists under the tenant's names, from one catalog query. */
interface TenantState {
  /** The owner of the tenant's database; undefined when there is no such database. */
  readonly databaseOwner: string | undefined;
  readonly publicCanConnect: boolean;
  readonly role:
    | {
        readonly privileged: boolean;
        readonly marked: boolean;
        readonly ownsOtherDatabases: boolean;
        readonly canCreate: boolean;
      }
    | undefined;
}

const STATE_QUERY = `
  SELECT pg_get_userbyid(d.datdba) AS database_owner,
         coalesce(has_database_privilege('public', d.oid, 'CONNECT'), false) AS public_can_connect,
         r.oid IS NOT NULL AS role_exists,
         coalesce(r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls, false)
           AS role_privileged,
         coalesce(shobj_description(r.oid, 'pg_authid') = $3, false) AS role_marked,
         EXISTS (SELECT FROM pg_database o WHERE o.datdba = r.oid AND o.datname <> $1) AS role_owns_other_databases,
         coalesce(has_database_privilege(r.oid, d.oid, 'CREATE'), false) AS role_can_create
    FROM (VALUES (1)) AS one
    LEFT JOIN pg_database d ON d.datname = $1
    LEFT JOIN pg_roles r ON r.rolname = $2`;

interface StateRow extends Record<string, unknown> {
  database_owner: string | null;
  public_can_connect: boolean;
  role_exists: boolean;
  role_privileged: boolean;
  role_marked: boolean;
  role_owns_other_databases: boolean;
  role_can_create: boolean;
}

class PostgresConnection implements DataStoreConnection {
  private readonly pool: Pool;
  private readonly errors: DriverErrors;

  constructor(
    dataStore: string,
    endpoint: string,
    adminUser: string,
    timeoutMs: number,
    private readonly client: ClientConfig,
  ) {
    this.errors = new DriverErrors({
      dataStore,
      server: endpoint,
      diagnose: (error) => diagnose(error, timeoutMs),
      tenantNameProblem: (tenant) => postgresNameProblem(tenant, adminUser),
    });
    // Administrative work is light; the server's connection slots are for the tenants' kine.
    this.pool = new Pool({ ...client, max: 4 });
    // An idle connection that breaks (server restart) is dropped by the pool; the next call opens a new one.
    this.pool.on("error", () => undefined);
  }

  async check(): Promise<void> {
    await this.withAdminDatabase("check", (run) => run("run SELECT 1", "SELECT 1"));
  }

  async provision(tenant: TenantStorage): Promise<void> {
    const context = this.errors.tenantContext("provision", tenant);
    const password = passwordProblem(tenant.password);
    if (password !== undefined) throw this.errors.invalid(context, password);
    const database = quoteIdentifier(tenant.schema);
    const user = quoteIdentifier(tenant.user);
    await this.withAdminDatabase(context, async (run) => {
      const state = await this.state(run, tenant);
      const refusal = this.foreignProblem(state, tenant);
      if (refusal !== undefined) throw this.errors.invalid(context, refusal);
      // Every time, so a regenerated password takes effect. The comment goes in the same transaction as the role.
      const setPassword =
        state.role === undefined
          ? `CREATE ROLE ${user} LOGIN PASSWORD ${quoteLiteral(tenant.password)}`
          : `ALTER ROLE ${user} WITH LOGIN PASSWORD ${quoteLiteral(tenant.password)}`;
      await run(`${state.role === undefined ? "creating" : "updating"} role "${tenant.user}"`, "BEGIN");
      await run(`setting the password of role "${tenant.user}"`, setPassword);
      await run(
        `marking role "${tenant.user}" as a tenant's`,
        `COMMENT ON ROLE ${user} IS ${quoteLiteral(TENANT_ROLE_COMMENT)}`,
      );
      await run(`committing role "${tenant.user}"`, "COMMIT");
      // Created owned by the tenant in one statement: no moment where it would look like someone else's.
      if (state.databaseOwner === undefined) {
        await run(`creating database "${tenant.schema}"`, `CREATE DATABASE ${database} OWNER ${user}`);
      }
      await run(
        `revoking PUBLIC's CONNECT on database "${tenant.schema}"`,
        `REVOKE CONNECT ON DATABASE ${database} FROM PUBLIC`,
      );
      await run(
        `granting CONNECT, CREATE on database "${tenant.schema}" to "${tenant.user}"`,
        `GRANT CONNECT, CREATE ON DATABASE ${database} TO ${user}`,
      );
    });
    await this.withDatabase(context, tenant.schema, async (run) => {
      // kine creates its table as the tenant; a table the administrator made (a migration) is handed over. Only
      // when needed: the change locks the table kine is using.
      const owner = await this.kineTableOwner(run);
      if (owner !== undefined && owner !== tenant.user) {
        await run(`handing table kine to "${tenant.user}"`, `ALTER TABLE public.kine OWNER TO ${user}`);
      }
    });
  }

  async isProvisioned(tenant: TenantStorage): Promise<boolean> {
    const context = this.errors.tenantContext("provisioning check", tenant);
    const state = await this.withAdminDatabase(context, (run) => this.state(run, tenant));
    const ready =
      state.databaseOwner === tenant.user &&
      !state.publicCanConnect &&
      state.role !== undefined &&
      state.role.marked &&
      state.role.canCreate &&
      this.foreignProblem(state, tenant) === undefined;
    if (!ready) return false;
    const kineOwner = await this.withDatabase(context, tenant.schema, (run) => this.kineTableOwner(run));
    return kineOwner === undefined || kineOwner === tenant.user;
  }

  async teardown(tenant: TenantStorage): Promise<void> {
    const context = this.errors.tenantContext("teardown", tenant);
    await this.withAdminDatabase(context, async (run) => {
      const state = await this.state(run, tenant);
      // Upstream first revokes the tenant's privileges and hands the database back to the administrator. Dropping
      // removes the privileges anyway and needs the same right as the hand-over (ownership, or membership in the
      // owner), and an interrupted hand-over would leave a database that no longer looks like the tenant's: so it
      // is dropped as it is. FORCE ends the tenant's sessions (its kine).
      if (state.databaseOwner === tenant.user) {
        await run(
          `dropping database "${tenant.schema}"`,
          `DROP DATABASE IF EXISTS ${quoteIdentifier(tenant.schema)} WITH (FORCE)`,
        );
      }
      if (state.role !== undefined && this.roleProblem(state, tenant) === undefined) {
        await run(`dropping role "${tenant.user}"`, `DROP ROLE IF EXISTS ${quoteIdentifier(tenant.user)}`);
      }
    });
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  private async state(run: Run, tenant: TenantStorage): Promise<TenantState> {
    const [row] = await run<StateRow>(
      `reading the catalog for database "${tenant.schema}" and role "${tenant.user}"`,
      STATE_QUERY,
      [tenant.schema, tenant.user, TENANT_ROLE_COMMENT],
    );
    if (row === undefined) throw new Error("the catalog query returned no row");
    return {
      databaseOwner: row.database_owner ?? undefined,
      publicCanConnect: row.public_can_connect,
      role: row.role_exists
        ? {
            privileged: row.role_privileged,
            marked: row.role_marked,
            ownsOtherDatabases: row.role_owns_other_databases,
            canCreate: row.role_can_create,
          }
        : undefined,
    };
  }

  /** Why the database or role under the tenant's names is someone else's, or undefined. */
  private foreignProblem(state: TenantState, tenant: TenantStorage): string | undefined {
    if (state.databaseOwner !== undefined && state.databaseOwner !== tenant.user) {
      return `database "${tenant.schema}" already exists and belongs to "${state.databaseOwner}", not to the tenant's user`;
    }
    return this.roleProblem(state, tenant);
  }

  private roleProblem(state: TenantState, tenant: TenantStorage): string | undefined {
    const role = state.role;
    if (role === undefined) return undefined;
    if (role.privileged) {
      return `role "${tenant.user}" already exists with administrative attributes (superuser, createrole, createdb, replication or bypassrls)`;
    }
    if (role.ownsOtherDatabases) return `role "${tenant.user}" already exists and owns other databases`;
    if (!role.marked && state.databaseOwner !== tenant.user) {
      return `role "${tenant.user}" already exists and was not created for a tenant`;
    }
    return undefined;
  }

  private async kineTableOwner(run: Run): Promise<string | undefined> {
    const [row] = await run<{ owner: string }>(
      "looking for table kine",
      `SELECT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = 'kine' AND c.relkind IN ('r', 'p')`,
    );
    return row?.owner;
  }

  /** Runs `work` on a pooled connection to the `postgres` database; a connection that failed is not reused. */
  private async withAdminDatabase<T>(context: string, work: (run: Run) => Promise<T>): Promise<T> {
    let connection: PoolClient;
    try {
      connection = await this.pool.connect();
    } catch (error) {
      throw this.errors.failure(context, 'connecting to database "postgres"', error);
    }
    let broken: unknown;
    try {
      return await work(this.runner(context, connection, (error) => (broken = error)));
    } finally {
      connection.release(broken === undefined ? undefined : (broken as Error));
    }
  }

  /** Runs `work` on a new connection to `database`, closed afterwards. */
  private async withDatabase<T>(context: string, database: string, work: (run: Run) => Promise<T>): Promise<T> {
    const connection = new Client({ ...this.client, database });
    // Errors after connecting (the server going away) also reject the running query; this keeps them from
    // becoming uncaught.
    connection.on("error", () => undefined);
    try {
      await connection.connect();
    } catch (error) {
      throw this.errors.failure(context, `connecting to database "${database}"`, error);
    }
    try {
      return await work(this.runner(context, connection, () => undefined));
    } finally {
      await connection.end().catch(() => undefined);
    }
  }

  private runner(context: string, connection: Client | PoolClient, onError: (error: unknown) => void): Run {
    return async <Row extends Record<string, unknown>>(step: string, text: string, values: unknown[] = []) => {
      try {
        // The extended protocol takes one statement per call: even a quoting mistake could not append another.
        const query: ExtendedQuery = { text, values, queryMode: "extended" };
        return (await connection.query<Row>(query)).rows;
      } catch (error) {
        onError(error);
        throw this.errors.failure(context, step, error);
      }
    };
  }
}
