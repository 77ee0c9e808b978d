import type { webApi } from "@slack/bolt";
import type { CommandContext } from "../../commands/CommandSpec.ts";
import type { ApprovalService } from "../approvals/ApprovalService.ts";
import { commandApprovals } from "../approvals/commandApprovals.ts";
import type { Logger } from "../core/logger.ts";
import type { Reply, ReplyPart } from "../core/Reply.ts";
import type { ChannelRateLimiter } from "../slackWire/channelRateLimiter.ts";
import { type DeliverDeps, deliverReply, type RespondFn } from "./deliverReply.ts";
import type { TellUser } from "./notices.ts";
import { OutputStreams } from "./OutputStreams.ts";
import { RunProgressMessage } from "./RunProgressMessage.ts";
import { modalAsker } from "./runInputsModal.ts";
import type { SlackDirectory } from "./SlackDirectory.ts";

/** The adapter-independent command layer (commands/dispatch.ts). */
export type Dispatch = (text: string, ctx: CommandContext) => Promise<Reply>;

/** A `/codex` line typed in `channel` (or submitted from the run-inputs form, with its values). */
export interface SlackCommand {
  text: string;
  channel: string;
  user: string;
  respond?: RespondFn | undefined;
  triggerId?: string | undefined;
  /** The workspace, which Slack needs to stream into a channel. */
  teamId?: string | undefined;
  formInputs?: Record<string, string>;
}

export type RunCommand = (cmd: SlackCommand) => Promise<void>;

export interface CommandRunnerDeps {
  dispatch: Dispatch;
  /** The commands' context; the adapter hands it to the command layer and reads nothing from it. */
  app: CommandContext["app"];
  approvals: ApprovalService;
  directory: Pick<SlackDirectory, "actor">;
  client: webApi.WebClient;
  limiter: ChannelRateLimiter;
  log: Logger;
  deliver: DeliverDeps;
  tellUser: TellUser;
}

/**
 * Runs a `/codex` line through the command layer: its progress goes to one message in the channel, the
 * agents' outputs stream into that message's thread, and the reply follows there.
 */
export function commandRunner(deps: CommandRunnerDeps): RunCommand {
  const { dispatch, app, approvals, directory, client, limiter, log } = deps;
  return async (cmd) => {
    const { channel, user, respond } = cmd;
    try {
      const actor = await directory.actor(user);
      const progress = new RunProgressMessage({ client, limiter, channel, userId: user, log });
      const streams = new OutputStreams({
        client,
        limiter,
        channel,
        userId: user,
        teamId: cmd.teamId,
        parentTs: () => progress.posted(),
        log,
      });
      const reply = await dispatch(cmd.text, {
        app,
        actor,
        onProgress: (e) => {
          progress.onProgress(e);
          streams.onProgress(e);
        },
        approvals: commandApprovals(approvals),
        // A stack input with no default is asked for in a form opened on the command's trigger.
        askInputs: modalAsker({ client, log, triggerId: cmd.triggerId, text: cmd.text, channel }),
        ...(cmd.formInputs ? { formInputs: cmd.formInputs } : {}),
      });
      await streams.finish();
      const parentTs = await progress.finish();
      await deliverReply(
        withoutStreamed(reply, streams.complete),
        { channel, user, threadTs: parentTs, respond },
        deps.deliver,
      );
    } catch (err) {
      log.error({ err, channel, user }, "/codex failed while replying");
      await deps
        .tellUser(
          channel,
          user,
          "/codex hit an unexpected error while replying; the details are in the server log.",
          respond,
        )
        .catch(() => undefined);
    }
  };
}

/**
 * The result without the outputs already streamed whole into the thread (and the divider before each),
 * with a line saying where they are.
 */
function withoutStreamed(reply: Reply, streamed: ReadonlySet<string>): Reply {
  const gone = (p: ReplyPart | undefined) => p?.kind === "document" && streamed.has(p.filename);
  const parts = reply.parts.filter((p, i) => !gone(p) && !(p.kind === "divider" && gone(reply.parts[i + 1])));
  if (parts.length === reply.parts.length) return reply;
  // Named when some output is here after all (its stream broke off or was too long), so it is clear
  // which ones are above.
  const names = reply.parts.flatMap((p) =>
    gone(p) && p.kind === "document" ? [p.filename.replace(/\.md$/, "")] : [],
  );
  const kept = parts.some((p) => p.kind === "document");
  const text = kept
    ? `Streamed above in this thread: ${names.join(", ")}.`
    : "Agent outputs were streamed above in this thread.";
  return { ...reply, parts: [...parts, { kind: "context", text }] };
}
