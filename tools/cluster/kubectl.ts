// Running kubectl (and other Kubernetes command-line tools) against a cluster, with the tool's stderr in errors.
import { execFileSync } from "node:child_process";
import { kubernetesBinary } from "../upstream.js";

/** Runs `command` with KUBECONFIG set; a failure carries the command and its stderr. */
export function runWithKubeconfig(command: string, args: string[], kubeconfig: string, input?: string): string {
  try {
    return execFileSync(command, args, {
      encoding: "utf8",
      env: { ...process.env, KUBECONFIG: kubeconfig },
      input: input ?? "",
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    const shown = args.slice(0, 3).join(" ");
    throw new Error(`${command.split("/").at(-1) ?? command} ${shown} failed: ${stderr?.trim() || String(error)}`);
  }
}

export const kubectl = (args: string[], kubeconfig: string, input?: string): string =>
  runWithKubeconfig(kubernetesBinary("kubectl"), args, kubeconfig, input);

/** Server-side applies manifests (YAML or JSON, or objects) with kubectl under `fieldManager`. */
export function kubectlApply(manifest: string | object[], kubeconfig: string, fieldManager = "kamaji-install"): string {
  const input = typeof manifest === "string" ? manifest : manifest.map((o) => JSON.stringify(o)).join("\n---\n");
  return kubectl(["apply", "--server-side", `--field-manager=${fieldManager}`, "-f", "-"], kubeconfig, input);
}
