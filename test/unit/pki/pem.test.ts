import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodePemBlocks, encodePem, PkiError } from "../../../src/pki/index.js";
import { findPemBlock } from "../../../src/pki/pem.js";

const der = Buffer.from(Array.from({ length: 100 }, (_, index) => index));

describe("PEM encoding", () => {
  test("wraps base64 at 64 columns and round-trips the bytes", () => {
    const pem = encodePem("CERTIFICATE", der);
    const lines = pem.trimEnd().split("\n");
    assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
    assert.equal(lines.at(-1), "-----END CERTIFICATE-----");
    assert.equal(lines[1]?.length, 64);
    const [block] = decodePemBlocks(pem, "test");
    assert.ok(block);
    assert.equal(block.label, "CERTIFICATE");
    assert.deepEqual(block.der, der);
  });

  test("decodes several blocks, CRLF line ends, surrounding text and byte input", () => {
    const text = `leading comment\r\n${encodePem("EC PARAMETERS", der.subarray(0, 5))}between\n${encodePem("EC PRIVATE KEY", der)}`;
    const blocks = decodePemBlocks(Buffer.from(text.replaceAll("\n", "\r\n")), "test");
    assert.deepEqual(
      blocks.map((block) => block.label),
      ["EC PARAMETERS", "EC PRIVATE KEY"],
    );
    assert.deepEqual(blocks[1]?.der, der);
  });

  test("input without blocks decodes to nothing", () => {
    assert.deepEqual(decodePemBlocks("", "test"), []);
    assert.deepEqual(decodePemBlocks("just some text", "test"), []);
  });
});

describe("PEM errors name the input and the problem", () => {
  const cases: { name: string; input: string; message: RegExp }[] = [
    {
      name: "missing END line",
      input: "-----BEGIN CERTIFICATE-----\nAAAA\n",
      message: /^input X: block "CERTIFICATE" \(line 1\) has no END line$/,
    },
    {
      name: "END label differs from BEGIN",
      input: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n",
      message: /^input X: block "CERTIFICATE" \(line 1\) ends with "PRIVATE KEY"$/,
    },
    {
      name: "body is not base64",
      input: "-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n",
      message: /^input X: block "CERTIFICATE" \(line 1\) is not valid base64$/,
    },
    {
      name: "body has a bad length",
      input: "-----BEGIN CERTIFICATE-----\nAAAAA\n-----END CERTIFICATE-----\n",
      message: /is not valid base64/,
    },
    {
      name: "empty body",
      input: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
      message: /is not valid base64/,
    },
    {
      name: "encrypted legacy PEM with headers",
      input:
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
      message: /^input X: block "RSA PRIVATE KEY" \(line 1\) has headers; encrypted PEM is not supported$/,
    },
  ];
  for (const { name, input, message } of cases) {
    test(name, () => {
      assert.throws(
        () => decodePemBlocks(input, "input X"),
        (error: unknown) => {
          assert.ok(error instanceof PkiError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  test("a missing block type lists what was found", () => {
    const blocks = decodePemBlocks(encodePem("RSA PRIVATE KEY", der), "ctx");
    assert.throws(() => findPemBlock(blocks, ["CERTIFICATE"], "certificate PEM in ctx"), {
      name: "PkiError",
      message: "certificate PEM in ctx: no CERTIFICATE block found (found RSA PRIVATE KEY)",
    });
    assert.throws(() => findPemBlock([], ["CERTIFICATE"], "certificate PEM in ctx"), {
      message: "certificate PEM in ctx: no CERTIFICATE block found (the input holds no PEM block)",
    });
  });
});
