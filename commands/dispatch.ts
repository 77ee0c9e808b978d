import { existsSync } from "node:fs";
import { coverLedger } from "../src/audit/checkpointKeeper.ts";
import { actorIdentity } from "../src/core/Actor.ts";
import { isCodexError } from "../src/core/CodexError.ts";
import { closestMatch } from "../src/core/closestMatch.ts";
import { personName } from "../src/core/personName.ts";
import type { Reply } from "../src/core/Reply.ts";
import { activateCommand } from "./activate.ts";
import { approveCommand, rejectCommand } from "./approve.ts";
import type { CommandContext, CommandSpec } from "./CommandSpec.ts";
import { cancelCommand } from "./cancel.ts";
import { clientCommand } from "./client.ts";
import { helpCommand } from "./help.ts";
import { incidentCommand } from "./incident.ts";
import { ledgerCommand } from "./ledger.ts";
import { memoryCommand } from "./memory.ts";
import { checkPermission, howToGrant, permissionOf, recordRefusal, unstaffedNote } from "./permissions.ts";
import { errorReply, orList } from "./replies.ts";
import { runCommand } from "./run.ts";
import { sealCommand } from "./seal.ts";
import { snapshotCommand } from "./snapshot.ts";
import { resumeCommand, stopCommand } from "./srr.ts";
import { stacksCommand } from "./stacks.ts";
import { statusCommand } from "./status.ts";

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

/** Every `/codex` subcommand, in the order help lists them. */
export const COMMANDS: CommandSpec[] = [];
COMMANDS.push(
  helpCommand(() => COMMANDS),
  runCommand,
  stacksCommand,
  statusCommand,
  ledgerCommand,
  cancelCommand,
  memoryCommand,
  approveCommand,
  rejectCommand,
  activateCommand,
  sealCommand,
  incidentCommand,
  stopCommand,
  resumeCommand,
  snapshotCommand,
  clientCommand,
);

/** The commands the caller may run, for help and for "unknown command" answers. */
export function commandsFor(ctx: CommandContext): CommandSpec[] {
  return COMMANDS.filter((c) => checkPermission(ctx, permissionOf(c, [])).allowed);
}

/**
 * Runs one `/codex` line for an adapter: looks the command up, checks the charter, runs it, and turns
 * every failure into a Reply. It never throws: a usage mistake gets the command's usage, a CodexError
 * its message and fix, anything else a short apology while the details go to the log.
 */
export async function dispatch(text: string, ctx: CommandContext): Promise<Reply> {
  try {
    return await dispatchOne(text, ctx);
  } finally {
    // A governed act is covered by a signed checkpoint before its reply goes out.
    coverQuietly(ctx);
  }
}

function coverQuietly(ctx: CommandContext): void {
  if (!existsSync(ctx.app.ledgerPath())) return;
  try {
    coverLedger(ctx.app);
  } catch (err) {
    ctx.app.log.warn({ err }, "could not sign a checkpoint after the command");
  }
}

async function dispatchOne(text: string, ctx: CommandContext): Promise<Reply> {
  let name = "";
  try {
    const parsed = parseCommandLine(text);
    name = parsed.name;
    const spec = COMMANDS.find((c) => c.name === parsed.name);
    if (!spec) return unknownCommand(parsed.name, ctx);

    const permission = permissionOf(spec, parsed.args);
    const { allowed, needed } = checkPermission(ctx, permission);
    if (!allowed) {
      await recordRefusal(ctx.app.ledger(), actorIdentity(ctx.actor), {
        command: permission,
        argCount: parsed.args.length,
        needed,
      });
      return refusal(permission, needed, ctx);
    }

    try {
      return await spec.run(parsed.args, ctx);
    } catch (err) {
      if (isCodexError(err) && err.code === "USAGE") {
        return errorReply(err.message, [{ kind: "context", text: `usage: /codex ${spec.usage}` }]);
      }
      throw err;
    }
  } catch (err) {
    if (isCodexError(err)) {
      return errorReply(err.message, err.hint ? [{ kind: "context", text: `fix: ${err.hint}` }] : []);
    }
    ctx.app.log.error({ err, command: name, actor: actorIdentity(ctx.actor) }, "command failed unexpectedly");
    return errorReply(
      `/codex ${name || "command"} failed on an unexpected error; the details are in the server log.`,
    );
  }
}

function unknownCommand(name: string, ctx: CommandContext): Reply {
  const mine = commandsFor(ctx).map((c) => c.name);
  const guess = closestMatch(name, mine);
  const lead = `there is no /codex command "${name}"${guess ? ` (did you mean \`${guess}\`?)` : ""}.`;
  return errorReply(lead, [
    {
      kind: "context",
      text:
        mine.length > 0
          ? `commands you may run: ${mine.join(", ")} (try \`/codex help\`)`
          : "the charter lets you run no commands",
    },
  ]);
}

function refusal(permission: string, needed: string[], ctx: CommandContext): Reply {
  const charterFile = ctx.app.charter().file;
  const who = needed.length > 0 ? `the ${orList(needed)} role` : "a role";
  const text =
    needed.length > 0
      ? `/codex ${permission.replaceAll(".", " ")} needs ${who}; you (${personName(ctx.actor)}) do not hold it.${unstaffedNote(ctx, needed)}`
      : `/codex ${permission.replaceAll(".", " ")} is not permitted to anyone: the charter has no permissions entry for "${permission}".`;
  return errorReply(text, [
    {
      kind: "context",
      text:
        needed.length > 0
          ? `fix: ${howToGrant(ctx, needed)}.`
          : `fix: add a permissions entry in ${charterFile} (MAOS_CHARTER).`,
    },
  ]);
}
