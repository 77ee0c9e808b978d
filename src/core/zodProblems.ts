import type { z } from "zod";
import { closestMatch } from "./closestMatch.ts";
import type { YamlProblem } from "./problems.ts";
import type { YamlSource } from "./YamlSource.ts";

/** The keys a mapping at `path` accepts, for "did you mean" on unknown keys. */
export type KnownKeys = (path: ReadonlyArray<PropertyKey>) => readonly string[];

const TYPE_NAMES: Record<string, string> = {
  object: "a mapping (key: value lines)",
  record: "a mapping (key: value lines)",
  array: "a list (- item lines)",
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

/** Names a YAML value the way its author would see it. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing (empty value)";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur = data;
  for (const part of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

function bound(issue: { inclusive?: boolean }, word: "least" | "most"): string {
  return issue.inclusive === false ? (word === "least" ? "more than" : "less than") : `at ${word}`;
}

/** Turns zod issues into problems pinned to the YAML nodes they concern, one clear sentence each. */
export function zodProblems(
  issues: readonly z.core.$ZodIssue[],
  source: YamlSource,
  knownKeys: KnownKeys,
): YamlProblem[] {
  const problems: YamlProblem[] = [];
  for (const issue of issues) {
    const path = issue.path;
    const value = valueAt(source.data, path);
    switch (issue.code) {
      case "unrecognized_keys": {
        const known = knownKeys(path);
        for (const key of issue.keys) {
          const guess = closestMatch(key, known);
          const suggestion = guess ? `did you mean "${guess}"? ` : "";
          problems.push(
            source.keyProblem(
              path,
              key,
              `unknown key "${key}"; ${suggestion}known keys: ${known.join(", ")}`,
            ),
          );
        }
        break;
      }
      case "invalid_type": {
        const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
        const message =
          value === undefined
            ? `required field is missing (expected ${expected})`
            : `expected ${expected}, got ${describeValue(value)}`;
        problems.push(source.problem(path, message));
        break;
      }
      case "invalid_union": {
        const discriminated = issue as { discriminator?: string; options?: unknown[] };
        const message = discriminated.discriminator
          ? `expected ${discriminated.discriminator} to be one of: ${(discriminated.options ?? []).join(", ")}; got ${describeValue(value)}`
          : issue.message;
        problems.push(source.problem(path, message));
        break;
      }
      case "invalid_value": {
        const values = issue.values.map(String);
        const guess = typeof value === "string" ? closestMatch(value, values) : undefined;
        const suggestion = guess ? ` (did you mean "${guess}"?)` : "";
        problems.push(
          source.problem(
            path,
            `expected one of: ${values.join(", ")}; got ${describeValue(value)}${suggestion}`,
          ),
        );
        break;
      }
      case "invalid_key": {
        // A record key that fails its pattern: point at the key itself, with the pattern's message.
        const key = String(path[path.length - 1] ?? "");
        const why = issue.issues[0]?.message ?? issue.message;
        problems.push(source.keyProblem(path.slice(0, -1), key, `invalid key "${key}": ${why}`));
        break;
      }
      case "too_small": {
        const min = Number(issue.minimum);
        const message =
          issue.origin === "array"
            ? `needs ${bound(issue, "least")} ${min} item${min === 1 ? "" : "s"}`
            : issue.origin === "string"
              ? min <= 1
                ? "must not be empty"
                : `must be ${bound(issue, "least")} ${min} characters`
              : `must be ${bound(issue, "least")} ${min}; got ${describeValue(value)}`;
        problems.push(source.problem(path, message));
        break;
      }
      case "too_big": {
        const max = Number(issue.maximum);
        const message =
          issue.origin === "array"
            ? `allows ${bound(issue, "most")} ${max} items`
            : issue.origin === "string"
              ? `must be ${bound(issue, "most")} ${max} characters`
              : `must be ${bound(issue, "most")} ${max}; got ${describeValue(value)}`;
        problems.push(source.problem(path, message));
        break;
      }
      default:
        problems.push(source.problem(path, issue.message));
    }
  }
  return problems;
}
