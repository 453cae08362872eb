// Command-line flags of the control-plane containers: `--flag=value` lists, merged by flag name.
import { createHash } from "node:crypto";

export type Flags = ReadonlyMap<string, string>;

/** The flag name of `--flag=value` (or of a bare `--flag`). */
export const flagName = (arg: string): string => arg.split("=", 1)[0] ?? arg;

/** A bare `--flag` when the value is empty, as upstream renders it. */
export const formatFlag = (flag: string, value: string): string => (value === "" ? flag : `${flag}=${value}`);

/** Parses `--flag=value` arguments; a later duplicate wins. */
export function parseFlags(args: readonly string[] = []): Map<string, string> {
  const flags = new Map<string, string>();
  for (const arg of args) {
    const separator = arg.indexOf("=");
    if (separator < 0) flags.set(arg, "");
    else flags.set(arg.slice(0, separator), arg.slice(separator + 1));
  }
  return flags;
}

/** Layers flag maps: a later layer overrides an earlier one flag by flag. */
export const mergeFlags = (...layers: Flags[]): Map<string, string> => new Map(layers.flatMap((layer) => [...layer]));

/** The rendered `--flag=value` list, sorted so that the same flags always give the same list. */
export const renderFlags = (flags: Flags): string[] =>
  [...flags].map(([flag, value]) => formatFlag(flag, value)).sort();

/** Checksum of an argument list, order-sensitive (kube-apiserver.kamaji.clastix.io/args). */
export function argsChecksum(args: readonly string[]): string {
  const hash = createHash("md5");
  // The NUL after each value keeps ["ab", "c"] and ["a", "bc"] apart.
  for (const arg of args) hash.update(arg).update("\0");
  return hash.digest("hex");
}

export interface ApiServerFlagLayers {
  /** Arguments of the kube-apiserver container as stored, when the user's extra args did not change since. */
  readonly current: readonly string[];
  /** spec.controlPlane.deployment.extraArgs.apiServer, verbatim. */
  readonly user: readonly string[];
  /** Kamaji's opinion: applied only when the user does not pass the same flag. */
  readonly safeDefaults: Flags;
  /** Derived from the spec: they always win and a user duplicate is dropped. */
  readonly managed: Flags;
  /** Flags Kamaji sets only in other configurations (etcd flags under kine, the konnectivity flag...). */
  readonly kamajiOnly: ReadonlySet<string>;
}

/**
 * The kube-apiserver arguments: a sorted Kamaji segment (flags found on the container that nobody here owns,
 * safe defaults the user did not override, managed flags), then the user's extras in their order, duplicates
 * included, since some apiserver flags are repeatable and order-sensitive.
 */
export function mergeApiServerFlags(layers: ApiServerFlagLayers): string[] {
  const extras = layers.user.filter((arg) => !layers.managed.has(flagName(arg)));
  const userFlags = new Set(extras.map(flagName));
  const owned = (flag: string) =>
    layers.managed.has(flag) || layers.safeDefaults.has(flag) || layers.kamajiOnly.has(flag) || userFlags.has(flag);
  const foreign = layers.current.filter((arg) => !owned(flagName(arg)));
  const defaults = [...layers.safeDefaults].filter(([flag]) => !userFlags.has(flag));
  const rendered = [...defaults, ...layers.managed].map(([flag, value]) => formatFlag(flag, value));
  const kamaji = [...foreign, ...rendered].sort();
  return [...kamaji, ...extras];
}
