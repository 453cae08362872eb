// How the MySQL driver quotes names and the password, and which tenant names it refuses.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  grantDatabaseName,
  mysqlNameProblem,
  passwordLiteral,
  quoteAccount,
  quoteIdentifier,
} from "../../../src/datastore/mysql.js";

const tenant = (schema: string, user = "tenant-user") => ({ schema, user, password: "pw" });
const problem = (schema: string, user = "tenant-user", maxUserLength = 32) =>
  mysqlNameProblem(tenant(schema, user), "kamaji-admin", maxUserLength);

/** Reads a '…' literal as MySQL does under NO_BACKSLASH_ESCAPES: `''` is a quote, anything else is itself. */
function parseLiteral(literal: string): string {
  assert.ok(literal.startsWith("'") && literal.endsWith("'") && literal.length >= 2, literal);
  const body = literal.slice(1, -1);
  let value = "";
  for (let index = 0; index < body.length; index++) {
    const char = body.charAt(index);
    if (char === "'") {
      // A lone quote would end the literal early: the rest would be SQL.
      assert.equal(body.charAt(index + 1), "'", `unpaired quote at ${index} in ${literal}`);
      index++;
    }
    value += char;
  }
  return value;
}

/** Reads a backtick-quoted identifier: "``" is a backtick, a lone backtick would end it early. */
function parseIdentifier(quoted: string): string {
  assert.ok(quoted.startsWith("`") && quoted.endsWith("`") && quoted.length >= 2, quoted);
  const body = quoted.slice(1, -1);
  assert.doesNotMatch(body.replaceAll("``", ""), /`/, `unpaired backtick in ${quoted}`);
  return body.replaceAll("``", "`");
}

const hostile = [
  "plain",
  "x`; DROP DATABASE victim; -- x",
  "``",
  "`",
  "a\\b'c",
  "dot.ted",
  "semi;colon",
  "ünï-名前",
  "new\nline",
  "' OR '1'='1",
  "\\",
  "\\'",
  "?? :name ?",
];

describe("quoteIdentifier", () => {
  test("backtick-quotes and doubles inner backticks", () => {
    assert.equal(quoteIdentifier("tenant"), "`tenant`");
    assert.equal(quoteIdentifier("a`b"), "`a``b`");
    assert.equal(quoteIdentifier("``"), "``````");
  });

  test("keeps a dotted name one identifier", () => {
    assert.equal(quoteIdentifier("dot.ted"), "`dot.ted`");
  });

  test("reads back as the name it quoted, for every hostile name", () => {
    for (const name of hostile) assert.equal(parseIdentifier(quoteIdentifier(name)), name);
  });
});

describe("grantDatabaseName", () => {
  test("escapes GRANT's wildcards and its escape character, and nothing else", () => {
    assert.equal(grantDatabaseName("a_b"), "a\\_b");
    assert.equal(grantDatabaseName("100%"), "100\\%");
    assert.equal(grantDatabaseName("a\\b"), "a\\\\b");
    assert.equal(grantDatabaseName("_%\\"), "\\_\\%\\\\");
    assert.equal(grantDatabaseName("x`y'z.ü-名"), "x`y'z.ü-名");
  });
});

describe("quoteAccount", () => {
  test("is the quoted user at any host", () => {
    assert.equal(quoteAccount("u"), "`u`@'%'");
    assert.equal(quoteAccount("a`b@c"), "`a``b@c`@'%'");
  });
});

describe("passwordLiteral", () => {
  test("doubles single quotes and leaves everything else as it is", () => {
    assert.equal(passwordLiteral("pw"), "'pw'");
    assert.equal(passwordLiteral("it's"), "'it''s'");
    assert.equal(passwordLiteral(`a\\b"c;\nü`), `'a\\b"c;\nü'`);
  });

  test("reads back, under NO_BACKSLASH_ESCAPES, as the password it quoted", () => {
    for (const value of [...hostile, "", "'", "''", "\\'; DROP USER root; --", "😀", "\r\n\t"]) {
      assert.equal(parseLiteral(passwordLiteral(value)), value);
    }
    // Random strings over the characters that matter to a SQL lexer.
    const alphabet = ["'", '"', "\\", "`", ";", "-", "\n", "?", ":", "a", "ü", "名"];
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let round = 0; round < 500; round++) {
      const value = Array.from({ length: next() % 20 }, () => alphabet[next() % alphabet.length]).join("");
      assert.equal(parseLiteral(passwordLiteral(value)), value);
    }
  });
});

describe("mysqlNameProblem", () => {
  test("accepts hostile but storable names", () => {
    for (const name of hostile) assert.equal(problem(name, name), undefined, name);
  });

  test("refuses names MySQL cannot store exactly", () => {
    assert.match(problem("") ?? "", /the schema is empty/);
    assert.match(problem("s", "") ?? "", /the user is empty/);
    assert.match(problem("nul\0") ?? "", /schema contains a NUL/);
    assert.match(problem("s", "nul\0") ?? "", /user contains a NUL/);
    assert.match(problem("lone\uD800") ?? "", /schema is not valid Unicode/);
    assert.match(problem("emoji😀") ?? "", /beyond U\+FFFF/);
    assert.match(problem("s", "emoji😀") ?? "", /user .* beyond U\+FFFF/);
    assert.match(problem("trailing ") ?? "", /ends with a space/);
    assert.match(problem("s", "trailing ") ?? "", /user "trailing " ends with a space/);
    assert.equal(problem(" leading", " leading"), undefined);
  });

  test("refuses a database name over 64 characters, also once escaped for GRANT", () => {
    assert.equal(problem("d".repeat(64)), undefined);
    assert.equal(problem("名".repeat(64)), undefined, "characters, not bytes");
    assert.equal(
      problem("d".repeat(65)),
      `database name "${"d".repeat(65)}" is 65 characters; MySQL allows at most 64`,
    );
    assert.equal(problem(`${"d".repeat(62)}_`), undefined);
    assert.match(problem(`${"d".repeat(63)}_`) ?? "", /is 65 characters once "_", "%" and "\\" are escaped for GRANT/);
  });

  test("refuses a user name over the server's limit, saying the limit", () => {
    const uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
    assert.equal(problem("s", uuid, 32), `user name "${uuid}" is 36 characters; this MySQL server allows at most 32`);
    assert.equal(problem("s", uuid.replaceAll("-", ""), 32), undefined);
    assert.equal(problem("s", uuid, 128), undefined);
    assert.equal(problem("s", "ü".repeat(32), 32), undefined, "characters, not bytes");
    assert.match(problem("s", "u".repeat(129), 128) ?? "", /is 129 characters; this MySQL server allows at most 128$/);
  });

  test("refuses system schemas, #mysql50# names and administrator accounts", () => {
    for (const schema of ["mysql", "information_schema", "INFORMATION_SCHEMA", "performance_schema", "sys", "MySQL"]) {
      assert.match(problem(schema) ?? "", /a database MySQL itself uses/, schema);
    }
    assert.match(problem("#mysql50#victim") ?? "", /names a database directory directly/);
    assert.match(problem("s", "kamaji-admin") ?? "", /the DataStore administrator/);
    for (const user of ["root", "mariadb.sys", "mysql.sys", "mysql.session", "mysql.infoschema"]) {
      assert.match(problem("s", user) ?? "", /administrator or system account/, user);
    }
    // User names are case-sensitive: "Root" is an ordinary user.
    assert.equal(problem("s", "Root"), undefined);
  });
});
