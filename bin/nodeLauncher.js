// Runs the project under a Node that can run it (>= 22, which strips TypeScript types), whatever
// `node` is first on PATH. Plain JavaScript that any Node >= 18 parses, because on an older Node this
// file is the only part of the project that runs. Decision, in order:
//   1. the current Node is >= 22.18 (types stripped by default): use it, change nothing;
//   2. the current Node is 22.x older than that: use it with --experimental-strip-types;
//   3. a Node the project installed earlier sits in .node/ (git-ignored): use it;
//   4. otherwise install `node-<platform>-<arch>@24` from the npm registry into .node/ once (the only
//      download; `npm install` does it ahead, in postinstall, so later runs need no network).
// Re-running under another Node keeps argv and the terminal, forwards signals, propagates the exit
// code, and gives the child an IPC channel whose loss ends it, so a killed launcher leaves no orphan.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const MIN_MAJOR = 22;
export const INSTALL_MAJOR = 24;
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PREFIX = "maos-codex";
const GUARD = pathToFileURL(path.join(ROOT, "bin", "orphanGuard.js")).href;

/** The npm package that holds the official Node binary for this machine, and where it lands in .node/. */
export function nodePackage(platform = process.platform, arch = process.arch) {
  return `node-${platform}-${arch}`;
}

export function localNodePath(root = ROOT, platform = process.platform, arch = process.arch) {
  return path.join(root, ".node", "node_modules", nodePackage(platform, arch), "bin", "node");
}

/**
 * Which Node runs the project. `version` is process.versions.node, `typescript` whether that Node strips
 * types by itself (process.features.typescript), `localNode` the path of an installed .node/ binary or
 * undefined. Pure, so it is tested with made-up versions.
 * @returns {{ use: "current", flags: string[] } | { use: "local", node: string, flags: string[] } | { use: "install", flags: string[] }}
 */
export function decide({ version, typescript, localNode }) {
  const major = Number(String(version).split(".")[0]);
  if (major >= MIN_MAJOR) {
    return {
      use: "current",
      flags: typescript ? [] : ["--experimental-strip-types", "--no-warnings=ExperimentalWarning"],
    };
  }
  if (localNode) return { use: "local", node: localNode, flags: [] };
  return { use: "install", flags: [] };
}

export class LauncherError extends Error {}

/** npm as the user runs it: the npm that is running us when there is one (npm start, npx), else PATH's. */
function npmCommand() {
  const cli = process.env.npm_execpath;
  if (cli && /npm-cli\.c?js$/.test(cli) && existsSync(cli)) return { cmd: process.execPath, args: [cli] };
  return { cmd: "npm", args: [] };
}

/**
 * The environment for the nested `npm install`: npm exports the outer command's settings as
 * npm_config_*, and some (prefix, global, omit, save, ignore_scripts…) would redirect or break the
 * install into .node/. Only the settings that say how to reach the registry are kept.
 */
