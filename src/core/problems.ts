import { CodexError, type ErrorCode } from "./CodexError.ts";

/** One thing wrong in a YAML file, pinned to where it is. `line` and `col` are 1-based. */
export interface YamlProblem {
  file: string;
  line: number;
  col: number;
  /** The field, as written in YAML: `agents[1].depends_on[0]`; "" for the whole document. */
  path: string;
  message: string;
}

/** `file:line:col: path: message`, the form editors and terminals turn into a link. */
export function formatProblem(p: YamlProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path === "" ? "(top level)" : p.path}: ${p.message}`;
}

/** Joins a YAML path the way a reader writes it: `agents[0].depends_on[1]`. */
export function pathString(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** A CodexError listing every problem, one per line, with the problems themselves as `details`. */
export function problemsError(code: ErrorCode, problems: YamlProblem[], hint: string): CodexError {
  const sorted = [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
  const lines = sorted.map(formatProblem);
  const message =
    lines.length === 1
      ? (lines[0] ?? "")
      : `${sorted[0]?.file ?? "file"} has ${lines.length} problems:\n  ${lines.join("\n  ")}`;
  return new CodexError(code, message, { hint, details: sorted });
}
