import readline from "node:readline";
import type { ApprovalsService } from "../../commands/CommandSpec.ts";
import { dispatch } from "../../commands/dispatch.ts";
import type { App } from "../app/createApp.ts";
import { type Actor, actorIdentity } from "../core/Actor.ts";
import { replyToText } from "../core/replyText.ts";
import { question, terminalAsker } from "../terminal/askInputs.ts";
import { shellProgress } from "./shellProgress.ts";

export interface ShellOptions {
  app: App;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  actor: Actor;
  prompt?: string;
  /** Decides typed `approve` / `reject`, once an approvals service runs in this process. */
  approvals?: ApprovalsService;
}

const EXIT_WORDS = new Set(["exit", "quit", "/exit", "/quit"]);

/** `/codex run x` and `run x` are the same line; `/codexrun` is not. */
function stripPrefix(line: string): string {
  return line.replace(/^\/codex(?=\s|$)/i, "").trim();
}

/**
 * The shell adapter, like Hubot's shell: reads `/codex …` lines (the prefix is optional), runs them
 * through the same dispatcher as Slack with the local user as actor, and prints each Reply as text.
 * `exit`, `quit`, Ctrl-D or Ctrl-C end it. It never prints a stack trace.
 */
export async function startShell(opts: ShellOptions): Promise<void> {
  const { app, input, output, actor } = opts;
  const tty = Boolean((output as { isTTY?: boolean }).isTTY);
  const rl = readline.createInterface({ input, output, terminal: tty, prompt: opts.prompt ?? "codex> " });
  const write = (text: string) => {
    output.write(text.endsWith("\n") ? text : `${text}\n`);
  };
  rl.on("SIGINT", () => rl.close());
  // Input can end (Ctrl-D, a closed pipe) while a command is still running: never prompt after that.
  let closed = false;
  rl.once("close", () => {
    closed = true;
  });

  write(
    `MAOS Codex shell: you are ${actorIdentity(actor)}. Type a /codex command (the /codex is optional), \`help\`, or \`exit\`.`,
  );
  rl.prompt();
  try {
    for await (const raw of rl) {
      const line = stripPrefix(raw.trim());
      if (EXIT_WORDS.has(line.toLowerCase())) break;
      if (line !== "") {
        try {
          const reply = await dispatch(line, {
            app,
            actor,
            onProgress: shellProgress(write),
            ...(opts.approvals ? { approvals: opts.approvals } : {}),
            // On a terminal a stack's missing inputs are asked for; piped input gets the named list instead.
            ...(tty ? { askInputs: terminalAsker((prompt) => question(rl, prompt), write) } : {}),
          });
          write(replyToText(reply, { color: tty }));
        } catch (err) {
          // dispatch answers every failure itself; this only guards the rendering.
          app.log.error({ err }, "shell: could not show a reply");
          write("that command could not be shown; the details are in the log.");
        }
      }
      if (!closed) rl.prompt();
    }
  } finally {
    rl.close();
  }
  write("bye");
}