export function installEnv(env) {
  const keep =
    /registry|^_auth|_auth$|^cafile$|^ca$|^cert$|^key$|^strict_ssl$|proxy$|^noproxy$|^userconfig$|^globalconfig$|^cache$|^offline$|^prefer_offline$|^prefer_online$|^fetch_|^maxsockets$|^loglevel$/;
  const out = {};
  for (const [k, v] of Object.entries(env)) {
    const m = /^npm_config_(.*)$/i.exec(k);
    if (m && !keep.test(m[1].toLowerCase())) continue;
    if (/^npm_(lifecycle|package)_/i.test(k)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * Installs Node from the npm registry into <root>/.node/ and returns its path. It installs into a
 * private folder first and renames it into place, so two launchers racing on a fresh clone cannot
 * leave a half-written .node/.
 */
export function installNode(root = ROOT, stderr = process.stderr) {
  const pkg = nodePackage();
  const spec = `${pkg}@${INSTALL_MAJOR}`;
  const target = localNodePath(root);
  const fix =
    `Fix: make sure npm can reach its registry (try \`npm ping\`), then run \`npm install\` again; ` +
    `or install Node.js ${MIN_MAJOR} or later and put it first on PATH.`;
  if (process.platform === "win32") {
    throw new LauncherError(
      `${PREFIX}: Node ${process.version} is older than ${MIN_MAJOR}, and installing Node into .node/ is not supported on Windows. Install Node.js ${INSTALL_MAJOR} and put it first on PATH.`,
    );
  }
  stderr.write(
    `${PREFIX}: Node ${process.version} is older than ${MIN_MAJOR}; installing Node ${INSTALL_MAJOR} (npm package ${spec}) into .node/ once...\n`,
  );
  const dir = path.join(root, ".node");
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(path.join(dir, ".install-"));
  try {
    const npm = npmCommand();
    const r = spawnSync(
      npm.cmd,
      [
        ...npm.args,
        "install",
        "--prefix",
        tmp,
        "--no-save",
        "--no-package-lock",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        spec,
      ],
      { cwd: tmp, env: installEnv(process.env), stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" },
    );
    const built = path.join(tmp, "node_modules", pkg, "bin", "node");
    if (r.error || r.status !== 0 || !existsSync(built)) {
      const why = r.error
        ? `could not run npm (${r.error.message})`
        : `npm install ${spec} exited ${r.status}${r.stderr ? `: ${lastLines(r.stderr)}` : ""}`;
      throw new LauncherError(`${PREFIX}: could not install Node ${INSTALL_MAJOR}: ${why}. ${fix}`);
    }
    if (!existsSync(target)) {
      rmSync(path.join(dir, "node_modules"), { recursive: true, force: true });
      try {
        renameSync(path.join(tmp, "node_modules"), path.join(dir, "node_modules"));
      } catch (err) {
        // Another launcher finished first: its copy is as good as ours.
        if (!existsSync(target)) throw err;
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return target;
}

function lastLines(text) {
  return text.trim().split("\n").slice(-3).join(" / ");
}

/**
 * The Node to run the project with, installing it when needed.
 * @returns {{ node: string, flags: string[], current: boolean }}
 */
export function resolveNode(root = ROOT, stderr = process.stderr) {
  const local = localNodePath(root);
  const d = decide({
    version: process.versions.node,
    typescript: Boolean(process.features?.typescript),
    localNode: existsSync(local) ? local : undefined,
  });
  if (d.use === "current") return { node: process.execPath, flags: d.flags, current: true };
  if (d.use === "local") return { node: d.node, flags: d.flags, current: false };
  return { node: installNode(root, stderr), flags: d.flags, current: false };
}

// SIGINT and SIGQUIT typed at a terminal reach the whole foreground process group, the child
// included; forwarding them too would deliver them twice, and the bot reads a second SIGINT as
// "stop now". Everything else, and every signal when we are not in a terminal's foreground, is forwarded.
const FORWARDED = ["SIGTERM", "SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR2"];
const TERMINAL_SIGNALS = new Set(["SIGINT", "SIGQUIT"]);

/** Whether this process is in the foreground process group of a terminal (Linux: /proc/self/stat). */
function inTerminalForeground() {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the command name: state ppid pgrp session tty_nr tpgid …
    const pgrp = Number(fields[2]);
    const tpgid = Number(fields[5]);
    return tpgid > 0 && tpgid === pgrp;
  } catch {
    return Boolean(process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY);
  }
}

/**
 * Runs `node [flags] args…` as a child that owns the terminal as we do, and mirrors its end: the same
 * exit code, or the same signal. Under a Node other than ours, that Node's folder goes first on the
 * child's PATH, so whatever the program starts (`node`, `npx maos`, npm) runs on it too and needs no
 * second launch. Never returns.
 */
export function runChild(node, args) {
  const env = { ...process.env, MAOS_LAUNCHED_BY: String(process.pid) };
  if (node !== process.execPath)
    env.PATH = [path.dirname(node), process.env.PATH].filter(Boolean).join(path.delimiter);
  const child = spawn(node, ["--import", GUARD, ...args], {
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    env,
  });
  const handlers = new Map();
  for (const sig of FORWARDED) {
    const h = () => {
      if (TERMINAL_SIGNALS.has(sig) && inTerminalForeground()) return;
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  child.on("error", (err) => {
    process.stderr.write(
      `${PREFIX}: could not start ${node}: ${err.message}. Fix: delete the .node/ folder and run \`npm install\` again.\n`,
    );
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    for (const [sig, h] of handlers) process.off(sig, h);
    if (signal) {
      // Die the same way, so a shell or supervisor sees what happened to the program.
      process.kill(process.pid, signal);
      process.exit(128 + (os.constants.signals[signal] ?? 1));
    }
    process.exit(code ?? 1);
  });
  // The child holds the IPC channel's other end; we never message it, so do not let it keep us alive.
  child.channel?.unref?.();
}

/** Entry: `node bin/nodeLauncher.js [node options] script [args]` is `node …` on a Node that can run it. */
export function launch(args) {
  let target;
  try {
    target = resolveNode();
  } catch (err) {
    if (!(err instanceof LauncherError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  // On a Node that runs the project itself, become `node args…` in place (same pid, same everything).
  if (target.current && typeof process.execve === "function") {
    process.execve(process.execPath, [process.execPath, ...target.flags, ...args], process.env);
  }
  runChild(target.node, [...target.flags, ...args]);
}
