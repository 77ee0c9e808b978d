import { readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { CodexError } from "../core/CodexError.ts";

/**
 * `.env` for `npm start` and `maos`: read from the working directory when present, into
 * `process.env`, with variables already set in the environment winning. Node's own parser
 * (util.parseEnv) reads the values; this file only checks that every line is an assignment, because
 * parseEnv skips a line it cannot read, and a silently dropped `MAOS_ROLES` would lock an operator out.
 */

/** Where each variable loaded from a .env file came from (`.env:7`), for the ledger's role-grant sources. */
const origins = new Map<string, string>();

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$/;

/** `FILE:LINE` for a variable that a .env file set in this process; undefined when the environment did. */
export function dotEnvOrigin(name: string): string | undefined {
  return origins.get(name);
}

export interface DotEnvLoad {
  file: string;
  /** Variables the file set (not already in the environment). */
  applied: string[];
  /** Variables the file names that the environment already set: the environment won. */
  shadowed: string[];
}

/**
 * Checks a .env file's text line by line; throws CONFIG_INVALID naming the file and the first bad
 * line. Returns each variable's line number. Quoted values may span lines, as parseEnv allows.
 */
export function checkDotEnv(text: string, file: string): Map<string, number> {
  const lines = text.split(/\r?\n/);
  const lineOf = new Map<string, number>();
  let open: { quote: string; line: number } | undefined;
  for (const [i, line] of lines.entries()) {
    const n = i + 1;
    if (open) {
      if (line.includes(open.quote)) open = undefined;
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const m = ASSIGNMENT.exec(line);
    if (!m) {
      throw new CodexError(
        "CONFIG_INVALID",
        `${file} line ${n} is not a NAME=value line: "${clip(trimmed)}"`,
        {
          hint: `write it as NAME=value (a comment starts with #), or remove the line; see .env.example`,
        },
      );
    }
    lineOf.set(m[1] as string, n);
    const value = (m[2] as string).trimStart();
    const quote = value[0];
    if (quote === '"' || quote === "'" || quote === "`") {
      if (!value.slice(1).includes(quote)) open = { quote, line: n };
    }
  }
  if (open) {
    throw new CodexError(
      "CONFIG_INVALID",
      `${file} line ${open.line} opens a ${open.quote} quote that is never closed`,
      { hint: `close the quote on line ${open.line} (values with spaces or # need quotes)` },
    );
  }
  return lineOf;
}

function clip(s: string): string {
  // A malformed line may hold a secret: show its start only.
  return s.length > 24 ? `${s.slice(0, 12)}…` : s;
}

/**
 * Loads `.env` from `cwd` into `target` when the file exists. Set variables win. Throws
 * CONFIG_INVALID on a malformed line; returns undefined when there is no file.
 */
export function loadDotEnv(
  cwd = process.cwd(),
  target: NodeJS.ProcessEnv = process.env,
  name = ".env",
): DotEnvLoad | undefined {
  const file = path.join(cwd, name);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new CodexError("CONFIG_INVALID", `${file} exists but cannot be read (${code})`, {
      hint: `fix its permissions or remove it`,
      cause: err,
    });
  }
  const lineOf = checkDotEnv(text, file);
  const values = parseEnv(text) as Record<string, string>;
  const applied: string[] = [];
  const shadowed: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (target[key] !== undefined) {
      shadowed.push(key);
      continue;
    }
    target[key] = value;
    applied.push(key);
    origins.set(key, `${name}:${lineOf.get(key) ?? "?"}`);
  }
  return { file, applied, shadowed };
}
