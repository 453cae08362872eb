// The RFC 6902 JSON Patch that turns one JSON document into another, as a mutating webhook answers.
import { isDeepStrictEqual } from "node:util";

export type JsonPatchOperation =
  | { readonly op: "add" | "replace"; readonly path: string; readonly value: unknown }
  | { readonly op: "remove"; readonly path: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** RFC 6901: `~` is written `~0` and `/` is written `~1`. */
const pointerSegment = (key: string): string => key.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * The operations that turn `from` into `to`. Objects are compared member by member (a member whose value is
 * undefined counts as absent, as in JSON); any other change, arrays included, replaces the value whole.
 */
export function jsonPatch(from: unknown, to: unknown, path = ""): JsonPatchOperation[] {
  if (isDeepStrictEqual(from, to)) return [];
  if (!isRecord(from) || !isRecord(to)) return [{ op: "replace", path, value: to }];
  const operations: JsonPatchOperation[] = [];
  for (const [key, value] of Object.entries(from)) {
    if (value !== undefined && to[key] === undefined) operations.push({ op: "remove", path: childPath(path, key) });
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const old = from[key];
    if (old === undefined) operations.push({ op: "add", path: childPath(path, key), value });
    else operations.push(...jsonPatch(old, value, childPath(path, key)));
  }
  return operations;
}

const childPath = (path: string, key: string): string => `${path}/${pointerSegment(key)}`;
