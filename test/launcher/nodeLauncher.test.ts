/**
 * The launcher (bin/nodeLauncher.js) that lets `npm start`, `npm test` and `npx maos` run on any Node:
 * its decision, and the real processes it starts. The re-exec path runs with this Node as the child;
 * the old-Node path runs with a Node older than 22 when the machine has one (these machines ship Node
 * 20 at /usr/bin/node), installing from a fake npm registry on loopback.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { decide, installEnv, nodePackage } from "../../bin/nodeLauncher.js";
import { type FakeRegistry, startFakeRegistry } from "../fakes/npmRegistry.ts";
import { REPO } from "../helpers/testApp.ts";

const LAUNCHER = pathToFileURL(path.join(REPO, "bin", "nodeLauncher.js")).href;

describe("which Node runs the project", () => {
  test("a Node that strips types itself is used as it is", () => {
    assert.deepEqual(decide({ version: "24.22.3", typescript: true, localNode: undefined }), {
      use: "current",
      flags: [],
    });
  });
  test("an older Node 22 is used with --experimental-strip-types", () => {
    assert.deepEqual(decide({ version: "22.12.0", typescript: false, localNode: "/x/node" }), {
      use: "current",
      flags: ["--experimental-strip-types", "--no-warnings=ExperimentalWarning"],
    });
  });
  test("Node 20 uses the Node in .node/ when there is one, else installs it", () => {
    assert.deepEqual(decide({ version: "20.20.2", typescript: false, localNode: "/r/.node/bin/node" }), {
      use: "local",
      node: "/r/.node/bin/node",
      flags: [],
    });
    assert.deepEqual(decide({ version: "18.20.0", typescript: false, localNode: undefined }), {
      use: "install",
      flags: [],
    });
  });
  test("the nested npm install keeps how to reach the registry and drops what would redirect it", () => {
    const env = installEnv({
      PATH: "/bin",
      npm_config_registry: "http://127.0.0.1:1/",
      npm_config_cafile: "/etc/ca.pem",
      npm_config_userconfig: "/root/.npmrc",
      npm_config_prefix: "/elsewhere",
      npm_config_global: "true",
      npm_config_omit: "dev",
      npm_config_ignore_scripts: "true",
      npm_lifecycle_event: "postinstall",
      npm_package_name: "maos-codex",
    });
    assert.deepEqual(Object.keys(env).sort(), [
      "PATH",
      "npm_config_cafile",
      "npm_config_registry",
      "npm_config_userconfig",
    ]);
  });
});

/** A child script that reports itself, then behaves as `mode` says. */
const CHILD = `
const mode = process.argv[2];
// The handler first: the test signals as soon as it reads the report line.
process.on("SIGTERM", () => { process.stdout.write("child got SIGTERM\\n"); process.exit(5); });
process.stdout.write(JSON.stringify({ pid: process.pid, version: process.version, argv: process.argv.slice(2), path: process.env.PATH }) + "\\n");
if (mode === "exit") process.exit(Number(process.argv[3]));
if (mode === "wait") setInterval(() => {}, 1 << 30);
if (mode === "die") process.kill(process.pid, "SIGKILL");
`;

