// The etcd driver (reference §5): a tenant is a role named after its schema with read-write access to the keys
// under `/<schema>/`, and a password-less user holding that role. With auth enabled etcd takes the user name from
// the client certificate's CN, so the tenant's certificate (etcd-client-certificate.ts) is its only credential.
import { handleWhen, noop, retry } from "cockatiel";
import {
  Etcd3,
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdPermissionDeniedError,
  EtcdRoleExistsError,
  EtcdRoleNotFoundError,
  EtcdUserExistsError,
  EtcdUserNotFoundError,
  GRPCDeadlineExceededError,
  GRPCUnauthenticatedError,
  GRPCUnavailableError,
  isRecoverableError,
} from "etcd3";
import { parseCertificatePem } from "../pki/index.js";
import type { DataStoreConnection, DataStoreConnectionConfig, TenantStorage } from "./driver.js";
import { checkedEndpoints, invalidConfiguration } from "./config-checks.js";
import { DriverErrors } from "./driver-errors.js";
import { CLIENT_CERTIFICATE_REJECTED, type Diagnosis, messageOf, SERVER_CERTIFICATE_REJECTED } from "./failures.js";

export const DEFAULT_ETCD_TIMEOUT_MS = 5_000;

export interface EtcdConnectionOptions {
  /** Deadline of every etcd call, connecting included; an endpoint silent this long counts as unreachable. */
  readonly timeoutMs?: number;
}

/** A key range [start, end), as etcd permissions and range requests take it. */
export interface KeyRange {
  readonly start: Buffer;
  readonly end: Buffer;
}

/** etcd's name for its administrators' role; tenants may not use it. */
const ROOT = "root";

/**
 * The smallest key after every key that starts with `prefix` (etcd's range_end for a prefix query). For a
 * prefix of only 0xff bytes there is none: etcd reads range_end "\0" as "no upper bound".
 */
export function prefixEnd(prefix: Uint8Array): Buffer {
  const end = Buffer.from(prefix);
  for (let index = end.length - 1; index >= 0; index--) {
    const byte = end.readUInt8(index);
    if (byte < 0xff) {
      end.writeUInt8(byte + 1, index);
      return end.subarray(0, index + 1);
    }
  }
  return Buffer.from([0]);
}

/** The keys a tenant owns: `/<schema>/…`. The trailing slash keeps `/cp-a` from covering `/cp-aa`. */
export function tenantKeyRange(schema: string): KeyRange {
  const start = Buffer.from(`/${schema}/`, "utf8");
  return { start, end: prefixEnd(start) };
}

/**
 * Why the tenant's names cannot be used on etcd, or undefined. etcd itself takes any non-empty string as a user or
 * role name (quotes, slashes, spaces, any Unicode). We refuse in addition:
 * - a schema with "/": `/a/b/` lies inside `/a/`, so tenant "a" could read and write tenant "a/b";
 * - "root", etcd's administrator role and user: the tenant would become an administrator, and teardown would
 *   delete the administrator;
 * - the administrator's own user (`adminUser`), which teardown would delete.
 */
export function tenantNameProblem(tenant: TenantStorage, adminUser: string): string | undefined {
  if (tenant.schema === "") return "the schema is empty";
  if (tenant.schema.includes("/")) return `the schema "${tenant.schema}" contains "/", so its keys would overlap`;
  if (tenant.schema === ROOT) return `the schema may not be "${ROOT}", the etcd administrator role`;
  if (tenant.user === "") return "the user is empty";
  if (tenant.user === ROOT || tenant.user === adminUser) {
    return `the user may not be "${tenant.user}", an etcd administrator`;
  }
  return undefined;
}

type ErrorClass = abstract new (...args: never[]) => Error;

const UNAUTHORIZED: ErrorClass[] = [
  EtcdPermissionDeniedError,
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  GRPCUnauthenticatedError,
];

