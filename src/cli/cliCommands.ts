import type { Interface as ReadlineInterface } from "node:readline";
import { type Command, Option } from "commander";
import type { AnyCommand, CommandContext } from "../../commands/CommandSpec.ts";
import { CLI_GROUPS, CLI_ORDER, COMMANDS } from "../../commands/registry.ts";
import { checkInput } from "../../commands/words.ts";
import type { App } from "../app/App.ts";
import { localActor } from "../core/Actor.ts";
import { replyToText } from "../core/replyText.ts";
import { lineQuestions, terminalAsker } from "../terminal/askInputs.ts";
import { runProgress } from "../terminal/runProgress.ts";
import { forCli } from "./cliWording.ts";
import type { CliIO } from "./main.ts";
import {
  renderEntries,
  renderLedgerVerify,
  renderProof,
  renderRun,
  renderStacks,
  renderValidation,
  renderVaultVerify,
} from "./renderText.ts";

/** What main() lends the commands: the app (built on first use), the streams, and how a result is printed. */
export interface CliHost {
  getApp(): Promise<App>;
  io: CliIO;
  act<A extends unknown[]>(fn: (...args: A) => Promise<number> | number): (...args: A) => Promise<void>;
  emit(value: unknown, text: () => string): void;
}

/**
 * The terminal's own renderings of some commands' data; every other command prints its Reply as text
 * (with hints rewritten for the terminal). `--json` always prints the data.
 */
// biome-ignore lint/suspicious/noExplicitAny: each renderer takes its own command's data
const TEXT: Record<string, (data: any) => string> = {
  run: renderRun,
  "stacks list": renderStacks,
  "stacks validate": renderValidation,
  "ledger tail": renderEntries,
  "ledger verify": renderLedgerVerify,
  "ledger proof inclusion": renderProof,
  "ledger proof consistency": renderProof,
  "ledger checkpoint": (c: { note: string }) => c.note.trimEnd(),
  "vault verify": renderVaultVerify,
};

/**
 * The `maos` command tree, generated from the registry's CLI forms in `maos --help`'s order: each
 * command's arguments and options fill its input, the charter is checked (unless the form is the
 * read-only verification an auditor runs), the command runs, and its outcome is the exit code.
 */
export function addRegistryCommands(program: Command, host: CliHost): void {
  const parents = new Map<string, Command>();
  const parentOf = (path: readonly string[]): Command => {
    let at = program;
    for (let i = 1; i < path.length; i++) {
      const key = path.slice(0, i).join(" ");
      let next = parents.get(key);
      if (!next) {
        next = at.command(path[i - 1] as string).description(CLI_GROUPS[key] ?? "");
        parents.set(key, next);
      }
      at = next;
    }
    return at;
  };
  const rank = (s: AnyCommand) => {
    const i = CLI_ORDER.indexOf(s.name);
    return i < 0 ? CLI_ORDER.length : i;
  };
  for (const spec of COMMANDS.filter((s) => s.cli).sort((a, b) => rank(a) - rank(b))) {
    const form = spec.cli;
    if (!form) continue;
    const cmd = parentOf(form.path)
      .command(form.path.at(-1) as string)
      .description(form.description);
    for (const a of form.args ?? []) {
      if (a.parse) cmd.argument(a.name, a.description, a.parse, a.default);
      else cmd.argument(a.name, a.description, a.default);
    }
    for (const o of form.options ?? []) {
      const option = new Option(o.flags, o.description);
      if (o.parse) option.argParser(o.parse);
      if (o.default !== undefined) option.default(o.default);
      if (o.required) option.makeOptionMandatory();
      cmd.addOption(option);
    }
    cmd.option("--json", "print one JSON document");
    cmd.action(host.act((...args: unknown[]) => runOne(spec, args, host)));
  }
}

async function runOne(spec: AnyCommand, args: unknown[], host: CliHost): Promise<number> {
  const form = spec.cli;
  if (!form) return 2;
  const positional = form.args ?? [];
  const opts = (args[positional.length] ?? {}) as Record<string, unknown>;
  const raw: Record<string, unknown> = {};
  positional.forEach((a, i) => {
    raw[a.key] = args[i];
  });
  for (const o of form.options ?? []) raw[o.key] = opts[o.attribute ?? o.key];
  const app = await host.getApp();
  const actor = localActor("cli");
  const ctx: CommandContext = { app, actor };
  if (!form.ungoverned) {
    const [{ authorize }, { commandApprovals }] = await Promise.all([
      import("../../commands/permissions.ts"),
      import("../approvals/commandApprovals.ts"),
    ]);
    ctx.approvals = commandApprovals(app.approvals());
    // The charter's check holds here as on chat, before the input is read or anything is asked for.
    await authorize(ctx, typeof spec.permission === "string" ? spec.permission : spec.permission(raw));
  }
  const input = await checkInput(spec, raw);
  const { io } = host;
  const json = Boolean(opts.json);
  const prompt = terminalPrompt(io);
  try {
    const outcome = await spec.execute(input, {
      actor,
      ...(ctx.approvals ? { approvals: ctx.approvals } : {}),
      ...(prompt ? { askInputs: prompt.asker } : {}),
      // Per-agent progress on a TTY (stderr, so stdout stays the result).
      ...(json || !io.stderr.isTTY
        ? {}
        : { onProgress: runProgress((s) => io.stderr.write(s), "overwrite") }),
      deps: app,
      surface: "cli",
    });
    const text = TEXT[spec.name];
    host.emit(outcome.data, () => (text ? text(outcome.data) : forCli(replyToText(outcome.reply))));
    return outcome.ok ? 0 : 1;
  } finally {
    prompt?.close();
  }
}

/**
 * Asks for a run's missing inputs at a prompt on stderr when stdin and stderr are terminals (stdout
 * may be piped); the prompt opens on the first question only.
 */
function terminalPrompt(io: CliIO): { asker: ReturnType<typeof terminalAsker>; close(): void } | undefined {
  const stdin = io.stdin ?? process.stdin;
  if (!stdin.isTTY || !io.stderr.isTTY) return undefined;
  let rl: ReadlineInterface | undefined;
  let ask: ((prompt: string) => Promise<string | undefined>) | undefined;
  const asker = terminalAsker(
    async (prompt) => {
      if (!rl || !ask) {
        const readline = await import("node:readline");
        const created = readline.createInterface({ input: stdin, output: io.stderr, terminal: true });
        created.on("SIGINT", () => created.close());
        rl = created;
        ask = lineQuestions(created, io.stderr);
      }
      return ask(prompt);
    },
    (text) => io.stderr.write(`${text}\n`),
  );
  return { asker, close: () => rl?.close() };
}
