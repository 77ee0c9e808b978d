import { existsSync } from "node:fs";
import type { App } from "../src/app/App.ts";
import { coverLedger } from "../src/audit/checkpointKeeper.ts";
import { type Actor, actorIdentity } from "../src/core/Actor.ts";
import { CodexError, isCodexError } from "../src/core/CodexError.ts";
import { closestMatch } from "../src/core/closestMatch.ts";
import { personName } from "../src/core/personName.ts";
import type { Reply } from "../src/core/Reply.ts";
import { rolesOf } from "../src/governance/charter.ts";
import type { AnyCommand, CommandContext } from "./CommandSpec.ts";
import { chatRefusal, checkPermission, permissionOf, type RoleDeps } from "./permissions.ts";
import { CHAT_GROUPS, COMMANDS } from "./registry.ts";
import { errorReply } from "./replies.ts";
import { parseCommandLine, wordsToInput } from "./words.ts";

export { parseCommandLine } from "./words.ts";

/** One `/codex` word as help and usage errors show it: a lone command, or a group (`incident`). */
export interface ChatCommand {
  name: string;
  usage: string;
  summary: string;
  /** The permission of the form run with no further words: what "may run" means for help. */
  permission: string;
  forms: { usage: string; permission: string }[];
  members: AnyCommand[];
}

/** The `/codex` words, in help's order, each with the registry entries it selects among. */
export function chatCommands(): ChatCommand[] {
  const out: ChatCommand[] = [];
  for (const spec of COMMANDS) {
    const word = spec.chat?.words[0];
    if (!word) continue;
    const known = out.find((c) => c.name === word);
    if (known) {
      known.members.push(spec);
      continue;
    }
    const group = CHAT_GROUPS[word];
    const permission = permissionOf(spec, {});
    out.push({
      name: word,
      usage: group?.usage ?? spec.usage,
      summary: group?.summary ?? spec.summary,
      permission,
      forms: group?.forms ?? [{ usage: group?.usage ?? spec.usage, permission }],
      members: [spec],
    });
  }
  return out;
}

/** The commands the caller may run, for help and for "unknown command" answers. */
export function commandsFor(ctx: { app: RoleDeps; actor: Actor }): ChatCommand[] {
  return chatCommands().filter((c) => checkPermission(ctx.app, ctx.actor, c.permission).allowed);
}

/** `help`: the commands the caller may run, with their usage; a group lists only its permitted forms. */
export function helpReply(deps: RoleDeps, actor: Actor): Reply {
  const lines: string[] = [];
  const mine = chatCommands().filter((c) => {
    const forms = c.forms.filter((f) => checkPermission(deps, actor, f.permission).allowed);
    for (const f of forms) lines.push(`• \`/codex ${f.usage}\`: ${c.summary}`);
    return forms.length > 0;
  });
  const roles = rolesOf(deps.charter(), actor.id, actor.groups ?? [], deps.extraRoles());
  return {
    summary: `MAOS Codex: ${mine.length} commands you may run`,
    ephemeral: true,
    parts: [
      { kind: "header", text: "MAOS Codex commands" },
      { kind: "text", text: lines.join("\n") },
      {
        kind: "context",
        text: `you are ${personName(actor)}; your roles: ${roles.length > 0 ? roles.join(", ") : "(none)"}. Only the commands the charter lets you run are listed.`,
      },
    ],
  };
}

/**
 * Runs one `/codex` line for an adapter (Slack, the shell): looks the command up, checks the charter,
 * parses the words into the command's input, runs it, and turns every failure into a Reply. It never
 * throws: a usage mistake gets the command's usage, a CodexError its message and fix, anything else a
 * short apology while the details go to the log.
 */
export async function dispatch(text: string, ctx: CommandContext): Promise<Reply> {
  try {
    return await dispatchOne(text, ctx);
  } finally {
    // A governed act is covered by a signed checkpoint before its reply goes out.
    await coverQuietly(ctx.app);
  }
}

async function coverQuietly(
  app: Pick<App, "home" | "ledger" | "ledgerPath" | "log" | "state" | "vault">,
): Promise<void> {
  if (!existsSync(app.ledgerPath())) return;
  try {
    await coverLedger(app);
  } catch (err) {
    app.log.warn({ err }, "could not sign a checkpoint after the command");
  }
}

async function dispatchOne(text: string, ctx: CommandContext): Promise<Reply> {
  let name = "";
  try {
    const parsed = parseCommandLine(text);
    name = parsed.name;
    const command = chatCommands().find((c) => c.name === parsed.name);
    if (!command) return unknownCommand(parsed.name, ctx);
    const { spec, words, sub } = pick(command, parsed.args);
    const chat = spec?.chat;
    try {
      // A fixed permission is checked before the words are read, so a refused caller learns only that.
      const fixed = spec ? typeof spec.permission === "string" : true;
      if (fixed) {
        const refused = await chatRefusal(
          ctx,
          spec ? permissionOf(spec, {}) : command.permission,
          parsed.args.length,
        );
        if (refused) return refused;
      }
      if (!spec || !chat) throw new CodexError("USAGE", `unknown ${command.name} subcommand "${sub}"`);
      const input = await wordsToInput(chat, chat.words.join(" "), words, spec);
      if (!fixed) {
        const refused = await chatRefusal(ctx, permissionOf(spec, input), parsed.args.length);
        if (refused) return refused;
      }
      const { app, ...rest } = ctx;
      const outcome = await spec.execute(input, { ...rest, deps: app, surface: "chat" });
      return outcome.reply;
    } catch (err) {
      if (isCodexError(err) && err.code === "USAGE") {
        return errorReply(err.message, [{ kind: "context", text: `usage: /codex ${command.usage}` }]);
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

/** Which entry of a `/codex` word the words select: a group's sub-word, else its default. */
function pick(
  command: ChatCommand,
  args: string[],
): { spec: AnyCommand | undefined; words: string[]; sub?: string } {
  const [only] = command.members;
  if (command.members.length === 1 && only?.chat?.words.length === 1) return { spec: only, words: args };
  const [first, ...rest] = args;
  if (first === undefined) return { spec: command.members.find((m) => m.chat?.isDefault), words: [] };
  const sub = CHAT_GROUPS[command.name]?.lowerSub ? first.toLowerCase() : first;
  return { spec: command.members.find((m) => m.chat?.words[1] === sub), words: rest, sub };
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
