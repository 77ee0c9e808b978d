import readline from "node:readline";
import type { ApprovalsService } from "../../commands/CommandSpec.ts";
import { dispatch } from "../../commands/dispatch.ts";
import type { App } from "../app/App.ts";
import { type Actor, actorIdentity } from "../core/Actor.ts";
import { replyToText } from "../core/replyText.ts";
import { question, terminalAsker } from "../terminal/askInputs.ts";
import { runProgress } from "../terminal/runProgress.ts";
import { ShellScreen } from "./ShellScreen.ts";

export interface ShellOptions {
  app: App;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  actor: Actor;
  prompt?: string;
  /** Decides typed `approve` / `reject`, once an approvals service runs in this process. */
  approvals?: ApprovalsService;
  /** The terminal, when notices (evidence, logs) are printed above the prompt; one over `output` otherwise. */
  screen?: ShellScreen;
  /** Where the logs go, for the welcome line: "data/logs/maos.log", "stderr (LOG_LEVEL=debug)". */
  logs?: string;
}

/** Words the shell answers itself, with or without the /codex prefix. */
const EXIT_WORDS = new Set(["exit", "quit", "/exit", "/quit"]);
const CLEAR_WORDS = new Set(["clear", "/clear", "cls"]);

/** `/codex run x` and `run x` are the same line; `/codexrun` is not. */
function stripPrefix(line: string): string {
  return line.replace(/^\/codex(?=\s|$)/i, "").trim();
}

/**
 * The shell adapter, like Hubot's shell: reads `/codex …` lines (the prefix is optional), runs them
 * through the same dispatcher as Slack with the local user as actor, and prints each Reply as text.
 * `clear` empties the screen; `exit`, `quit`, Ctrl-D or Ctrl-C end it. It never prints a stack trace.
 */
export async function startShell(opts: ShellOptions): Promise<void> {
  const { app, input, output, actor } = opts;
  const screen = opts.screen ?? new ShellScreen(output);
  const tty = screen.tty;
  const rl = readline.createInterface({ input, output, terminal: tty, prompt: opts.prompt ?? "codex> " });
  screen.attach(rl);
  const write = (text: string) => screen.print(text);
  rl.on("SIGINT", () => rl.close());
  // Input can end (Ctrl-D, a closed pipe) while a command is still running: never prompt after that.
  let closed = false;
  rl.once("close", () => {
    closed = true;
  });

  write(
    `MAOS Codex shell: you are ${actorIdentity(actor)}. Type a /codex command (the /codex is optional), \`help\`, \`clear\` or \`exit\`.${opts.logs ? ` Logs go to ${opts.logs}.` : ""}`,
  );
  rl.prompt();
  try {
    for await (const raw of rl) {
      const line = stripPrefix(raw.trim());
      const word = line.toLowerCase();
      if (EXIT_WORDS.has(word)) break;
      if (CLEAR_WORDS.has(word)) {
        screen.clear();
      } else if (line !== "") {
        screen.busy = true;
        try {
          const reply = await dispatch(line, {
            app,
            actor,
            onProgress: runProgress(write, "lines"),
            ...(opts.approvals ? { approvals: opts.approvals } : {}),
            // On a terminal a stack's missing inputs are asked for; piped input gets the named list instead.
            ...(tty ? { askInputs: terminalAsker((prompt) => question(rl, prompt), write) } : {}),
          });
          write(replyToText(reply, { color: tty }));
        } catch (err) {
          // dispatch answers every failure itself; this only guards the rendering.
          app.log.error({ err }, "shell: could not show a reply");
          write("that command could not be shown; the details are in the log.");
        } finally {
          screen.busy = false;
        }
      }
      if (!closed) rl.prompt();
    }
  } finally {
    screen.attach(undefined);
    rl.close();
  }
  write("bye");
}