function diagnose(error: unknown): Diagnosis {
  const message = messageOf(error);
  // gRPC reports a failed TLS handshake as UNAVAILABLE, like a dead server; the OpenSSL alert (the server refused our
  // certificate) or Node's verification error (we refused the server's) in its message tells them apart.
  if (error instanceof GRPCUnavailableError && CLIENT_CERTIFICATE_REJECTED.test(message)) {
    return { reason: "Unauthorized", detail: `etcd refused the administrator client certificate: ${message}` };
  }
  if (error instanceof GRPCUnavailableError && SERVER_CERTIFICATE_REJECTED.test(message)) {
    return {
      reason: "Unauthorized",
      detail: `etcd's certificate does not verify against the DataStore CA: ${message}`,
    };
  }
  if (error instanceof GRPCUnavailableError || error instanceof GRPCDeadlineExceededError) {
    return { reason: "Unreachable", detail: message };
  }
  const unauthorized = UNAUTHORIZED.some((type) => error instanceof type);
  return { reason: unauthorized ? "Unauthorized" : "OperationFailed", detail: message };
}

/** Opens an administrative connection (lazily: the first call connects). Throws on an unusable configuration. */
export function openEtcdConnection(
  config: DataStoreConnectionConfig,
  options: EtcdConnectionOptions = {},
): DataStoreConnection {
  const endpoints = checkedEndpoints(config, "etcd").map(({ endpoint }) => endpoint);
  const tls = config.tls;
  if (tls?.clientCertificatePem === undefined || tls.clientKeyPem === undefined) {
    throw invalidConfiguration(config, "etcd needs TLS with a CA and an administrator client certificate and key");
  }
  let adminUser: string;
  try {
    adminUser = parseCertificatePem(tls.clientCertificatePem, "the administrator client certificate").commonName;
  } catch (error) {
    throw invalidConfiguration(config, messageOf(error), error);
  }
  return new EtcdConnection(config.name, endpoints, adminUser, options.timeoutMs ?? DEFAULT_ETCD_TIMEOUT_MS, {
    rootCertificate: Buffer.from(tls.certificateAuthorityPem),
    certChain: Buffer.from(tls.clientCertificatePem),
    privateKey: Buffer.from(tls.clientKeyPem),
  });
}

class EtcdConnection implements DataStoreConnection {
  private readonly client: Etcd3;
  private readonly errors: DriverErrors;

  constructor(
    dataStore: string,
    endpoints: readonly string[],
    private readonly adminUser: string,
    timeoutMs: number,
    credentials: { rootCertificate: Buffer; certChain: Buffer; privateKey: Buffer },
  ) {
    const hosts = endpoints.map((endpoint) => `https://${endpoint}`);
    this.errors = new DriverErrors({
      dataStore,
      server: hosts.join(", "),
      unreachableNote: `deadline ${timeoutMs / 1000} s per endpoint`,
      diagnose,
      tenantNameProblem: (tenant) => tenantNameProblem(tenant, adminUser),
    });
    this.client = new Etcd3({
      hosts,
      credentials,
      // etcd3's `dialTimeout` is declared but never read (1.1.2): the call deadline is what bounds connecting.
      defaultCallOptions: () => ({ deadline: Date.now() + timeoutMs }),
      faultHandling: {
        // No circuit breaker: it turns one failure into failures of unrelated later calls for 5 s, and a health
        // check must see the server as it is now. A retry goes to the next endpoint, so each is tried once.
        // etcd3 also drops a host's gRPC channels after such a failure, so reconnect backoff never delays the
        // next call once etcd is back (measured: the first call after a restart succeeds).
        host: () => noop,
        global: retry(handleWhen(isRecoverableError), { maxAttempts: endpoints.length - 1 }),
      },
    });
  }

  async check(): Promise<void> {
    await this.authorize("check");
  }

