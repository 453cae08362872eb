// Evaluates the CEL rules of our CRDs (x-kubernetes-validations) the way the API server does, with the
// Kubernetes CEL library functions the rules use.
import { Environment } from "@marcbachmann/cel-js";
import { isCIDR, isIP } from "../net/ip.js";

const environment = new Environment({ unlistedVariablesAreDyn: true })
  .registerFunction("isCIDR(string): bool", (text: string) => isCIDR(text))
  .registerFunction("isIP(string): bool", (text: string) => isIP(text));

const compiled = new Map<string, (context: Record<string, unknown>) => unknown>();

/** A transition rule compares with the stored object; the API server skips it on create. */
export function isTransitionRule(rule: string): boolean {
  return /\boldSelf\b/.test(rule);
}

export function evaluateRule(rule: string, self: unknown, oldSelf: unknown): boolean {
  let program = compiled.get(rule);
  if (!program) {
    program = environment.parse(rule);
    compiled.set(rule, program);
  }
  const result = program({ self, oldSelf });
  if (typeof result !== "boolean") throw new Error(`rule ${JSON.stringify(rule)} returned ${typeof result}, not bool`);
  return result;
}
