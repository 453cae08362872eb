#!/usr/bin/env node
// The `kamaji` binary: one subcommand per role, as upstream (manager now; migrate and kubeconfig-generator later).
import "reflect-metadata";
import { Command } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import { managerCommand } from "./manager-command.js";

const program = new Command("kamaji")
  .description("Kamaji: Kubernetes control planes as pods in a management cluster.")
  .version(packageJson.version)
  .addCommand(managerCommand(packageJson.version));

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`kamaji: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