  async provision(tenant: TenantStorage): Promise<void> {
    const context = this.errors.tenantContext("provision", tenant);
    await this.authorize(context);
    const { start, end } = tenantKeyRange(tenant.schema);
    const auth = this.client.auth;
    await this.call(
      context,
      `create role "${tenant.schema}"`,
      auth.roleAdd({ name: tenant.schema }),
      EtcdRoleExistsError,
    );
    await this.call(
      context,
      `grant role "${tenant.schema}" read-write on ${start.toString()}…`,
      auth.roleGrantPermission({ name: tenant.schema, perm: { permType: "Readwrite", key: start, range_end: end } }),
    );
    // Without no_password etcd would store a hash of the empty password, which then authenticates anyone.
    await this.call(
      context,
      `create user "${tenant.user}"`,
      auth.userAdd({ name: tenant.user, options: { no_password: true } }),
      EtcdUserExistsError,
    );
    await this.call(
      context,
      `grant role "${tenant.schema}" to user "${tenant.user}"`,
      auth.userGrantRole({ user: tenant.user, role: tenant.schema }),
    );
  }

  async isProvisioned(tenant: TenantStorage): Promise<boolean> {
    const context = this.errors.tenantContext("provisioning check", tenant);
    await this.authorize(context);
    const { start, end } = tenantKeyRange(tenant.schema);
    const role = await this.call(
      context,
      `read role "${tenant.schema}"`,
      this.client.auth.roleGet({ role: tenant.schema }),
      EtcdRoleNotFoundError,
    );
    const granted = role?.perm.some(
      (permission) =>
        permission.permType === "Readwrite" && start.equals(permission.key) && end.equals(permission.range_end),
    );
    if (granted !== true) return false;
    const user = await this.call(
      context,
      `read user "${tenant.user}"`,
      this.client.auth.userGet({ name: tenant.user }),
      EtcdUserNotFoundError,
    );
    return user?.roles.includes(tenant.schema) === true;
  }

  async teardown(tenant: TenantStorage): Promise<void> {
    const context = this.errors.tenantContext("teardown", tenant);
    await this.authorize(context);
    const { start, end } = tenantKeyRange(tenant.schema);
    const auth = this.client.auth;
    // Deleting the role also revokes it from every user holding it.
    await this.call(
      context,
      `delete role "${tenant.schema}"`,
      auth.roleDelete({ role: tenant.schema }),
      EtcdRoleNotFoundError,
    );
    await this.call(
      context,
      `delete the keys under ${start.toString()}`,
      this.client.kv.deleteRange({ key: start, range_end: end }),
    );
    await this.call(
      context,
      `delete user "${tenant.user}"`,
      auth.userDelete({ name: tenant.user }),
      EtcdUserNotFoundError,
    );
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }

  /**
   * Fails unless our certificate's user is an etcd administrator. Doing this first also makes "user not found"
   * unambiguous afterwards: etcd gives that answer both for a missing tenant user and for an unknown caller.
   * RoleGet of "root" is permitted only to holders of the root role; with auth disabled the role may not exist.
   */
  private async authorize(context: string): Promise<void> {
    try {
      await this.client.auth.roleGet({ role: ROOT });
    } catch (error) {
      if (error instanceof EtcdRoleNotFoundError) return;
      const step = "verify administrator access";
      const who = `user "${this.adminUser}" (the CN of the administrator client certificate)`;
      if (error instanceof EtcdUserNotFoundError) {
        throw this.errors.failure(context, step, error, { reason: "Unauthorized", detail: `etcd has no ${who}` });
      }
      if (error instanceof EtcdPermissionDeniedError) {
        const detail = `${who} lacks the "${ROOT}" role`;
        throw this.errors.failure(context, step, error, { reason: "Unauthorized", detail });
      }
      throw this.errors.failure(context, step, error);
    }
  }

  /** Awaits one etcd call; an `expected` error (e.g. "already exists" when creating) resolves to undefined. */
  private async call<T>(context: string, step: string, pending: Promise<T>): Promise<T>;
  private async call<T>(
    context: string,
    step: string,
    pending: Promise<T>,
    expected: ErrorClass,
  ): Promise<T | undefined>;
  private async call<T>(context: string, step: string, pending: Promise<T>, expected?: ErrorClass) {
    try {
      return await pending;
    } catch (error) {
      if (expected !== undefined && error instanceof expected) return undefined;
      throw this.errors.failure(context, step, error);
    }
  }
}
