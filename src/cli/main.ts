#!/usr/bin/env node
// The `kamaji` binary: one subcommand per role, as upstream (manager and migrate; kubeconfig-generator later).
import "reflect-metadata";
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { managerCommand } from "./manager-command.js";
import { migrateCommand } from "./migrate-command.js";

// src/cli/main.ts and dist/cli/main.js are both two levels below package.json.
const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command("kamaji")
  .description("Kamaji: Kubernetes control planes as pods in a management cluster.")
  .version(packageJson.version)
  .addCommand(managerCommand(packageJson.version))
  .addCommand(migrateCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`kamaji: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
