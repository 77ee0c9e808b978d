import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Reply } from "../core/Reply.ts";
import type { Block } from "./blockKit.ts";
import { messageChars } from "./packMessages.ts";
import { APPROVE_ACTION, REJECT_ACTION, replyToBlocks } from "./replyBlocks.ts";

/** Slack's limits, restated here so the test does not share a constant with the code under test. */
function assertWithinLimits(messages: Block[][]): void {
  for (const blocks of messages) {
    assert.ok(blocks.length >= 1 && blocks.length <= 50, `${blocks.length} blocks`);
    assert.ok(messageChars(blocks) <= 12000, `${messageChars(blocks)} characters`);
    for (const b of blocks) {
      if (b.type === "header") assert.ok(b.text.text.length <= 150);
      if (b.type === "section") {
        assert.ok((b.text?.text.length ?? 0) <= 3000);
        assert.ok((b.fields?.length ?? 0) <= 10);
      }
    }
  }
}

const para = (i: number) => `Paragraph ${i}: ${"plain words about the campaign ".repeat(20)}\n\n`;

describe("replyToBlocks", () => {
  test("maps every part kind and escapes mrkdwn control characters", () => {
    const reply: Reply = {
      summary: "Run marketing_ops: score 0.91",
      parts: [
        { kind: "header", text: "Run marketing_ops" },
        { kind: "text", text: "*Score* 0.91 <!channel> & more" },
        {
          kind: "fields",
          fields: [
            { label: "Seal", value: "abc" },
            { label: "Commit", value: "" },
          ],
        },
        { kind: "divider" },
        { kind: "context", text: "ledger head 00ff" },
        { kind: "document", title: "Planner", filename: "planner.md", text: "short output" },
      ],
    };
    const out = replyToBlocks(reply);
    assert.equal(out.text, "Run marketing_ops: score 0.91");
    assert.equal(out.messages.length, 1);
    assert.deepEqual(out.uploads, []);
    const [blocks] = out.messages;
    assert.deepEqual(
      blocks?.map((b) => b.type),
      // Issue 12: a document (agent output, GitHub markdown) is Slack's markdown block, not mrkdwn.
      ["header", "section", "section", "divider", "context", "markdown"],
    );
    const text = JSON.stringify(blocks);
    assert.match(text, /&lt;!channel&gt; &amp; more/);
    assert.match(text, /\*Commit\*\\n—/, "an empty field value still shows");
    assert.match(text, /\*\*Planner\*\*\\n\\nshort output/);
  });

  test("a long reply is split across messages that each respect Block Kit's limits", () => {
    const parts: Reply["parts"] = [{ kind: "header", text: `H${"x".repeat(400)}` }];
    for (let i = 0; i < 80; i++) parts.push({ kind: "text", text: para(i) }, { kind: "divider" });
    parts.push({
      kind: "fields",
      fields: Array.from({ length: 23 }, (_, i) => ({ label: `f${i}`, value: "v" })),
    });
    const out = replyToBlocks({ summary: "long", parts });
    assert.ok(out.messages.length > 1);
    assertWithinLimits(out.messages);
    const all = out.messages.flat();
    const textOut = all.map((b) => (b.type === "section" ? (b.text?.text ?? "") : "")).join("");
    for (let i = 0; i < 80; i++) assert.ok(textOut.includes(`Paragraph ${i}:`), `paragraph ${i} kept`);
    assert.equal(
      all
        .filter((b) => b.type === "section" && b.fields)
        .flatMap((b) => (b.type === "section" ? (b.fields ?? []) : [])).length,
      23,
    );
  });

  test("a document over the threshold becomes an upload with an excerpt left in the message", () => {
    const big = "line of agent output\n".repeat(1000);
    const out = replyToBlocks(
      { summary: "s", parts: [{ kind: "document", title: "Copywriter", filename: "copy.md", text: big }] },
      { excerptChars: 200 },
    );
    assert.deepEqual(out.uploads, [{ filename: "copy.md", title: "Copywriter", content: big }]);
    assertWithinLimits(out.messages);
    const json = JSON.stringify(out.messages);
    assert.ok(json.length < 2000, "only an excerpt stays in the blocks");
    assert.match(json, /21,000 characters\) attached as `copy.md`/);

    const under = replyToBlocks(
      { summary: "s", parts: [{ kind: "document", title: "t", filename: "t.md", text: "x ".repeat(400) }] },
      { uploadThreshold: 1000 },
    );
    assert.equal(under.uploads.length, 0);
    const over = replyToBlocks(
      { summary: "s", parts: [{ kind: "document", title: "t", filename: "t.md", text: "x ".repeat(600) }] },
      { uploadThreshold: 1000 },
    );
    assert.equal(over.uploads.length, 1);
  });

  test("an approval part becomes Approve and Reject buttons carrying the approval id", () => {
    const out = replyToBlocks({
      summary: "approve?",
      parts: [{ kind: "approval", approvalId: "APR-3", prompt: "Resolve INC-3?" }],
    });
    const actions = out.messages[0]?.find((b) => b.type === "actions");
    assert.ok(actions && actions.type === "actions");
    assert.deepEqual(
      actions.elements.map((e) => [e.action_id, e.value, e.style]),
      [
        [APPROVE_ACTION, "APR-3", "primary"],
        [REJECT_ACTION, "APR-3", "danger"],
      ],
    );
    assert.equal(APPROVE_ACTION, "approval_approve");
    assert.equal(REJECT_ACTION, "approval_reject");
  });

  test("a reply without parts still has a block, and the fallback text is bounded", () => {
    const out = replyToBlocks({ summary: "y".repeat(5000), parts: [] });
    assert.equal(out.messages.length, 1);
    assert.ok(out.text.length <= 3000);
    assertWithinLimits(out.messages);
  });
});