describe("re-running under another Node (the real current Node as the child)", () => {
  let dir: string;
  let child: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "maos-launcher-"));
    child = path.join(dir, "child.mjs");
    writeFileSync(child, CHILD);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  interface Launched {
    p: ChildProcess;
    /** The child's first line: who it is. */
    first: Promise<{ pid: number; version: string; argv: string[] }>;
    /** Everything on stdout, once every writer (launcher and child) has closed it. */
    all: Promise<string>;
  }

  /** Reads a process's stdout without an async iterator, which would destroy the stream when left early. */
  function watch(p: ChildProcess): Launched {
    let out = "";
    const stdout = p.stdout as NodeJS.ReadableStream;
    const first = new Promise<{ pid: number; version: string; argv: string[] }>((resolve, reject) => {
      stdout.on("data", (c: Buffer) => {
        out += c.toString("utf8");
        const nl = out.indexOf("\n");
        if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
      });
      stdout.on("end", () => reject(new Error(`no first line: ${out}`)));
    });
    const all = new Promise<string>((resolve) => stdout.on("end", () => resolve(out)));
    return { p, first, all };
  }

  /** A launcher process that runs `node child.mjs args…` through runChild. */
  function launcher(args: string[]): Launched {
    const code = `import(${JSON.stringify(LAUNCHER)}).then((m) => m.runChild(process.execPath, ${JSON.stringify([child, ...args])}))`;
    return watch(spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "pipe"] }));
  }

  test("argv reaches the child unchanged and its exit code comes back", async () => {
    const l = launcher(["exit", "7", "--flag=a b", ""]);
    const exited = once(l.p, "exit");
    const me = await l.first;
    assert.deepEqual(me.argv, ["exit", "7", "--flag=a b", ""]);
    assert.notEqual(me.pid, l.p.pid);
    assert.deepEqual(await exited, [7, null]);
  });

  test("a child that simply finishes is not kept alive by the launcher's channel", async () => {
    const l = launcher(["done"]);
    const exited = once(l.p, "exit");
    await l.first;
    assert.deepEqual(await exited, [0, null]);
  });

  test("SIGTERM to the launcher reaches the child, and the launcher exits as the child did", async () => {
    const l = launcher(["wait"]);
    const exited = once(l.p, "exit");
    await l.first;
    l.p.kill("SIGTERM");
    assert.match(await l.all, /child got SIGTERM/);
    assert.deepEqual(await exited, [5, null]);
  });

  test("a child killed by a signal makes the launcher end by the same signal", async () => {
    const l = launcher(["die"]);
    const exited = once(l.p, "exit");
    assert.deepEqual(await exited, [null, "SIGKILL"]);
  });

  test("kill -9 of the launcher stops the child (no orphan keeps running)", async () => {
    const l = launcher(["wait"]);
    const me = await l.first;
    l.p.kill("SIGKILL");
    // stdout ends only when every writer, the child included, has closed it.
    assert.match(await l.all, /child got SIGTERM/);
    // Its stdout closes a moment before the process is reaped: wait for that (the test's timeout bounds it).
    while (running(me.pid)) await new Promise((r) => setImmediate(r));
    assert.ok(!running(me.pid), `the child ${me.pid} is still running`);
  });

  test("on a Node that runs the project, bin/node.js becomes the program in place (same pid)", async () => {
    const l = watch(
      spawn(process.execPath, [path.join(REPO, "bin", "node.js"), child, "exit", "3"], {
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    const exited = once(l.p, "exit");
    const me = await l.first;
    assert.equal(me.pid, l.p.pid);
    assert.equal(me.version, process.version);
    assert.deepEqual(await exited, [3, null]);
  });
});

/** Whether a process is alive: gone, or a zombie waiting for init to reap it, counts as not running. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** A Node older than 22 on this machine, to run the launcher as a fresh clone meets it. */
function oldNode(): string | undefined {
  for (const candidate of [process.env.MAOS_TEST_OLD_NODE, "/usr/bin/node", "/usr/local/bin/node"]) {
    if (!candidate || !existsSync(candidate)) continue;
    const r = spawnSync(candidate, ["-p", "process.versions.node"], { encoding: "utf8" });
    if (r.status === 0 && Number(r.stdout.split(".")[0]) < 22) return candidate;
  }
  return undefined;
}

const OLD = oldNode();

describe("on a Node older than 22", {
  skip: OLD
    ? false
    : "needs environment: a Node older than 22 (at /usr/bin/node, or named by MAOS_TEST_OLD_NODE)",
}, () => {
  let root: string;
  let registry: FakeRegistry;
  let child: string;
  before(async () => {
    // A copy of the project's entry points, with the real sources linked in.
    root = mkdtempSync(path.join(os.tmpdir(), "maos-oldnode-"));
    mkdirSync(path.join(root, "bin"));
    for (const f of readdirSync(path.join(REPO, "bin")))
      copyFileSync(path.join(REPO, "bin", f), path.join(root, "bin", f));
    copyFileSync(path.join(REPO, "package.json"), path.join(root, "package.json"));
    for (const d of ["src", "commands", "stacks", "node_modules", "charter.yml"])
      symlinkSync(path.join(REPO, d), path.join(root, d));
    child = path.join(root, "child.mjs");
    writeFileSync(child, CHILD);
    // The "Node 24" in the fake registry is a script that runs this Node.
    registry = await startFakeRegistry({
      name: nodePackage(),
      version: "24.0.0",
      files: { "bin/node": `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} "$@"\n` },
    });
  });
  after(async () => {
    await registry?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** Runs the old Node; asynchronously, because the fake registry answers from this process. */
  async function run(args: string[], registryUrl = registry.url) {
    const p = spawn(OLD as string, args, {
      cwd: root,
      env: {
        PATH: `${path.dirname(OLD as string)}:/usr/bin:/bin`,
        HOME: root,
        npm_config_registry: registryUrl,
        npm_config_cache: path.join(root, ".npm-cache"),
        npm_config_userconfig: path.join(root, ".npmrc-none"),
        npm_config_fetch_retries: "0",
        MAOS_HOME: path.join(root, "data"),
      },
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
    const [code, signal] = (await once(p, "close")) as [number | null, NodeJS.Signals | null];
    return { code, signal, stdout, stderr };
  }

  test("without the registry it says what failed and how to fix it, and exits 1", async () => {
    const r = await run([path.join(root, "bin", "node.js"), child, "exit", "0"], "http://127.0.0.1:9/");
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.match(
      lines[0] ?? "",
      /is older than 22; installing Node 24 \(npm package node-\S+@24\) into \.node\/ once/,
    );
    assert.match(r.stderr, /could not install Node 24: npm install node-\S+@24 exited/);
    assert.match(r.stderr, /Fix: make sure npm can reach its registry/);
    assert.equal(existsSync(path.join(root, ".node", "node_modules")), false);
    assert.equal(r.stdout, "");
  });

  test("the first run installs Node 24 from the registry once, with one line on stderr, then runs the program under it", async () => {
    const first = await run([path.join(root, "bin", "node.js"), child, "exit", "4", "x y"]);
    assert.equal(first.code, 4, first.stderr);
    assert.equal(first.stderr.trim().split("\n").length, 1, first.stderr);
    assert.match(first.stderr, /installing Node 24 \(npm package node-\S+@24\) into \.node\/ once/);
    const me = JSON.parse(first.stdout.split("\n")[0] ?? "");
    assert.equal(me.version, process.version, "the program ran on the installed Node, not the old one");
    assert.deepEqual(me.argv, ["exit", "4", "x y"]);
    // What the program starts by name (node, npx, npm) runs on the installed Node too.
    assert.equal(me.path?.split(":")[0], path.join(root, ".node", "node_modules", nodePackage(), "bin"));
    assert.ok(registry.requests.some((u) => u.endsWith(".tgz")));
    assert.deepEqual(
      readdirSync(path.join(root, ".node")).filter((f) => f.startsWith(".install-")),
      [],
      "no install folder is left behind",
    );

    const seen = registry.requests.length;
    const second = await run([path.join(root, "bin", "node.js"), child, "exit", "0"]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stderr, "");
    assert.equal(registry.requests.length, seen, "the second run needs no registry");
  });

  test("postinstall says which Node the project runs on", async () => {
    const r = await run([path.join(root, "bin", "installNode.js")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /older than 22; npm start, npm test and npx maos run on Node v24\.0\.0 from \.node\//,
    );
  });

  test("`maos` runs on the installed Node: stacks list and --help", async () => {
    const list = await run([path.join(root, "bin", "maos.js"), "stacks", "list", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    const names = (JSON.parse(list.stdout) as { stacks: { name: string }[] }).stacks.map((s) => s.name);
    assert.ok(names.includes("marketing_ops"), list.stdout);
    const help = await run([path.join(root, "bin", "maos.js"), "--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: maos/);
    assert.equal(help.stderr, "");
  });
});
