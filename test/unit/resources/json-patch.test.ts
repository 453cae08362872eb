import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { applyJsonPatch, JsonPatchError, type JsonPatchOperation } from "../../../src/resources/tenant/json-patch.js";

const field = "spec.patches";
const patch = (document: unknown, ...operations: JsonPatchOperation[]) => applyJsonPatch(document, operations, field);

/** Asserts the patch fails at `index` with a message that names the operation and contains `reason`. */
function assertFails(document: unknown, operations: JsonPatchOperation[], index: number, reason: string) {
  assert.throws(
    () => applyJsonPatch(document, operations, field),
    (error: unknown) => {
      assert.ok(error instanceof JsonPatchError);
      assert.equal(error.index, index);
      assert.ok(error.message.startsWith(`${field}[${index}]: cannot `), error.message);
      assert.ok(error.message.includes(reason), error.message);
      return true;
    },
  );
}

describe("add", () => {
  test("sets a new member, replaces an existing one, inserts into and appends to arrays", () => {
    assert.deepEqual(patch({ a: 1 }, { op: "add", path: "/b", value: { c: [1] } }), { a: 1, b: { c: [1] } });
    assert.deepEqual(patch({ a: 1 }, { op: "add", path: "/a", value: 2 }), { a: 2 });
    assert.deepEqual(patch({ l: [1, 3] }, { op: "add", path: "/l/1", value: 2 }), { l: [1, 2, 3] });
    assert.deepEqual(patch({ l: [1] }, { op: "add", path: "/l/-", value: 2 }), { l: [1, 2] });
    assert.deepEqual(patch({ l: [1] }, { op: "add", path: "/l/1", value: 2 }), { l: [1, 2] });
  });

  test("the empty pointer replaces the whole document; null is a value", () => {
    assert.deepEqual(patch({ a: 1 }, { op: "add", path: "", value: [true] }), [true]);
    assert.deepEqual(patch({}, { op: "add", path: "/a", value: null }), { a: null });
  });

  test("fails without a parent, past the end of an array, on a scalar, or without a value", () => {
    assertFails({}, [{ op: "add", path: "/a/b", value: 1 }], 0, "/a does not exist");
    assertFails({ l: [1] }, [{ op: "add", path: "/l/2", value: 1 }], 0, `"2" is not an index of an array of length 1`);
    assertFails({ l: [] }, [{ op: "add", path: "/l/01", value: 1 }], 0, `"01" is not an index`);
    assertFails({ a: 1 }, [{ op: "add", path: "/a/b", value: 1 }], 0, "/a is a scalar");
    assertFails({}, [{ op: "add", path: "/a" }], 0, '"value" is missing');
  });
});

describe("remove and replace", () => {
  test("remove deletes members and array items", () => {
    assert.deepEqual(patch({ a: 1, b: 2 }, { op: "remove", path: "/a" }), { b: 2 });
    assert.deepEqual(patch({ l: [1, 2, 3] }, { op: "remove", path: "/l/1" }), { l: [1, 3] });
  });

  test("replace swaps existing values, the whole document included", () => {
    assert.deepEqual(patch({ a: 1 }, { op: "replace", path: "/a", value: "x" }), { a: "x" });
    assert.deepEqual(patch({ l: [1, 2] }, { op: "replace", path: "/l/0", value: 0 }), { l: [0, 2] });
    assert.deepEqual(patch({ a: 1 }, { op: "replace", path: "", value: 7 }), 7);
  });

  test("both fail when the target does not exist", () => {
    assertFails({ a: 1 }, [{ op: "remove", path: "/b" }], 0, "/b does not exist");
    assertFails({ l: [1] }, [{ op: "remove", path: "/l/1" }], 0, "/l/1 does not exist");
    assertFails({ a: 1 }, [{ op: "replace", path: "/b", value: 1 }], 0, "/b does not exist");
    assertFails({ a: 1 }, [{ op: "remove", path: "" }], 0, "the document itself cannot be removed");
  });
});

describe("move, copy and test", () => {
  test("move relocates a value; copy duplicates it without sharing", () => {
    assert.deepEqual(patch({ a: { x: 1 }, b: {} }, { op: "move", from: "/a/x", path: "/b/y" }), { a: {}, b: { y: 1 } });
    assert.deepEqual(patch({ l: [1, 2, 3] }, { op: "move", from: "/l/0", path: "/l/-" }), { l: [2, 3, 1] });
    const copied = patch(
      { a: { x: [1] } },
      { op: "copy", from: "/a", path: "/b" },
      { op: "add", path: "/b/x/-", value: 2 },
    );
    assert.deepEqual(copied, { a: { x: [1] }, b: { x: [1, 2] } });
  });

  test("move fails into its own child or without from; copy fails on a missing source", () => {
    assertFails({ a: { b: {} } }, [{ op: "move", from: "/a", path: "/a/b/c" }], 0, `"from" /a is an ancestor`);
    assertFails({ a: 1 }, [{ op: "move", path: "/b" }], 0, '"from" is missing');
    assertFails({ a: 1 }, [{ op: "copy", from: "/x", path: "/b" }], 0, "/x does not exist");
  });

  test("test passes on deep equality (member order aside) and fails otherwise", () => {
    const document = { a: { x: 1, y: [1, { z: null }] } };
    assert.deepEqual(patch(document, { op: "test", path: "/a", value: { y: [1, { z: null }], x: 1 } }), document);
    assertFails(document, [{ op: "test", path: "/a/x", value: "1" }], 0, 'the value differs from "1"');
    assertFails(document, [{ op: "test", path: "/a/y/1/z" }], 0, '"value" is missing');
  });
});

describe("pointers and the patch as a whole", () => {
  test("~1 and ~0 unescape to / and ~", () => {
    assert.deepEqual(
      patch({ "a/b": 1, "c~d": 2 }, { op: "remove", path: "/a~1b" }, { op: "remove", path: "/c~0d" }),
      {},
    );
    assert.deepEqual(patch({}, { op: "add", path: "/~01", value: 1 }), { "~1": 1 });
  });

  test("malformed pointers are rejected", () => {
    assertFails({}, [{ op: "add", path: "a", value: 1 }], 0, `path "a" is not a JSON pointer`);
    assertFails({}, [{ op: "add", path: "/a~2", value: 1 }], 0, `path "/a~2" has an invalid "~" escape`);
    assertFails({ a: 1 }, [{ op: "copy", from: "a", path: "/b" }], 0, `from "a" is not a JSON pointer`);
  });

  test("the error names the failing operation by index; the input is never modified", () => {
    const document = { a: 1, l: [1] };
    assertFails(
      document,
      [
        { op: "add", path: "/b", value: 2 },
        { op: "remove", path: "/l/0" },
        { op: "replace", path: "/missing", value: 3 },
      ],
      2,
      'replace "/missing": /missing does not exist',
    );
    patch(document, { op: "remove", path: "/l/0" }, { op: "add", path: "/c", value: 3 });
    assert.deepEqual(document, { a: 1, l: [1] });
  });

  test("__proto__ is an ordinary member name", () => {
    const result = patch({}, { op: "add", path: "/__proto__", value: { polluted: true } }) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(result), Object.prototype);
    assert.deepEqual(Object.keys(result), ["__proto__"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assertFails({}, [{ op: "remove", path: "/toString" }], 0, "/toString does not exist");
  });
});

test("an unknown op is rejected", () => {
  assertFails({}, [{ op: "merge", path: "/a" } as unknown as JsonPatchOperation], 0, 'unknown op "merge"');
});
