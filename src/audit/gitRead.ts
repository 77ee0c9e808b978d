import { spawn } from "node:child_process";
import { CodexError } from "../core/CodexError.ts";

/**
 * Runs a read-only git command in `dir` and returns its stdout. GIT_OPTIONAL_LOCKS=0 stops git from
 * refreshing the index as a side effect of reading, so a verifier leaves the folder as it found it; the
 * caller's GIT_* variables (GIT_DIR and the like would point git elsewhere) are dropped. Asynchronous,
 * so a verification never holds the event loop while git runs.
 */
export function gitRead(
  dir: string,
  args: readonly string[],
  opts: { input?: string; allowFail?: boolean } = {},
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.toUpperCase().startsWith("GIT_")) env[k] = v;
  }
  env.GIT_OPTIONAL_LOCKS = "0";
  env.GIT_TERMINAL_PROMPT = "0";
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["-C", dir, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (cause) =>
      reject(
        new CodexError("VAULT_BROKEN", `could not run git in ${dir}: ${cause.message}`, {
          hint: "install git: the vault is a git repository",
          cause,
        }),
      ),
    );
    child.on("close", (code) => {
      const stderr = Buffer.concat(err).toString("utf8").trim();
      if (code !== 0 && !opts.allowFail) {
        reject(
          new CodexError("VAULT_BROKEN", `git ${args[0]} failed in ${dir}: ${stderr || `exit ${code}`}`, {
            hint: "point --vault (or MAOS_HOME/vault) at the vault's git repository",
          }),
        );
        return;
      }
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/**
 * `git cat-file --batch` for many objects in one process: each name (`<rev>:<path>`) maps to its bytes,
 * or undefined when git reports it missing.
 */
export async function catFiles(
  dir: string,
  names: readonly string[],
): Promise<Map<string, Buffer | undefined>> {
  const result = new Map<string, Buffer | undefined>();
  if (names.length === 0) return result;
  const { stdout } = await gitRead(dir, ["cat-file", "--batch"], { input: `${names.join("\n")}\n` });
  let at = 0;
  for (const name of names) {
    const nl = stdout.indexOf(10, at);
    if (nl < 0) break;
    const header = stdout.subarray(at, nl).toString("utf8");
    at = nl + 1;
    const m = /^([0-9a-f]+) (\w+) (\d+)$/.exec(header);
    if (!m) {
      result.set(name, undefined);
      continue;
    }
    const size = Number(m[3]);
    result.set(name, m[2] === "blob" ? Buffer.from(stdout.subarray(at, at + size)) : undefined);
    at += size + 1;
  }
  return result;
}

/** `git cat-file --batch-check`: each name's object id, or undefined when missing. */
export async function objectIds(
  dir: string,
  names: readonly string[],
): Promise<Map<string, string | undefined>> {
  const result = new Map<string, string | undefined>();
  if (names.length === 0) return result;
  const { stdout } = await gitRead(dir, ["cat-file", "--batch-check=%(objectname) %(objecttype)"], {
    input: `${names.join("\n")}\n`,
  });
  const lines = stdout.toString("utf8").split("\n");
  names.forEach((name, i) => {
    const m = /^([0-9a-f]{40,64}) \w+$/.exec(lines[i] ?? "");
    result.set(name, m ? m[1] : undefined);
  });
  return result;
}
