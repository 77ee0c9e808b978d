import type { App as BoltApp } from "@slack/bolt";
import type { Clock } from "../../core/clock.ts";
import { utcIso } from "../../core/timestamps.ts";
import type { StateApi } from "../../state/StateApi.ts";
import { writeLastChannel } from "../../state/slackConnection.ts";
import type { RunCommand } from "../commandRunner.ts";
import type { RespondFn } from "../deliverReply.ts";
import { STORE_DOWN_TEXT } from "../notices.ts";
import type { ReplayedTrigger, SlackWork } from "../SlackWork.ts";

export interface CodexCommandDeps {
  state: StateApi;
  clock: Clock;
  work: Pick<SlackWork, "later">;
  replayedTrigger: ReplayedTrigger;
  runCommand: RunCommand;
}

/** `/codex …`: ack first, then the work. */
export function register(bolt: BoltApp, deps: CodexCommandDeps): void {
  bolt.command("/codex", async ({ command, ack, respond }) => {
    // Acknowledge before any I/O: Slack shows an error after 3 s without an ack. The work starts on a
    // later turn of the event loop (AfterAckQueue), so it never delays this ack or the next request's.
    await ack();
    const first = command.text.trim().split(/\s+/)[0] || "help";
    let replayed: boolean;
    try {
      replayed = await deps.replayedTrigger(
        command.trigger_id,
        command.user_id,
        command.channel_id,
        `/codex ${first}`,
      );
    } catch (err) {
      // The state store does not answer (Socket Mode; on HTTP the signature check met it first): the
      // command can be neither checked nor recorded, so nothing runs, and its author hears why.
      await respond({ response_type: "ephemeral", text: STORE_DOWN_TEXT }).catch(() => undefined);
      throw err;
    }
    if (replayed) return;
    // Where signals go while channels.signals is empty (SlackSink): the channel the bot was last used in.
    await writeLastChannel(deps.state, command.channel_id, utcIso(deps.clock.now()));
    deps.work.later("/codex", () =>
      deps.runCommand({
        text: command.text,
        channel: command.channel_id,
        user: command.user_id,
        respond: respond as RespondFn | undefined,
        triggerId: command.trigger_id,
        teamId: command.team_id,
      }),
    );
  });
}
