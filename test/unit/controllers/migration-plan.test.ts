import assert from "node:assert/strict";
import { test } from "node:test";
import {
  jobView,
  migrationPlan,
  targetStorageNames,
  type Job,
} from "../../../src/controllers/tenantcontrolplane/migration.js";
import {
  buildMigrationJob,
  migrationSecretData,
  type MigrationJobInput,
} from "../../../src/resources/migration-job.js";
import { tenantControlPlaneWith } from "../resources/fixtures.js";

const job = (source: string, target: string, complete = false) => ({ source, target, complete });

test("migration plan: nothing moves while the status and the spec name the same DataStore and no Job is left", () => {
  assert.equal(migrationPlan(undefined, "etcd-a", undefined), undefined, "a fresh tenant");
  assert.equal(migrationPlan("", "etcd-a", undefined), undefined);
  assert.equal(migrationPlan("etcd-a", "etcd-a", undefined), undefined);
});

test("migration plan: copying until the Job for this very move is complete, then switching", () => {
  assert.deepEqual(migrationPlan("etcd-a", "pg", undefined), { phase: "copying", source: "etcd-a", target: "pg" });
  assert.equal(migrationPlan("etcd-a", "pg", job("etcd-a", "pg"))?.phase, "copying");
  assert.equal(migrationPlan("etcd-a", "pg", job("etcd-a", "pg", true))?.phase, "switching");
  // A complete Job of another target (the spec changed again) does not switch.
  assert.equal(migrationPlan("etcd-a", "mysql", job("etcd-a", "pg", true))?.phase, "copying");
});

test("migration plan: finishing once the tenant runs on the target, cancelled when the spec went back", () => {
  assert.deepEqual(migrationPlan("pg", "pg", job("etcd-a", "pg", true)), {
    phase: "finishing",
    source: "etcd-a",
    target: "pg",
  });
  assert.deepEqual(migrationPlan("etcd-a", "etcd-a", job("etcd-a", "pg")), {
    phase: "cancelled",
    source: "etcd-a",
    target: "pg",
  });
});

/** A migration from the etcd DataStore `default` to the PostgreSQL DataStore `pg`. */
const jobInput = (overrides: Partial<MigrationJobInput> = {}): MigrationJobInput => ({
  tcp: { namespace: "ns", name: "t", uid: "u-1" },
  namespace: "kamaji-system",
  image: "kamaji.local/kamaji:v1",
  kineImage: "docker.io/rancher/kine:v0.17.5",
  imagePullPolicy: "IfNotPresent",
  serviceAccountName: "kamaji",
  source: { dataStore: "default", driver: "etcd", connectionString: "", schema: "s", user: "u", password: "" },
  target: {
    dataStore: "pg",
    driver: "PostgreSQL",
    connectionString: "10.0.0.2:5432",
    schema: "s",
    user: "u",
    password: "p",
  },
  cleanupPriorMigration: false,
  ...overrides,
});

test("jobView reads the move and the outcome from the Job", () => {
  const built = buildMigrationJob(jobInput()) as Job;
  assert.deepEqual(jobView(built), { source: "default", target: "pg", complete: false });
  built.status = {
    conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "too many" }],
  };
  assert.equal(jobView(built)?.failed, "too many");
  built.status = { conditions: [{ type: "Complete", status: "True" }] };
  assert.equal(jobView(built)?.complete, true);
});

test("the Job runs upstream's subcommand and flags, with a kine sidecar only for the kine side", () => {
  const input = jobInput({
    target: { ...jobInput().target, tls: { caPem: "CA" } },
    cleanupPriorMigration: true,
    timeout: "10m",
  });
  const built = buildMigrationJob(input);
  assert.equal(built.metadata?.name, "migrate-u-1");
  const spec = JSON.parse(JSON.stringify(built.spec?.template.spec)) as {
    containers: { args: string[] }[];
    initContainers: { name: string; args?: string[]; restartPolicy?: string }[];
  };
  assert.deepEqual(spec.containers[0]?.args, [
    "migrate",
    "--tenant-control-plane=ns/t",
    "--target-datastore=pg",
    "--cleanup-prior-migration=true",
    "--timeout=10m",
  ]);
  assert.deepEqual(
    spec.initContainers.map((c) => c.name),
    ["certificates", "kine-target"],
  );
  const kine = spec.initContainers.find((c) => c.name === "kine-target");
  assert.equal(kine?.restartPolicy, "Always", "a native sidecar: it stops with the copy");
  assert.ok(kine.args?.includes("--listen-address=127.0.0.1:2382"));
  assert.ok(
    kine.args?.includes(
      "--endpoint=postgres://$(TARGET_DB_USER):$(TARGET_DB_PASSWORD)@$(TARGET_DB_CONNECTION_STRING)/$(TARGET_DB_SCHEMA)",
    ),
  );
  assert.deepEqual(migrationSecretData(input), {
    TARGET_DB_CONNECTION_STRING: "10.0.0.2:5432",
    TARGET_DB_SCHEMA: "s",
    TARGET_DB_USER: "u",
    TARGET_DB_PASSWORD: "p",
    "target-ca.crt": "CA",
  });
});

test("on a target of another driver the schema stays and the user is the one that driver takes", () => {
  const tcp = tenantControlPlaneWith({});
  tcp.metadata.uid = "0f6e1a52-2b1c-4f7a-9d55-1b2c3d4e5f60";
  tcp.status = {
    storage: {
      setup: { schema: "0f6e1a52-2b1c-4f7a-9d55-1b2c3d4e5f60", user: "0f6e1a52-2b1c-4f7a-9d55-1b2c3d4e5f60" },
    },
  };
  assert.deepEqual(targetStorageNames(tcp, "MySQL"), {
    schema: "0f6e1a52-2b1c-4f7a-9d55-1b2c3d4e5f60",
    user: "0f6e1a522b1c4f7a9d551b2c3d4e5f60",
  });
  assert.equal(targetStorageNames(tcp, "PostgreSQL").user, "0f6e1a52-2b1c-4f7a-9d55-1b2c3d4e5f60");
});
