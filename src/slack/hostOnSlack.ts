import type { App } from "../app/App.ts";
import { startTheLoop } from "../app/hostAutonomy.ts";
import type { SlackRuntime } from "./startSlack.ts";

/**
 * On Slack: evidence goes to the charter's channels through the Slack app's client and limiter, the
 * incident message becomes the approval target, and the loop starts.
 */
export async function hostOnSlack(
  app: App,
  runtime: Pick<SlackRuntime, "slack" | "state" | "approvals">,
): Promise<void> {
  const kernel = app.autonomy();
  // Evidence goes through the durable outbox (evidence relays); this process's dispatcher delivers it
  // to Slack (with the app's client and limiter), Notion and Teamwork.
  const relays = app.relays();
  relays.attachSlack({
    client: runtime.slack.client,
    limiter: runtime.slack.limiter,
    onApprovalMessage: async (id, channel, ts) => {
      await runtime.approvals.attachMessage(id, channel, ts);
    },
  });
  relays.start();
  kernel.configure({
    mode: "slack",
    slackLive: true,
    publisher: relays.publisher(),
    // An approval recorded by another process (maos incident approve) shows on the incident's
    // messages within a heartbeat.
    afterBeat: () => runtime.slack.syncIncidentMessages(),
  });
  await startTheLoop(app);
}
