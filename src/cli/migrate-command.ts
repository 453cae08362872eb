// `kamaji migrate`: copies a TenantControlPlane's data to another DataStore; run by the migration Job the operator
// creates when spec.dataStore changes. Upstream's flags.
import { Command } from "commander";
import { runMigration } from "../migration/run-migration.js";
import { KubeClient } from "../runtime/kube-client.js";
import { createLogger } from "../runtime/logger.js";
import { parseDuration } from "./duration.js";

interface MigrateFlags {
  tenantControlPlane: string;
  targetDatastore: string;
  cleanupPriorMigration: string;
  timeout: string;
  kubeconfig?: string;
}

export function migrateCommand(): Command {
  return new Command("migrate")
    .description("Copy a TenantControlPlane's data to another DataStore (run by the migration Job).")
    .requiredOption("--tenant-control-plane <namespace/name>", "the TenantControlPlane to migrate")
    .requiredOption("--target-datastore <name>", "the DataStore to copy its data to")
    .option(
      "--cleanup-prior-migration <bool>",
      "replace the tenant's keys a prior migration left on the target",
      "false",
    )
    .option("--timeout <duration>", "give up after this long", "5m")
    .option("--kubeconfig <path>", "kubeconfig of the management cluster (default: in-cluster or $KUBECONFIG)")
    .action(async (flags: MigrateFlags) => {
      if (!["true", "false"].includes(flags.cleanupPriorMigration)) {
        throw new Error(
          `--cleanup-prior-migration: ${JSON.stringify(flags.cleanupPriorMigration)} is not true or false`,
        );
      }
      const log = createLogger("info");
      const client = KubeClient.load(flags.kubeconfig);
      try {
        await runMigration(
          client,
          {
            tenantControlPlane: flags.tenantControlPlane,
            targetDataStore: flags.targetDatastore,
            cleanupPriorMigration: flags.cleanupPriorMigration === "true",
            timeoutMs: parseDuration(flags.timeout, "--timeout"),
          },
          log,
        );
      } finally {
        client.close();
      }
    });
}
