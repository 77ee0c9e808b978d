import { CodexError } from "../core/CodexError.ts";

/**
 * Checks that `path` is a plain relative POSIX path that stays inside its base folder: no leading
 * slash, no backslash, no empty, `.` or `..` segment, no `.git` segment, no control characters.
 * Returns it unchanged; throws REFUSED otherwise, since writing it would escape the vault's layout.
 */
export function safeRelPath(path: string, where: string): string {
  const problem = pathProblem(path);
  if (problem) {
    throw new CodexError("REFUSED", `refusing to write ${JSON.stringify(path)} in ${where}: ${problem}`, {
      hint: "use a relative path with forward slashes, without '.', '..' or '.git' segments",
    });
  }
  return path;
}

function pathProblem(path: string): string | undefined {
  if (path.length === 0) return "the path is empty";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we reject.
  if (/[\u0000-\u001f\u007f]/.test(path)) return "it contains a control character";
  if (path.includes("\\")) return "it contains a backslash";
  if (path.startsWith("/")) return "it is absolute";
  for (const segment of path.split("/")) {
    if (segment === "") return "it has an empty segment";
    if (segment === "." || segment === "..") return `it has a '${segment}' segment`;
    if (segment.toLowerCase() === ".git") return "it has a '.git' segment";
  }
  return undefined;
}
