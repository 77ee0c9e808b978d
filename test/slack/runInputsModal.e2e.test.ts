/**
 * Issue 8: `/codex run <stack>` for a stack with a required input that has no default opens a modal on
 * the command's trigger_id; submitting it starts the run in the channel where the command was typed,
 * under the same charter check. End to end over loopback HTTP: the signed slash command, views.open on
 * the fake Web API (which checks the view as Slack does), the signed view_submission, the run messages.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import { REPO } from "../helpers/testApp.ts";
import { nextTriggerId, type SlackHarness, slashCommand, startSlackHarness } from "./slackTestKit.ts";

const CHANNEL = "C0OPS";

let h: SlackHarness;
const clock = new ManualClock("2026-11-21T15:00:00.000Z");

before(async () => {
  h = await startSlackHarness(clock, {
    stacks: path.join(REPO, "test/fixtures/stacks/asks"),
    // Running a stack is an operator's right here, and U0OPERATOR is the only operator.
    charter: path.join(REPO, "test/commands/fixtures/run_needs_operator.yml"),
  });
});
after(async () => {
  await h?.close();
});

type Block = {
  type: string;
  block_id?: string;
  optional?: boolean;
  label?: { text: string };
  hint?: { text: string };
  element?: { initial_value?: string; action_id: string };
};
type View = { callback_id: string; title: { text: string }; private_metadata: string; blocks: Block[] };

/** A view_submission as Slack posts it: form-encoded `payload`, the view echoed with its state. */
function submission(view: View, user: string, values: Record<string, string | null>): string {
  const state: Record<string, Record<string, { type: string; value: string | null }>> = {};
  for (const b of view.blocks) {
    if (b.type !== "input" || !b.block_id || !b.element) continue;
    const name = b.block_id.replace(/^input:/, "");
    const value = name in values ? (values[name] ?? null) : (b.element.initial_value ?? null);
    state[b.block_id] = { [b.element.action_id]: { type: "plain_text_input", value } };
  }
  const payload = {
    type: "view_submission",
    team: { id: "T0MAOS", domain: "maos-test" },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: "T0MAOS" },
    api_app_id: "A0MAOS",
    token: "verification-token-unused",
    trigger_id: nextTriggerId(),
    view: {
      id: "V00000001",
      team_id: "T0MAOS",
      type: "modal",
      ...view,
      state: { values: state },
      hash: "1.a",
    },
    response_urls: [],
    is_enterprise_install: false,
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

const entries = (type: string) => h.app.ledger().query({ eventType: type });

describe("the run-inputs modal, end to end", () => {
  let view: View;
  let trigger: string;

  test("/codex run for a stack with a required input opens a form for what was not typed", async () => {
    const command = slashCommand("run trade_show booth=4411", "U0OPERATOR", CHANNEL);
    trigger = new URLSearchParams(command).get("trigger_id") ?? "";
    const res = await h.post(command);
    assert.equal(res.status, 200);
    await h.runtime.slack.idle();

    assert.equal(h.slack.openedViews.length, 1, JSON.stringify(h.slack.callsTo("views.open")));
    const opened = h.slack.openedViews[0];
    assert.equal(opened?.triggerId, trigger, "opened on the command's own trigger_id");
    view = opened?.view as unknown as View;
    assert.equal(view.callback_id, "maos_run_inputs");
    assert.equal(view.title.text, "Run trade_show");
    assert.deepEqual(JSON.parse(view.private_metadata), {
      text: "run trade_show booth=4411",
      channel: CHANNEL,
    });
    const inputs = view.blocks.filter((b) => b.type === "input");
    assert.deepEqual(
      inputs.map((b) => b.block_id),
      ["input:event", "input:audience"],
      "the typed booth is not asked again",
    );
    const [event, audience] = inputs;
    assert.equal(event?.optional, false);
    assert.equal(event?.element?.initial_value, undefined);
    assert.match(
      event?.hint?.text ?? "",
      /The event, with its dates and city \(no default: a value is needed\)/,
    );
    assert.equal(audience?.optional, true);
    assert.equal(audience?.element?.initial_value, "plant managers who stopped at the booth");
    assert.match(audience?.hint?.text ?? "", /Who we are writing to/);

    const note = h.slack.callsTo("chat.postEphemeral").at(-1);
    assert.equal(note?.body.user, "U0OPERATOR");
    assert.match(String(note?.body.text), /A form is open for trade_show's event/);
    assert.equal(entries("RUN_STARTED").length, 0, "nothing runs until the form is submitted");
  });

  test("a blank required value is answered in the form (response_action: errors), and nothing runs", async () => {
    const res = await h.post(submission(view, "U0OPERATOR", { event: "   " }));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      response_action: "errors",
      errors: { "input:event": "event has no default, so it needs a value." },
    });
    await h.runtime.slack.idle();
    assert.equal(entries("RUN_STARTED").length, 0);
  });

  test("a user the charter does not let run is refused on submission too, on the record", async () => {
    const refusals = entries("GOVERNANCE_REFUSAL").length;
    const res = await h.post(submission(view, "U0APPROVER", { event: "Forged Expo" }));
    assert.equal(res.status, 200);
    await h.runtime.slack.idle();
    assert.equal(entries("RUN_STARTED").length, 0);
    assert.equal(entries("GOVERNANCE_REFUSAL").length, refusals + 1);
    const told = h.slack.callsTo("chat.postEphemeral").at(-1);
    assert.equal(told?.body.user, "U0APPROVER");
    assert.match(String(told?.body.text), /needs the operator role/);
  });

  test("submitting starts the run in the channel where the command was typed, with its progress", async () => {
    const before = h.slack.messages.length;
    const res = await h.post(
      submission(view, "U0OPERATOR", { event: "Midwest Builders Expo 2027, Chicago" }),
    );
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "", "an empty ack closes the form");
    await h.runtime.slack.idle();

    const started = entries("RUN_STARTED");
    assert.equal(started.length, 1);
    assert.equal(started[0]?.actorIdentity, "slack:U0OPERATOR <operator@example.com>");
    assert.deepEqual((started[0]?.payload as { inputs?: Record<string, string> } | undefined)?.inputs, {
      event: "Midwest Builders Expo 2027, Chicago",
      booth: "4411",
      audience: "plant managers who stopped at the booth",
    });
    assert.equal(entries("RUN_COMPLETED").length, 1);

    const posted = h.slack.messages.slice(before);
    const parent = posted.find((m) => m.channel === CHANNEL && !m.threadTs);
    assert.ok(parent, "a progress message in the channel the command was typed in");
    assert.ok(parent.updates >= 1, "kept current with chat.update");
    assert.match(JSON.stringify(parent.blocks), /sealed in commit/);
    const thread = posted.filter((m) => m.threadTs === parent.ts);
    assert.match(JSON.stringify(thread.map((m) => m.blocks)), /TRADE_SHOW: COMPLETED|trade_show: completed/i);

    // Streamed like a typed command's run: the submitter and their workspace (from the payload) are
    // the stream's recipient, and every agent's output is streamed whole, so the result does not repeat it.
    const streams = thread.filter((m) => m.stream !== undefined);
    assert.ok(streams.length >= 1, "the agents' outputs streamed into the run's thread");
    for (const s of streams) assert.equal(s.stream, "stopped");
    const start = h.slack.callsTo("chat.startStream").at(-1);
    assert.equal(start?.body.recipient_user_id, "U0OPERATOR");
    assert.equal(start?.body.recipient_team_id, "T0MAOS");
    assert.match(JSON.stringify(thread.map((m) => m.blocks)), /streamed above in this thread/);
  });

  test("the fake Web API refuses what Slack refuses: a reused trigger, a missing one, a title over 24", async () => {
    const call = (args: Record<string, unknown>) =>
      h.runtime.slack.client.apiCall("views.open", args).then(
        () => "ok",
        (err: { data?: { error?: string } }) => err.data?.error,
      );
    const modal = { type: "modal", title: { type: "plain_text", text: "Run" }, blocks: [] };
    assert.equal(await call({ trigger_id: trigger, view: modal }), "exchanged_trigger_id");
    assert.equal(await call({ view: modal }), "invalid_arguments");
    assert.equal(await call({ trigger_id: "not-a-trigger", view: modal }), "invalid_trigger_id");
    assert.equal(
      await call({
        trigger_id: "1.2.ab",
        view: { ...modal, title: { type: "plain_text", text: "x".repeat(25) } },
      }),
      "invalid_arguments",
    );
    assert.equal(await call({ trigger_id: "1.2.cd", view: modal }), "ok");
  });
});
