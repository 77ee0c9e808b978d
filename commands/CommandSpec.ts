import type { z } from "zod";

/** The zod namespace, handed to a command's schema builder when the command runs. */
export type Zod = typeof z;

import type { App } from "../src/app/App.ts";
import type { Actor } from "../src/core/Actor.ts";
import type { Reply } from "../src/core/Reply.ts";
import type { ProgressListener } from "../src/executor/RunProgress.ts";
import type { InputAsker } from "./runInputs.ts";

/** Decides typed approvals (`/codex approve <id>`); the approvals mechanism plugs in here. */
export interface ApprovalsService {
  decide(id: string, decision: "approve" | "reject", actor: Actor): Promise<Reply>;
}

/** What an adapter (Slack, the shell) hands the dispatcher: the app it was started with, and the caller. */
export interface CommandContext {
  app: App;
  actor: Actor;
  /** Per-agent progress for long commands (`run`); Slack turns it into chat.update, the shell into lines. */
  onProgress?: ProgressListener;
  /** The approvals service, when one is running; `approve` / `reject` answer that none is otherwise. */
  approvals?: ApprovalsService;
  /** Asks a person for a stack's missing inputs (a terminal prompt, a Slack form); without it `run` names them. */
  askInputs?: InputAsker;
  /** Input values an adapter collected in a form (Slack's modal); words typed with the command win over them. */
  formInputs?: Record<string, string>;
}

/** What a command is given: only the parts of the app it declared (`deps`), and the caller. */
export interface ExecContext<D extends keyof App> extends Omit<CommandContext, "app"> {
  deps: Pick<App, D>;
  /** Who asked: chat answers with the reply alone, so a command may skip data only the CLI prints. */
  surface: "chat" | "cli" | "mcp";
}

/** What a command did: its data (the CLI's --json), its Reply (every adapter), and whether it succeeded. */
export interface Outcome<T> {
  ok: boolean;
  data: T;
  reply: Reply;
}

/** One word position of a chat form (`/codex seal v3`): which input field it fills, and how. */
export interface WordArg {
  key: string;
  /** Takes every remaining word (as a list). */
  variadic?: boolean;
  optional?: boolean;
  /** The value when an optional word is not typed. */
  default?: unknown;
  /** Turns the word into the field's value; throws a USAGE CodexError naming what is wrong. */
  parse?(word: string): unknown;
}

/** How the words typed after `/codex NAME [SUB]` become the command's input. */
export interface ChatForm {
  /** The words that select the command: `["status"]`, `["incident", "show"]`. */
  words: string[];
  /** In a group (`incident`), the command that runs when no sub-word is typed. */
  isDefault?: boolean;
  args?: WordArg[];
  /** `key=value` words after the positional ones collect into this record field (`run`'s inputs). */
  pairs?: string;
  /** The usage error when the words do not fit the positions (too few, too many). */
  wrongCount?: string;
}

/** One commander argument or option of a CLI form; `key` is the input field it fills. */
export interface CliArg {
  key: string;
  /** Commander's spelling: `<stack>`, `[files...]`. */
  name: string;
  description: string;
  parse?(value: string): unknown;
  default?: unknown;
}
export interface CliOption {
  key: string;
  /** Commander's flags: `-n, --lines <n>`, `--json`. */
  flags: string;
  description: string;
  /** Commander's attribute for the flags, when it is not `key` (`--input` fills `inputs`). */
  attribute?: string;
  parse?(value: string, previous: unknown): unknown;
  default?: unknown;
  required?: boolean;
}

/** How `maos …` spells the command. */
export interface CliForm {
  /** `["ledger", "proof", "inclusion"]`. */
  path: string[];
  description: string;
  args?: CliArg[];
  options?: CliOption[];
  /**
   * Runs without the charter's check: read-only verification from files, which an auditor holding only
   * copies and the public key can run (no identity, no ledger write).
   */
  ungoverned?: boolean;
}

/**
 * One command, for every adapter. `input` is the zod schema of what `execute` takes; Slack and the shell
 * fill it from typed words (`chat`), the CLI from argv (`cli`), MCP from a tool call. `execute` gets only
 * the app members named in `deps`. Permission checks, refusals and help happen outside it, once.
 */
export interface CommandSpec<I = unknown, D extends keyof App = never, T = unknown> {
  /** Unique: `run`, `ledger tail`, `incident approve`. */
  name: string;
  summary: string;
  /** The chat usage line: `run <stack> [key=value …]`. */
  usage: string;
  /** The charter permission; a function when it depends on the input (`client sync`). */
  permission: string | ((input: I) => string);
  /** Builds the input's schema; called with zod when the command runs, so start-up never loads zod. */
  input(z: Zod): z.ZodType<I>;
  /**
   * The same check written without zod, for the commands that must start fast (`maos stacks list`,
   * `maos ledger tail`; loading zod is ~70 ms): the input when `raw` is plainly valid, or undefined to
   * leave the decision (and the error message) to `input`'s schema. registry.test holds it to the schema.
   */
  plainInput?(raw: Record<string, unknown>): I | undefined;
  /** The app members `execute` uses: all it is given. */
  deps: readonly D[];
  chat?: ChatForm;
  cli?: CliForm;
  execute(input: I, ctx: ExecContext<D>): Promise<Outcome<T>>;
}

/** A spec with its own types erased, for lists of commands. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds commands of every input type
export type AnyCommand = CommandSpec<any, keyof App, unknown>;

/** Declares a command, inferring its input, deps and data types. */
export function defineCommand<I, D extends keyof App, T>(spec: CommandSpec<I, D, T>): CommandSpec<I, D, T> {
  return spec;
}

/** The caller and the app members a command's own functions use (`sealOutcome({ app, actor }, "v1")`). */
export interface Caller<D extends keyof App> {
  app: Pick<App, D>;
  actor: Actor;
}
