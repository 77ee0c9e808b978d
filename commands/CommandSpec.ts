import type { App } from "../src/app/App.ts";
import type { ApprovalsService } from "../src/approvals/commandApprovals.ts";
import type { Actor } from "../src/core/Actor.ts";
import type { Reply } from "../src/core/Reply.ts";
import type { ProgressListener } from "../src/executor/RunProgress.ts";
import type { InputAsker } from "./runInputs.ts";

/** What every chat adapter (Slack, the shell) hands a command besides its arguments. */
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

/**
 * One `/codex` subcommand. `run` takes the words after the subcommand name (already split, quotes
 * honoured) and returns a Reply that every adapter can render. Permission checks happen before `run`
 * is called, by the dispatcher, against the charter's `permissions[name]`.
 */
export interface CommandSpec {
  name: string;
  /** One line: `run <stack> [key=value …]`. */
  usage: string;
  summary: string;
  /**
   * The charter permission to check, when it is not `name` or depends on the arguments
   * (`incident approve …` checks `incident.approve`).
   */
  permission?(args: string[]): string;
  /**
   * Forms of the command whose permission differs (`incident approve INC-n`): help lists each form the
   * caller may run, instead of `usage`.
   */
  forms?: { usage: string; permission: string }[];
  run(args: string[], ctx: CommandContext): Promise<Reply>;
}

export type { ApprovalsService };
