import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  actions,
  button,
  context,
  divider,
  escapeMrkdwn,
  escapeMrkdwnKeepMentions,
  fields,
  header,
  progressBar,
  SLACK_LIMITS,
  section,
  sections,
  truncate,
} from "./blockKit.ts";

// A fixed seed keeps the suite deterministic.
fc.configureGlobal({ seed: 20261121 });

describe("Block Kit builders", () => {
  test("header is plain text cut to 150", () => {
    const h = header("x".repeat(400));
    assert.equal(h.type, "header");
    assert.equal(h.text.type, "plain_text");
    assert.equal(h.text.text.length, 150);
    assert.ok(h.text.text.endsWith("…"));
    assert.equal(header("Run marketing_ops").text.text, "Run marketing_ops");
  });

  test("section is mrkdwn cut to 3000, with an optional accessory", () => {
    const s = section("y".repeat(5000), button("Approve", "approve", { value: "run-1", style: "primary" }));
    assert.equal(s.text?.type, "mrkdwn");
    assert.equal(s.text?.text.length, 3000);
    assert.equal(s.accessory?.action_id, "approve");
    assert.equal(section("*done*").accessory, undefined);
  });

  test("sections keeps every character of long text", () => {
    const text = Array.from({ length: 400 }, (_, i) => `line ${i} ${"z".repeat(20)}`).join("\n");
    const blocks = sections(text);
    assert.ok(blocks.length > 1);
    for (const b of blocks) assert.ok((b.text?.text.length ?? 0) <= SLACK_LIMITS.sectionText);
    assert.equal(blocks.map((b) => b.text?.text).join(""), text);
  });

  test("empty text is refused: Slack answers invalid_blocks", () => {
    assert.throws(() => section("  "), /needs text/);
    assert.throws(() => header(""), /needs text/);
  });

  test("fields, context and actions enforce their element counts", () => {
    assert.equal(fields("*Score*\n0.91", "*Status*\ncompleted").fields?.length, 2);
    assert.throws(() => fields(...Array.from({ length: 11 }, () => "f")), /1 to 10 fields/);
    assert.equal(fields("w".repeat(3000)).fields?.[0]?.text.length, SLACK_LIMITS.fieldText);
    assert.equal(context("a", "b").elements.length, 2);
    assert.throws(() => context(...Array.from({ length: 11 }, () => "c")), /1 to 10 elements/);
    const buttons = Array.from({ length: 26 }, (_, i) => button(`b${i}`, `a${i}`));
    assert.equal(actions(...buttons.slice(0, 25)).elements.length, 25);
    assert.throws(() => actions(...buttons), /1 to 25 elements/);
  });

  test("button: label cut to 75, identifiers checked", () => {
    const b = button("L".repeat(100), "approve_run", { value: "run-1", style: "danger" });
    assert.equal(b.text.text.length, 75);
    assert.deepEqual(
      { id: b.action_id, value: b.value, style: b.style },
      { id: "approve_run", value: "run-1", style: "danger" },
    );
    assert.throws(() => button("ok", "a".repeat(256)), /action_id/);
    assert.throws(() => button("ok", ""), /action_id/);
    assert.throws(() => button("ok", "id", { value: "v".repeat(2001) }), /value/);
  });

  test("divider", () => {
    assert.deepEqual(divider(), { type: "divider" });
  });

  test("escapeMrkdwn escapes &, < and > only, & first", () => {
    assert.equal(escapeMrkdwn("a & b <@U123> > *c*"), "a &amp; b &lt;@U123&gt; &gt; *c*");
    assert.equal(escapeMrkdwn("&lt;"), "&amp;lt;");
  });

  test("progressBar", () => {
    assert.equal(progressBar(2, 5), `${"▓".repeat(8)}${"░".repeat(12)} 2/5`);
    assert.equal(progressBar(2, 5, 8), "▓▓▓░░░░░ 2/5");
    assert.equal(progressBar(5, 5, 8), "▓▓▓▓▓▓▓▓ 5/5");
    assert.equal(progressBar(4, 5, 4), "▓▓▓░ 4/5", "full only when done");
    assert.equal(progressBar(0, 0, 4), "░░░░ 0/0");
    assert.equal(progressBar(9, 5, 4), "▓▓▓▓ 5/5", "done is clamped to total");
    assert.equal(progressBar(-1, 5, 4), "░░░░ 0/5");
  });

  test("truncate never leaves half a surrogate pair", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 200 }),
        fc.integer({ min: 1, max: 100 }),
        (text, max) => {
          const out = truncate(text, max);
          assert.ok(out.length <= max);
          const last = out.endsWith("…") ? out.charCodeAt(out.length - 2) : out.charCodeAt(out.length - 1);
          assert.ok(!(last >= 0xd800 && last <= 0xdbff));
        },
      ),
    );
  });

  test("property: builders always produce blocks within Slack's limits", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 5000, size: "max" }), (raw) => {
        const text = `x${raw}`;
        assert.ok(header(text).text.text.length <= SLACK_LIMITS.headerText);
        assert.ok((section(text).text?.text.length ?? 0) <= SLACK_LIMITS.sectionText);
        assert.ok(button(text, "id").text.text.length <= SLACK_LIMITS.buttonText);
        for (const s of sections(text)) assert.ok((s.text?.text.length ?? 0) <= SLACK_LIMITS.sectionText);
      }),
    );
  });
});

test("escapeMrkdwnKeepMentions keeps user mentions and escapes the rest, broadcasts included", () => {
  assert.equal(
    escapeMrkdwnKeepMentions("approved by <@U0APPROVER> & <!channel> <https://x|y> <@W1ENT>"),
    "approved by <@U0APPROVER> &amp; &lt;!channel&gt; &lt;https://x|y&gt; <@W1ENT>",
  );
});
