import type { App as BoltApp } from "@slack/bolt";
import type { RunCommand } from "../commandRunner.ts";
import { RUN_INPUTS_CALLBACK, readSubmission, type SubmittedView } from "../runInputsModal.ts";
import type { SlackWork } from "../SlackWork.ts";

export interface RunInputsFormDeps {
  work: Pick<SlackWork, "later">;
  runCommand: RunCommand;
}

/**
 * The run-inputs form's submission: a bad value is answered in the form; a good one closes it and runs
 * the typed command again with the form's values, after the ack like a typed command.
 */
export function register(bolt: BoltApp, deps: RunInputsFormDeps): void {
  bolt.view(RUN_INPUTS_CALLBACK, async ({ ack, body, view }) => {
    const read = readSubmission(view as SubmittedView);
    if (!read.ok) {
      await ack({ response_action: "errors", errors: read.errors });
      return;
    }
    await ack();
    const { text, channel } = read.meta;
    const user = body.user.id;
    // The submitter's workspace (view_submission's team.id, else user.team_id): streaming needs it.
    const teamId = body.team?.id ?? body.user.team_id;
    deps.work.later("/codex run form", () =>
      deps.runCommand({ text, channel, user, teamId, formInputs: read.values }),
    );
  });
}
