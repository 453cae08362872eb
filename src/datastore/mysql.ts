// The MySQL driver (MariaDB and MySQL; reference §5, kine's backend): a tenant is a database (`schema`) and a user
// `user`@`%` with a password, granted on that database only what kine needs: SELECT, INSERT, UPDATE, DELETE, CREATE,
// ALTER, INDEX.
//
// Names are never bound parameters in DDL: identifiers are backtick-quoted, and the one string literal (the password)
// is quoted for a session that has NO_BACKSLASH_ESCAPES, set right after connecting, so that only `'` is special in it
// whatever the server's default sql_mode. Values in SELECTs are bound on the server (prepared statements). mysql2's
// query() without values sends the text as it is (no `?` or `:name` substitution; named placeholders are off).
import { createConnection as connectTcp, type Socket } from "node:net";
import mysql, { type Connection, type ConnectionOptions, type RowDataPacket } from "mysql2/promise";
import { checkedEndpoints, checkedTls, invalidConfiguration } from "./config-checks.js";
import type { DataStoreConnection, DataStoreConnectionConfig, DataStoreError, TenantStorage } from "./driver.js";
import { DriverErrors } from "./driver-errors.js";
import {
  CLIENT_CERTIFICATE_REJECTED,
  DeadlineExceeded,
  type Diagnosis,
  errorCode,
  messageOf,
  isNetworkError,
  SERVER_CERTIFICATE_REJECTED,
  withDeadline,
} from "./failures.js";

export const DEFAULT_MYSQL_TIMEOUT_MS = 5_000;

export interface MysqlConnectionOptions {
  /** Deadline of connecting and of every statement; a server silent this long counts as unreachable. */
  readonly timeoutMs?: number;
}

/** MySQL's and MariaDB's limit on database names, in characters. */
export const MAX_DATABASE_NAME_LENGTH = 64;

const SYSTEM_SCHEMAS = ["mysql", "information_schema", "performance_schema", "sys"];
/** The built-in administrator and the system accounts of MariaDB and MySQL 8. */
const RESERVED_USERS = ["root", "mariadb.sys", "mysql.sys", "mysql.session", "mysql.infoschema"];
/** What kine needs on its database, as GRANT takes the privileges; mysql.db has a `<Name>_priv` column for each. */
const TENANT_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "INDEX"];

const ADD_NO_BACKSLASH_ESCAPES =
  "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'NO_BACKSLASH_ESCAPES')";
/** The session's sql_mode (to confirm the above) and the width of mysql.user's User column: 32 on MySQL 5.7 and 8, 128 on MariaDB 10.4+. */
const SESSION_QUERY = `
  SELECT @@SESSION.sql_mode AS sql_mode,
         (SELECT CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS
           WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME = 'user' AND COLUMN_NAME = 'User') AS max_user_length`;
const DATABASE_QUERY = "SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = ?";
const USER_QUERY = "SELECT User FROM mysql.user WHERE User = ? AND Host = '%' LIMIT 1";
const ANY_GRANT_QUERY = "SELECT 1 FROM mysql.db WHERE User = ? AND Db = ? AND Host = '%' LIMIT 1";
const FULL_GRANT_QUERY = `SELECT 1 FROM mysql.db WHERE User = ? AND Db = ? AND Host = '%' AND ${TENANT_PRIVILEGES.map(
  (privilege) => `${privilege.charAt(0)}${privilege.slice(1).toLowerCase()}_priv = 'Y'`,
).join(" AND ")} LIMIT 1`;

/** `name` as one identifier: backtick-quoted, inner backticks doubled; a dot stays part of the name. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}

/**
 * The database as GRANT and REVOKE take it and mysql.db stores it: there `_` and `%` are wildcards (a grant on `a_b`
 * would cover `aXb`) and `\` escapes, so all three are escaped with `\`.
 */
export function grantDatabaseName(schema: string): string {
  return schema.replace(/[\\_%]/g, "\\$&");
}

/** The tenant's account: `user`@`%`. */
export function quoteAccount(user: string): string {
  return `${quoteIdentifier(user)}@'%'`;
}

/**
 * `value` as a string literal for a session with NO_BACKSLASH_ESCAPES (the only kind this driver runs): then only
 * `'` is special, and doubling it is the whole escaping. Without that mode a `\` would escape the next character.
 */
