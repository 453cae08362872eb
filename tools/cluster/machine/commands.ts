// Running host commands for the local machines: output as text, failures with the command's own stderr.
import { execFileSync, spawnSync } from "node:child_process";

export function run(command: string, args: string[], input?: string): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: "pipe", ...(input === undefined ? {} : { input }) });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${stderr?.trim() || (error as Error).message}`);
  }
}

export const succeeds = (command: string, args: string[]): boolean =>
  spawnSync(command, args, { stdio: "ignore" }).status === 0;

/** The nsenter arguments that join a named network namespace and, when given, a persistent mount namespace. */
export function namespaceArgs(netns: string, mountNamespace?: string): string[] {
  return [`--net=/var/run/netns/${netns}`, ...(mountNamespace ? [`--mount=${mountNamespace}`] : [])];
}

export const inNetns = (netns: string, command: string, args: string[], input?: string): string =>
  run("nsenter", [...namespaceArgs(netns), "--", command, ...args], input);

/** Blocks for `ms` without an event loop (teardown paths are synchronous). */
export const pause = (ms: number): void => {
  spawnSync("sleep", [String(ms / 1000)]);
};
