import assert from "node:assert/strict";
import { test } from "node:test";
import type { InputRequest } from "../../commands/runInputs.ts";
import { MODAL_LIMITS, readSubmission, runInputsView } from "./runInputsModal.ts";

const req: InputRequest = {
  stack: "a_stack_with_a_very_long_name",
  goal: "Write the follow-up",
  questions: [
    { name: "event", description: "The event", default: undefined, required: true },
    { name: "notes", description: "Anything else", default: "x".repeat(4000), required: false },
  ],
  given: {},
};

test("the form keeps to Slack's limits: a long title is cut, a default too long to show is described", () => {
  const view = runInputsView(req, { text: "run a_stack_with_a_very_long_name", channel: "C1" });
  assert.ok(view);
  assert.ok(view.title.text.length <= MODAL_LIMITS.title, view.title.text);
  const notes = view.blocks.find((b) => b.block_id === "input:notes") as {
    element: { initial_value?: string };
    hint: { text: string };
  };
  assert.equal(notes.element.initial_value, undefined);
  assert.match(notes.hint.text, /default is 4000 characters; leave empty to use it/);
});

test("a typed command too long to carry in private_metadata gets no form (the inputs are named instead)", () => {
  assert.equal(runInputsView(req, { text: `run x ${"y".repeat(3000)}`, channel: "C1" }), undefined);
});

test("a submission over the length limit or with damaged metadata is answered in the form", () => {
  const blocks = [{ block_id: "input:event", optional: false }];
  const long = readSubmission({
    private_metadata: JSON.stringify({ text: "run s", channel: "C1" }),
    blocks,
    state: { values: { "input:event": { value: { value: "z".repeat(3001) } } } },
  });
  assert.deepEqual(long, { ok: false, errors: { "input:event": "At most 3000 characters (this is 3001)." } });
  const damaged = readSubmission({
    private_metadata: "{not json",
    blocks,
    state: { values: { "input:event": { value: { value: "Expo" } } } },
  });
  assert.equal(damaged.ok, false);
  const good = readSubmission({
    private_metadata: JSON.stringify({ text: "run s", channel: "C1" }),
    blocks,
    state: { values: { "input:event": { value: { value: "  Expo  " } } } },
  });
  assert.deepEqual(good, { ok: true, meta: { text: "run s", channel: "C1" }, values: { event: "Expo" } });
});