export function passwordLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function identifierProblem(what: "schema" | "user", name: string): string | undefined {
  if (name === "") return `the ${what} is empty`;
  if (name.includes("\0")) return `the ${what} contains a NUL character`;
  if (Buffer.from(name, "utf8").toString("utf8") !== name) return `the ${what} is not valid Unicode`;
  if (/[\u{10000}-\u{10FFFF}]/u.test(name)) {
    return `the ${what} "${name}" has a character beyond U+FFFF, which MySQL names (utf8mb3) cannot hold`;
  }
  if (name.endsWith(" ")) return `the ${what} "${name}" ends with a space, which MySQL strips from names`;
  return undefined;
}

/**
 * Why the tenant's names cannot be used on this server, or undefined. Quotes, backticks, backslashes, semicolons,
 * dots and any Unicode of the Basic Multilingual Plane are fine (identifiers are always quoted). Refused:
 * - names MySQL cannot store exactly: NUL, characters beyond U+FFFF, trailing spaces (stripped from user names);
 * - a database name over 64 characters, also once escaped for GRANT (`grantDatabaseName`), and a user name over the
 *   server's `maxUserLength`;
 * - `#mysql50#…`, which older servers read as a raw directory name: `#mysql50#victim` is the database `victim`;
 * - the system schemas, the built-in administrator and system accounts, and the DataStore administrator
 *   (`adminUser`): provision would change their password, teardown would drop them.
 * Lengths are in characters, as MySQL counts them.
 */
export function mysqlNameProblem(tenant: TenantStorage, adminUser: string, maxUserLength: number): string | undefined {
  const problem = identifierProblem("schema", tenant.schema) ?? identifierProblem("user", tenant.user);
  if (problem !== undefined) return problem;
  // Only characters of the Basic Multilingual Plane are left, so UTF-16 length = characters.
  const schemaLength = tenant.schema.length;
  if (schemaLength > MAX_DATABASE_NAME_LENGTH) {
    return `database name "${tenant.schema}" is ${schemaLength} characters; MySQL allows at most ${MAX_DATABASE_NAME_LENGTH}`;
  }
  const grantLength = grantDatabaseName(tenant.schema).length;
  if (grantLength > MAX_DATABASE_NAME_LENGTH) {
    return `database name "${tenant.schema}" is ${grantLength} characters once "_", "%" and "\\" are escaped for GRANT; MySQL allows at most ${MAX_DATABASE_NAME_LENGTH}`;
  }
  if (tenant.schema.toLowerCase().startsWith("#mysql50#")) {
    return `the schema "${tenant.schema}" starts with "#mysql50#", which names a database directory directly`;
  }
  if (SYSTEM_SCHEMAS.includes(tenant.schema.toLowerCase())) {
    return `the schema may not be "${tenant.schema}", a database MySQL itself uses`;
  }
  const userLength = tenant.user.length;
  if (userLength > maxUserLength) {
    return `user name "${tenant.user}" is ${userLength} characters; this MySQL server allows at most ${maxUserLength}`;
  }
  if (tenant.user === adminUser) return `the user may not be "${tenant.user}", the DataStore administrator`;
  if (RESERVED_USERS.includes(tenant.user)) {
    return `the user may not be "${tenant.user}", a MySQL administrator or system account`;
  }
  return undefined;
}

/** Why `password` cannot be a tenant's password, or undefined. */
function passwordProblem(password: string): string | undefined {
  if (password === "") return "the password is empty, which would let anyone log in as the tenant";
  if (password.includes("\0")) return "the password contains a NUL character";
  // A lone surrogate would go over the wire as U+FFFD: the server would keep another password than ours.
  if (Buffer.from(password, "utf8").toString("utf8") !== password) return "the password is not valid Unicode";
  return undefined;
}

/**
 * The TCP connection mysql2 upgrades to TLS. Node checks the server's certificate against the TLS `servername`,
 * else the socket's `_host`, else "localhost". mysql2 gives no servername for an IP address (TLS forbids an IP as
 * SNI), and Node records `_host` only after a DNS lookup: without this, an IP endpoint's certificate would be
 * checked against "localhost" (an IP-only certificate refused, a "localhost" one accepted for any server).
 */
function connectSocket(host: string, port: number): Socket {
  const socket = connectTcp({ host, port, noDelay: true });
  Object.assign(socket, { _host: host });
  return socket;
}

