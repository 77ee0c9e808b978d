/**
 * Replies and errors are written once, for every surface, naming chat's `/codex …` commands. On the
 * terminal the same hint must name the command a person types there, so the CLI rewrites them:
 * `/codex resume` → `maos resume`, `/codex client sync` → `maos client --sync`,
 * `/codex run S key=v` → `maos run S --input key=v`. Chat-only commands (approve, reject) and
 * commands said to be typed elsewhere ("/codex activate in the shell") stay as they are.
 */
const CHAT_ONLY = new Set(["approve", "reject"]);

/** One input word after `/codex run STACK`: key=value (a quoted value may hold spaces), or the usage text `[key=value …]`. */
const WORD = String.raw`(\[key=value …\]|[A-Za-z_][A-Za-z0-9_-]*=(?:"[^"]*"|\S+))`;
const INPUT = new RegExp(` ${WORD}`, "g");

const RULES: [RegExp, (...groups: string[]) => string][] = [
  [/\/codex client sync\b/g, () => "maos client --sync"],
  [/\/codex client list\b/g, () => "maos client"],
  [/\/codex help\b/g, () => "maos --help"],
  [/\/codex ledger tail (\d+)/g, (n) => `maos ledger tail -n ${n}`],
  [
    // WORD's group made non-capturing here: the callback takes only the stack and the inputs.
    new RegExp(String.raw`\/codex run (<stack>|[A-Za-z0-9_-]+)((?: ${WORD.replace("(", "(?:")})*)`, "g"),
    (stack, inputs) =>
      `maos run ${stack}${(inputs ?? "").replace(INPUT, (_m, word: string) => (word.startsWith("[") ? " [--input key=value …]" : ` --input ${word}`))}`,
  ],
];

export function forCli(text: string): string {
  let out = text;
  for (const [re, to] of RULES)
    out = out.replace(re, (_m, ...groups: unknown[]) => to(...(groups as string[])));
  // "/codex activate in the shell" names where it is typed: it stays as it is.
  return out.replace(/\/codex ([a-z]+)\b(?! in (?:the shell|Slack))/g, (m, name: string) =>
    CHAT_ONLY.has(name) ? m : `maos ${name}`,
  );
}
