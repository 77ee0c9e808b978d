import type { z } from "zod";
import { CodexError } from "../src/core/CodexError.ts";
import type { AnyCommand, ChatForm } from "./CommandSpec.ts";

/** Straight and typographic double quotes; Slack turns "…" into “…” when smart quotes are on. */
const QUOTES = new Set(['"', "“", "”", "„"]);

/**
 * Splits the text after `/codex` into a command name and its words. Double quotes (straight or smart)
 * group words and may sit inside a word: `event="Midwest Expo"` is one word, `event=Midwest Expo`.
 * An unclosed quote runs to the end. Empty text means `help`.
 */
export function parseCommandLine(text: string): { name: string; args: string[] } {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quoted = false;
  for (const ch of text) {
    if (QUOTES.has(ch)) {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && /\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  const [name, ...args] = words;
  return { name: name === undefined ? "help" : name.toLowerCase(), args };
}

/** A /codex input word: `key=value`, the key an identifier. */
export const INPUT_WORD = /^([A-Za-z_][A-Za-z0-9_-]*)=([\s\S]*)$/;

/** `key=value` words into a record; anything else, or a key given twice, is a usage error. */
export function inputPairs(words: readonly string[]): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const word of words) {
    const m = INPUT_WORD.exec(word);
    if (!m) {
      throw new CodexError(
        "USAGE",
        `"${word}" is not an input: write inputs as key=value (quote values with spaces: event="Midwest Expo")`,
      );
    }
    const key = m[1] as string;
    if (key in inputs) throw new CodexError("USAGE", `input "${key}" is given twice`);
    inputs[key] = m[2] as string;
  }
  return inputs;
}

/**
 * The one parser of typed words (Slack, the shell): fills a command's input from the words after its
 * name by the positions its chat form declares, then checks it against the command's schema. Every
 * mistake is a USAGE error, which the dispatcher shows with the command's usage.
 */
export async function wordsToInput(
  form: ChatForm,
  command: string,
  words: readonly string[],
  spec: AnyCommand,
): Promise<unknown> {
  const args = form.args ?? [];
  const wrong = () =>
    new CodexError(
      "USAGE",
      form.wrongCount ??
        (args.length === 0
          ? `/codex ${command} takes no arguments`
          : `/codex ${command} takes other arguments`),
    );
  // The count first, so "show INC-1 INC-2" is told it takes one id before the first is looked at.
  const variadic = args.some((a) => a.variadic) || form.pairs !== undefined;
  const least = args.filter((a) => !a.optional).length;
  if (words.length < least || (!variadic && words.length > args.length)) throw wrong();
  const raw: Record<string, unknown> = {};
  let i = 0;
  for (const arg of args) {
    if (arg.variadic) {
      const rest = words.slice(i);
      if (rest.length === 0 && !arg.optional) throw wrong();
      raw[arg.key] = arg.parse ? rest.map((w) => arg.parse?.(w)) : rest;
      i = words.length;
      continue;
    }
    const word = words[i];
    if (word === undefined) {
      if (arg.default !== undefined) raw[arg.key] = arg.default;
      continue;
    }
    raw[arg.key] = arg.parse ? arg.parse(word) : word;
    i++;
  }
  if (form.pairs) {
    raw[form.pairs] = inputPairs(words.slice(i));
    i = words.length;
  }
  if (i < words.length) throw wrong();
  return checkInput(spec, raw);
}

const schemas = new WeakMap<AnyCommand, z.ZodType>();

/** Checks a raw input against a command's schema; the first problem becomes a USAGE error. */
export async function checkInput(spec: AnyCommand, raw: unknown): Promise<unknown> {
  if (spec.plainInput && raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const plain = spec.plainInput(raw as Record<string, unknown>);
    if (plain !== undefined) return plain;
  }
  let schema = schemas.get(spec);
  if (!schema) {
    const { z } = await import("zod");
    schema = spec.input(z) as z.ZodType;
    schemas.set(spec, schema);
  }
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw new CodexError("USAGE", r.error.issues[0]?.message ?? "the command's arguments do not fit");
}

/** `--input key=value`, repeatable, into one record. */
export function collectInput(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) {
    throw new CodexError("USAGE", `--input expects key=value, got "${value}"`, {
      hint: 'write it as --input event="Midwest Builders Expo 2027"',
    });
  }
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1) };
}

/** A size or a seq: 0, 1, 2 … */
export function parseWhole(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new CodexError("USAGE", `expected a whole number, got "${value}"`, {
      hint: "sizes and seqs are whole numbers: the genesis is seq 0, and a size counts it",
    });
  }
  return n;
}

/** `-n N`: 1, 2 … */
export function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new CodexError("USAGE", `-n expects a positive whole number, got "${value}"`);
  return n;
}