/** A step of an operation failed; the operation adds its context. */
class StepFailure extends Error {
  constructor(
    readonly step: string,
    readonly failure: unknown,
  ) {
    super(step, { cause: failure });
  }
}

/** mysql2's codes for a connection that broke, and the server's for too many connections or its shutting down. */
const CONNECTION_ERRORS = new Set(["PROTOCOL_CONNECTION_LOST", "ER_CON_COUNT_ERROR", "ER_SERVER_SHUTDOWN"]);
/** Refused credentials, a missing privilege, or a client host the server does not admit. */
const UNAUTHORIZED_ERRORS = new Set([
  "ER_ACCESS_DENIED_ERROR",
  "ER_ACCESS_DENIED_NO_PASSWORD_ERROR",
  "ER_DBACCESS_DENIED_ERROR",
  "ER_TABLEACCESS_DENIED_ERROR",
  "ER_COLUMNACCESS_DENIED_ERROR",
  "ER_SPECIFIC_ACCESS_DENIED_ERROR",
  "ER_CANT_CREATE_USER_WITH_GRANT",
  "ER_HOST_NOT_PRIVILEGED",
  "ER_MUST_CHANGE_PASSWORD_LOGIN",
]);
/** An error the server reported in answer to a statement: the connection is still in a known state after it. */
function isServerError(error: unknown): boolean {
  return typeof (error as { sqlState?: unknown } | undefined)?.sqlState === "string";
}

function diagnose(error: unknown, timeoutMs: number, tls: boolean): Diagnosis {
  const message = messageOf(error);
  if (error instanceof DeadlineExceeded) {
    return { reason: "Unreachable", detail: `no answer within ${timeoutMs / 1000} s` };
  }
  const code = errorCode(error);
  if (code === "HANDSHAKE_NO_SSL_SUPPORT") {
    return {
      reason: "Unreachable",
      detail: "the server does not support TLS, but the DataStore has a TLS configuration",
    };
  }
  // MySQL says so; MariaDB answers "access denied" instead (below).
  if (code === "ER_SECURE_TRANSPORT_REQUIRED") {
    return {
      reason: "InvalidConfiguration",
      detail: `the server requires TLS, but the DataStore has no TLS configuration: ${message}`,
    };
  }
  if (SERVER_CERTIFICATE_REJECTED.test(message)) {
    return {
      reason: "Unauthorized",
      detail: `certificate verification failed: the server's certificate does not verify against the DataStore CA for this endpoint: ${message}`,
    };
  }
  if (CLIENT_CERTIFICATE_REJECTED.test(message)) {
    return { reason: "Unauthorized", detail: `the server refused the administrator client certificate: ${message}` };
  }
  if (code === undefined) return { reason: "OperationFailed", detail: message };
  const detail = `${message} (${code})`;
  if (isNetworkError(error) || CONNECTION_ERRORS.has(code)) return { reason: "Unreachable", detail };
  if (code === "ER_ACCESS_DENIED_ERROR" && !tls) {
    return {
      reason: "Unauthorized",
      detail: `${detail}; MariaDB answers so also when it requires TLS, which this DataStore does not configure`,
    };
  }
  if (UNAUTHORIZED_ERRORS.has(code)) return { reason: "Unauthorized", detail };
  return { reason: "OperationFailed", detail };
}

