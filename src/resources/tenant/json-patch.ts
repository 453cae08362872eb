// RFC 6902 JSON Patch over plain JSON data (RFC 6901 pointers), for the configurationJSONPatches fields of the
// TenantControlPlane. Any failing operation fails the whole patch, as the RFC requires.
import { isDeepStrictEqual } from "node:util";

export interface JsonPatchOperation {
  readonly op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  readonly path: string;
  /** The source pointer of move and copy. */
  readonly from?: string | undefined;
  /** The value of add, replace and test. */
  readonly value?: unknown;
}

/** A patch operation failed: `index` is its position in the patch, the message names `<field>[<index>]`. */
export class JsonPatchError extends Error {
  override readonly name = "JsonPatchError";

  constructor(
    readonly index: number,
    message: string,
  ) {
    super(message);
  }
}

type Container = Record<string, unknown> | unknown[];

/** The reason an operation fails, before the caller adds which operation it was. */
class OperationFailure extends Error {}

/**
 * Applies `operations` in order to a copy of `document` and returns the result; `document` is left untouched.
 * `field` names the patch list in error messages, e.g. `spec.kubernetes.kubelet.configurationJSONPatches`.
 */
export function applyJsonPatch(document: unknown, operations: readonly JsonPatchOperation[], field: string): unknown {
  let result = structuredClone(document);
  operations.forEach((operation, index) => {
    try {
      result = applyOperation(result, operation);
    } catch (error) {
      if (!(error instanceof OperationFailure)) throw error;
      throw new JsonPatchError(
        index,
        `${field}[${index}]: cannot ${operation.op} "${operation.path}": ${error.message}`,
      );
    }
  });
  return result;
}

function applyOperation(document: unknown, operation: JsonPatchOperation): unknown {
  const path = parsePointer(operation.path, "path");
  switch (operation.op) {
    case "add":
      return add(document, path, required(operation.value));
    case "remove":
      return remove(document, path);
    case "replace": {
      const value = required(operation.value);
      return path.length === 0 ? value : add(remove(document, path), path, value);
    }
    case "move": {
      const fromPointer = requiredFrom(operation);
      const from = parsePointer(fromPointer, "from");
      if (from.length < path.length && from.every((token, i) => token === path[i])) {
        throw new OperationFailure(`"from" ${fromPointer} is an ancestor of the path`);
      }
      const value = valueAt(document, from);
      return add(remove(document, from), path, value);
    }
    case "copy":
      return add(document, path, structuredClone(valueAt(document, parsePointer(requiredFrom(operation), "from"))));
    case "test":
      if (!isDeepStrictEqual(valueAt(document, path), required(operation.value))) {
        throw new OperationFailure(`the value differs from ${JSON.stringify(operation.value)}`);
      }
      return document;
    default:
      // Unreachable for objects the CRD schema validated.
      throw new OperationFailure(`unknown op ${JSON.stringify(operation.op satisfies never)}`);
  }
}

function required(value: unknown): unknown {
  if (value === undefined) throw new OperationFailure('"value" is missing');
  return value;
}

function requiredFrom(operation: JsonPatchOperation): string {
  if (operation.from === undefined) throw new OperationFailure('"from" is missing');
  return operation.from;
}

/** RFC 6901: "" is the whole document, otherwise "/"-separated tokens with "~1" for "/" and "~0" for "~". */
function parsePointer(pointer: string, name: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new OperationFailure(`${name} "${pointer}" is not a JSON pointer`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => {
      if (/~(?![01])/.test(token)) throw new OperationFailure(`${name} "${pointer}" has an invalid "~" escape`);
      return token.replace(/~1/g, "/").replace(/~0/g, "~");
    });
}

const isContainer = (value: unknown): value is Container => typeof value === "object" && value !== null;

/** The array index `token` names, or undefined when it is not a canonical non-negative integer. */
function arrayIndex(token: string): number | undefined {
  return /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : undefined;
}

function pointerOf(tokens: readonly string[]): string {
  return tokens.map((token) => `/${token.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/** The child `token` of `container`, if it exists. Own properties only, so `__proto__` is an ordinary key. */
function childOf(container: Container, token: string): { value: unknown } | undefined {
  if (Array.isArray(container)) {
    const index = arrayIndex(token);
    return index !== undefined && index < container.length ? { value: container[index] } : undefined;
  }
  return Object.hasOwn(container, token) ? { value: container[token] } : undefined;
}

function valueAt(document: unknown, tokens: readonly string[]): unknown {
  let current = document;
  tokens.forEach((token, depth) => {
    const child = isContainer(current) ? childOf(current, token) : undefined;
    if (child === undefined) throw new OperationFailure(`${pointerOf(tokens.slice(0, depth + 1))} does not exist`);
    current = child.value;
  });
  return current;
}

/** The container that holds the location `tokens` points at, and the last token. */
function parentOf(document: unknown, tokens: readonly string[]): { parent: Container; last: string } {
  const parentTokens = tokens.slice(0, -1);
  const parent = valueAt(document, parentTokens);
  if (!isContainer(parent)) throw new OperationFailure(`${pointerOf(parentTokens) || "the document"} is a scalar`);
  return { parent, last: tokens[tokens.length - 1] ?? "" };
}

function add(document: unknown, tokens: readonly string[], value: unknown): unknown {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(document, tokens);
  if (Array.isArray(parent)) {
    const index = last === "-" ? parent.length : arrayIndex(last);
    if (index === undefined || index > parent.length) {
      throw new OperationFailure(`"${last}" is not an index of an array of length ${parent.length}`);
    }
    parent.splice(index, 0, value);
  } else {
    // defineProperty, not assignment: assigning "__proto__" would replace the prototype.
    Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  }
  return document;
}

function remove(document: unknown, tokens: readonly string[]): unknown {
  if (tokens.length === 0) throw new OperationFailure("the document itself cannot be removed");
  valueAt(document, tokens);
  const { parent, last } = parentOf(document, tokens);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else Reflect.deleteProperty(parent, last);
  return document;
}
