/**
 * Point 7 of issue 8: `npm test` runs every test in any clone. The skip gate (test/helpers/skipGate.ts)
 * turns a skip that names no environment into a failure, and a clone with nothing beside it (no
 * ../shared) runs the vendor-spec tests instead of skipping them.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { REPO } from "../helpers/testApp.ts";

const GATE = path.join(REPO, "test", "helpers", "skipGate.ts");
const REPORTERS = [
  "--test-reporter=spec",
  "--test-reporter-destination=stdout",
  `--test-reporter=${GATE}`,
  "--test-reporter-destination=stderr",
];

/** `node --test` with the gate, as `npm run test:unit` runs it; asynchronous so tests can run beside it. */
async function nodeTest(cwd: string, files: string[]) {
  const p = spawn(process.execPath, ["--test", ...REPORTERS, ...files], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  p.stdout.on("data", (c: Buffer) => {
    stdout += c.toString("utf8");
  });
  p.stderr.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  const [code] = (await once(p, "close")) as [number | null];
  return { code, stdout, stderr };
}

describe("the skip gate", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "maos-skipgate-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, body: string): string {
    const p = path.join(dir, name);
    writeFileSync(p, `import { describe, test } from "node:test";\n${body}\n`);
    return p;
  }

  test("a skip that names no environment fails the run and is named", async () => {
    const f = file(
      "bare.test.ts",
      [
        'test("runs", () => {});',
        'test("skipped bare", { skip: true }, () => {});',
        'describe("a missing file", { skip: "vendor spec x is missing" }, () => { test("inner", () => {}); });',
        'test("skipped at run time", (t) => { t.skip(); });',
      ].join("\n"),
    );
    const r = await nodeTest(dir, [f]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /3 test\(s\) skipped without naming an environment they cannot have/);
    assert.match(r.stderr, /skipped bare \(.*bare\.test\.ts:3\): \(no reason given\)/);
    assert.match(r.stderr, /a missing file \(.*\): vendor spec x is missing/);
    assert.match(r.stderr, /skipped at run time/);
    assert.match(r.stderr, /starts with 'needs environment:'/);
  });

  test("a skip that names an environment passes, and is printed loudly", async () => {
    const f = file(
      "env.test.ts",
      [
        'test("runs", () => {});',
        'test("needs the tool", { skip: "needs environment: the frobnicate tool" }, () => {});',
      ].join("\n"),
    );
    const r = await nodeTest(dir, [f]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /!!! 1 test\(s\) SKIPPED: this machine lacks what they need/);
    assert.match(r.stderr, /needs the tool \(.*\): needs environment: the frobnicate tool/);
  });

  test("a run with no skips prints nothing more and keeps a failure a failure", async () => {
    const ok = await nodeTest(dir, [file("ok.test.ts", 'test("runs", () => {});')]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.equal(ok.stderr, "");
    const bad = await nodeTest(dir, [
      file("bad.test.ts", 'test("fails", () => { throw new Error("no"); });'),
    ]);
    assert.equal(bad.code, 1);
  });

  test("npm's test:unit script runs the gate", async () => {
    const { readFile } = await import("node:fs/promises");
    const pkg = JSON.parse(await readFile(path.join(REPO, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    for (const flag of REPORTERS.map((f) => f.replace(GATE, "./test/helpers/skipGate.ts")))
      assert.ok(pkg.scripts["test:unit"]?.includes(flag), `test:unit has ${flag}`);
  });
});

/** The repository's committed HEAD can be cloned here (a git checkout with git installed). */
function cloneable(): boolean {
  const r = spawnSync("git", ["-C", REPO, "rev-parse", "--verify", "HEAD"], { encoding: "utf8" });
  return r.status === 0;
}

describe("a clone with nothing beside it", {
  skip: cloneable() ? false : "needs environment: a git checkout of the project and git on PATH",
}, () => {
  let dir: string;
  let clone: string;
  before(() => {
    // The clone's parent holds nothing else: no ../shared/vendor-specs.
    dir = mkdtempSync(path.join(os.tmpdir(), "maos-anyclone-"));
    clone = path.join(dir, "maos-codex");
    const r = spawnSync("git", ["clone", "-q", REPO, clone], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    symlinkSync(path.join(REPO, "node_modules"), path.join(clone, "node_modules"));
    mkdirSync(path.join(clone, "data"), { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("has no shared/ beside it", () => {
    assert.deepEqual(readdirSync(dir), ["maos-codex"]);
  });

  test("runs the tests that validate against the vendor specs, none skipped", async () => {
    const files = ["test/slack/manifest.test.ts", "test/relays/clientsAndSetup.test.ts"];
    const r = await nodeTest(clone, files);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ℹ skipped 0/);
    assert.match(r.stdout, /validates against Slack's manifest schema 1\.0\.0/);
    assert.doesNotMatch(r.stderr, /SKIPPED|skipped without/);
  });
});