/** Opens an administrative connection (lazily: the first call connects). Throws on an unusable configuration. */
export function openMysqlConnection(
  config: DataStoreConnectionConfig,
  options: MysqlConnectionOptions = {},
): DataStoreConnection {
  // Only the first endpoint: MySQL has no multi-endpoint client protocol, and kine uses the first one too.
  const [address] = checkedEndpoints(config, "MySQL");
  const endpoint = address.endpoint;
  const auth = config.basicAuth;
  if (auth === undefined || auth.username === "") {
    throw invalidConfiguration(config, "MySQL needs basicAuth: the administrator's user name and password");
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_MYSQL_TIMEOUT_MS;
  const connection: ConnectionOptions = {
    host: address.host,
    port: address.port,
    stream: () => connectSocket(address.host, address.port),
    user: auth.username,
    password: auth.password,
    connectTimeout: timeoutMs,
    multipleStatements: false,
    namedPlaceholders: false,
    ...tlsOptions(config),
  };
  return new MysqlConnection(config.name, endpoint, auth.username, timeoutMs, connection);
}

function tlsOptions(config: DataStoreConnectionConfig): Pick<ConnectionOptions, "ssl"> {
  const tls = checkedTls(config, "administrator client");
  if (tls === undefined) return {};
  // verifyIdentity: without it mysql2 checks the chain but not that the certificate names the endpoint.
  return { ssl: { ...tls, rejectUnauthorized: true, verifyIdentity: true } };
}

/** An open administrative session. */
interface Session {
  readonly connection: Connection;
  /** The longest user name this server accepts, read once per connection (when it opens). */
  maxUserLength: number;
  /** Set when the connection broke or timed out: the next call connects afresh. */
  broken: boolean;
}

type Rows = RowDataPacket[];

class MysqlConnection implements DataStoreConnection {
  #session: Promise<Session> | undefined;
  private readonly errors: DriverErrors;

  constructor(
    dataStore: string,
    endpoint: string,
    private readonly adminUser: string,
    private readonly timeoutMs: number,
    private readonly options: ConnectionOptions,
  ) {
    const tls = options.ssl !== undefined;
    // The tenant's names are checked once connected: the longest user name depends on the server.
    this.errors = new DriverErrors({
      dataStore,
      server: endpoint,
      unreachableNote: `deadline ${timeoutMs / 1000} s`,
      diagnose: (error) => diagnose(error, timeoutMs, tls),
    });
  }

  async check(): Promise<void> {
    await this.operate("check", undefined, (session) => this.run(session, "ping", (c) => c.ping()));
  }

  async provision(tenant: TenantStorage): Promise<void> {
    const context = this.errors.tenantContext("provision", tenant);
    const problem = passwordProblem(tenant.password);
    if (problem !== undefined) throw this.errors.invalid(context, problem);
    const database = quoteIdentifier(tenant.schema);
    const account = quoteAccount(tenant.user);
    await this.operate(context, tenant, async (session) => {
      await this.run(session, `create database ${database}`, (c) =>
        c.query(`CREATE DATABASE IF NOT EXISTS ${database}`),
      );
      // Every time, so a regenerated password takes effect.
      const verb = (await this.userExists(session, tenant.user)) ? "ALTER" : "CREATE";
      await this.run(
        session,
        `${verb.toLowerCase()} user ${account} with its password`,
        (c) => c.query(`${verb} USER ${account} IDENTIFIED BY ${passwordLiteral(tenant.password)}`),
        { secret: true },
      );
      const grantDatabase = quoteIdentifier(grantDatabaseName(tenant.schema));
      await this.run(session, `grant on ${grantDatabase}.* to ${account}`, (c) =>
        c.query(`GRANT ${TENANT_PRIVILEGES.join(", ")} ON ${grantDatabase}.* TO ${account}`),
      );
    });
  }

  async isProvisioned(tenant: TenantStorage): Promise<boolean> {
    return this.operate(this.errors.tenantContext("provisioning check", tenant), tenant, async (session) => {
      // The server decides which names are the same database (lower_case_table_names), as it does for CREATE.
      const databases = await this.select(session, `look up database "${tenant.schema}"`, DATABASE_QUERY, [
        tenant.schema,
      ]);
      if (databases.length === 0) return false;
      if (!(await this.userExists(session, tenant.user))) return false;
      const grants = await this.select(session, `read the grants of ${quoteAccount(tenant.user)}`, FULL_GRANT_QUERY, [
        tenant.user,
        grantDatabaseName(tenant.schema),
      ]);
      return grants.length > 0;
    });
  }

  async teardown(tenant: TenantStorage): Promise<void> {
    const database = quoteIdentifier(tenant.schema);
    const grantDatabase = quoteIdentifier(grantDatabaseName(tenant.schema));
    const account = quoteAccount(tenant.user);
    await this.operate(this.errors.tenantContext("teardown", tenant), tenant, async (session) => {
      // REVOKE fails on a grant that does not exist.
      const grants = await this.select(session, `read the grants of ${account}`, ANY_GRANT_QUERY, [
        tenant.user,
        grantDatabaseName(tenant.schema),
      ]);
      if (grants.length > 0) {
        await this.run(session, `revoke on ${grantDatabase}.* from ${account}`, (c) =>
          c.query(`REVOKE ALL PRIVILEGES ON ${grantDatabase}.* FROM ${account}`),
        );
      }
      await this.run(session, `drop database ${database}`, (c) => c.query(`DROP DATABASE IF EXISTS ${database}`));
      await this.run(session, `drop user ${account}`, (c) => c.query(`DROP USER IF EXISTS ${account}`));
    });
  }

  async close(): Promise<void> {
    const pending = this.#session;
    this.#session = undefined;
    const session = await pending?.catch(() => undefined);
    if (session === undefined) return;
    await this.run(session, "disconnect", (c) => c.end()).catch(() => undefined);
    session.connection.destroy();
  }

  /** Runs `work` on the session, after checking the tenant's names; failures become DataStoreErrors in `context`. */
  private async operate<T>(
    context: string,
    tenant: TenantStorage | undefined,
    work: (session: Session) => Promise<T>,
  ): Promise<T> {
    let session: Session;
    try {
      session = await this.session();
    } catch (error) {
      throw this.failure(context, error);
    }
    const problem = tenant && mysqlNameProblem(tenant, this.adminUser, session.maxUserLength);
    if (problem !== undefined) throw this.errors.invalid(context, problem);
    try {
      return await work(session);
    } catch (error) {
      throw this.failure(context, error);
    }
  }

  /** The open session, connecting first when there is none or it broke. */
  private async session(): Promise<Session> {
    const opening = (this.#session ??= this.open());
    let session: Session | undefined;
    try {
      session = await opening;
    } finally {
      if (session?.broken !== false && this.#session === opening) this.#session = undefined;
    }
    return session.broken ? this.session() : session;
  }

  private async open(): Promise<Session> {
    let connection: Connection;
    try {
      connection = await mysql.createConnection(this.options);
    } catch (error) {
      throw new StepFailure(`connect as "${this.adminUser}"`, error);
    }
    const session: Session = { connection, maxUserLength: 0, broken: false };
    // An idle connection the server drops (restart, wait_timeout) reports here; unheard, it would crash the process.
    const broken = () => {
      session.broken = true;
    };
    connection.on("error", broken);
    connection.on("end", broken);
    try {
      await this.run(session, "set sql_mode NO_BACKSLASH_ESCAPES", (c) => c.query(ADD_NO_BACKSLASH_ESCAPES));
      const [row] = await this.select(session, "read the session's sql_mode and the user name limit", SESSION_QUERY);
      const sqlMode = String(row?.sql_mode).split(",");
      const maxUserLength = Number(row?.max_user_length);
      if (!sqlMode.includes("NO_BACKSLASH_ESCAPES")) {
        throw new StepFailure("set sql_mode NO_BACKSLASH_ESCAPES", new Error(`sql_mode is still ${sqlMode.join(",")}`));
      }
      if (!Number.isInteger(maxUserLength) || maxUserLength <= 0) {
        throw new StepFailure(
          "read the user name limit",
          new Error("information_schema shows no mysql.user.User column: the administrator needs SELECT on mysql.*"),
        );
      }
      session.maxUserLength = maxUserLength;
      return session;
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  /**
   * One statement within the deadline. After a timeout or any failure but an error the server reported, the
   * connection is in an unknown state and is dropped. A `secret` statement's text is removed from its error.
   */
  private async run<T>(
    session: Session,
    step: string,
    work: (connection: Connection) => Promise<T>,
    { secret = false } = {},
  ): Promise<T> {
    try {
      return await withDeadline(work(session.connection), this.timeoutMs);
    } catch (error) {
      if (!isServerError(error)) {
        session.broken = true;
        session.connection.destroy();
      }
      if (secret && typeof error === "object" && error !== null) Reflect.deleteProperty(error, "sql");
      throw new StepFailure(step, error);
    }
  }

  private async select(session: Session, step: string, sql: string, values: string[] = []): Promise<Rows> {
    return this.run(session, step, async (c) => (await c.execute<Rows>(sql, values))[0]);
  }

  private async userExists(session: Session, user: string): Promise<boolean> {
    const rows = await this.select(session, `look up user ${quoteAccount(user)}`, USER_QUERY, [user]);
    return rows.length > 0;
  }

  /** The error of the operation in `context`, naming the step that failed. */
  private failure(context: string, error: unknown): DataStoreError {
    const { step, failure } = error instanceof StepFailure ? error : { step: "the operation", failure: error };
    return this.errors.failure(context, step, failure);
  }
}
