// Runs node:test over every *.test.ts file under the given directories (Node 20's --test does not expand globs).
// Each argument is a lane: directories joined by commas, whose files run one at a time. Lanes run side by side
// (`test/e2e test/unit,test/integration`: the end-to-end suites, which share the node tier's fixed network
// namespace, run in one lane while the unit and integration tests, on loopback only, run in the other). The first
// lane streams its output; the others' output is printed whole, between two lines of the first, when they end.
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

function testFiles(dirs) {
  const files = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith(".test.ts")) files.push(join(entry.parentPath, entry.name));
    }
  }
  return files.sort();
}

const lanes = process.argv.slice(2).map((arg) => {
  const dirs = arg.split(",");
  return { dirs, files: testFiles(dirs) };
});
const empty = lanes.find((lane) => lane.files.length === 0);
if (lanes.length === 0 || empty !== undefined) {
  console.error(`no test files under ${empty?.dirs.join(", ") ?? "(no directory given)"}`);
  process.exit(1);
}

/** Runs one lane; `onLine` gets each line of its stdout and stderr. Resolves with its exit code. */
function runLane(lane, onLine) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=1", ...lane.files],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const closed = [child.stdout, child.stderr].map((stream) => {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on("line", onLine);
    return new Promise((resolve) => lines.once("close", resolve));
  });
  const exited = new Promise((resolve) => child.once("close", (code) => resolve(code ?? 1)));
  return Promise.all(closed).then(() => exited);
}

const [first, ...others] = lanes;
const codes = await Promise.all([
  runLane(first, (line) => console.log(line)),
  ...others.map(async (lane) => {
    const output = [];
    const started = Date.now();
    const code = await runLane(lane, (line) => output.push(line));
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    console.log(
      `\n===== ${lane.dirs.join(", ")} (ran beside ${first.dirs.join(", ")}): exit ${code} in ${minutes} min`,
    );
    for (const line of output) console.log(line);
    console.log(`===== end of ${lane.dirs.join(", ")}\n`);
    return code;
  }),
]);
process.exit(codes.every((code) => code === 0) ? 0 : 1);
