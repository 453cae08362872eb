// How the PostgreSQL driver quotes names and passwords, and which names it refuses.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_IDENTIFIER_BYTES,
  postgresNameProblem,
  quoteIdentifier,
  quoteLiteral,
} from "../../../src/datastore/postgresql.js";

const names = (schema: string, user: string) => ({ schema, user, password: "unused" });

describe("quoteIdentifier", () => {
  test("always double-quotes, so case and keywords are kept", () => {
    assert.equal(quoteIdentifier("Tenant"), `"Tenant"`);
    assert.equal(quoteIdentifier("select"), `"select"`);
  });

  test("doubles embedded double quotes and changes nothing else", () => {
    assert.equal(quoteIdentifier(`x"; DROP DATABASE victim; --`), `"x""; DROP DATABASE victim; --"`);
    assert.equal(quoteIdentifier(`""`), `""""""`);
    assert.equal(quoteIdentifier(`a\\b'c`), `"a\\b'c"`);
    assert.equal(quoteIdentifier("ünïcødé-名前 dot.ted semi;colon"), `"ünïcødé-名前 dot.ted semi;colon"`);
  });
});

describe("quoteLiteral", () => {
  test("single-quotes and doubles embedded single quotes", () => {
    assert.equal(quoteLiteral("secret"), `'secret'`);
    assert.equal(quoteLiteral(`p'; DROP ROLE x; --`), `'p''; DROP ROLE x; --'`);
    assert.equal(quoteLiteral(`"$$"`), `'"$$"'`);
  });

  test("uses the E'' form with doubled backslashes when there is a backslash", () => {
    // Correct whatever standard_conforming_strings says: in E'' a backslash always escapes.
    assert.equal(quoteLiteral(`\\`), ` E'\\\\'`);
    assert.equal(quoteLiteral(`\\'; x`), ` E'\\\\''; x'`);
  });
});

describe("postgresNameProblem", () => {
  test("accepts quotes, semicolons, backslashes, spaces, dots and any Unicode", () => {
    for (const name of [`x"; DROP DATABASE victim; --`, `a\\b'c`, "ünïcødé-名前", "semi;colon", "dot.ted", "a b"]) {
      assert.equal(postgresNameProblem(names(name, name), "admin"), undefined, name);
    }
  });

  test(`refuses names over ${MAX_IDENTIFIER_BYTES} bytes of UTF-8, which PostgreSQL would truncate`, () => {
    assert.equal(postgresNameProblem(names("s".repeat(63), "u".repeat(63)), "admin"), undefined);
    assert.equal(postgresNameProblem(names("名".repeat(21), "u"), "admin"), undefined); // 63 bytes
    assert.match(postgresNameProblem(names("名".repeat(21) + "x", "u"), "admin") ?? "", /schema .* 64 bytes.*collide/);
    assert.match(postgresNameProblem(names("s", "u".repeat(64)), "admin") ?? "", /user .* 64 bytes/);
  });

  test("refuses empty names, NUL and unpaired surrogates", () => {
    assert.match(postgresNameProblem(names("", "u"), "admin") ?? "", /schema is empty/);
    assert.match(postgresNameProblem(names("s", ""), "admin") ?? "", /user is empty/);
    assert.match(postgresNameProblem(names("a\0b", "u"), "admin") ?? "", /schema contains a NUL/);
    assert.match(postgresNameProblem(names("s", "a\0b"), "admin") ?? "", /user contains a NUL/);
    assert.match(postgresNameProblem(names("s", "a\uD800b"), "admin") ?? "", /not valid Unicode/);
  });

  test("refuses the server's own databases and roles, and the administrator", () => {
    for (const schema of ["postgres", "template0", "template1"]) {
      assert.match(postgresNameProblem(names(schema, "u"), "admin") ?? "", /schema may not be/, schema);
    }
    for (const user of ["postgres", "public", "none", "pg_monitor", "pg_anything"]) {
      assert.match(postgresNameProblem(names("s", user), "admin") ?? "", /user may not be/, user);
    }
    assert.match(postgresNameProblem(names("s", "admin"), "admin") ?? "", /DataStore administrator/);
    // Only exact names: PostgreSQL compares quoted identifiers case-sensitively.
    assert.equal(postgresNameProblem(names("Postgres", "Admin"), "admin"), undefined);
    assert.equal(postgresNameProblem(names("s", "PG_x"), "admin"), undefined);
  });
});
