import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { types } from "@slack/bolt";
import fc from "fast-check";
import {
  actions,
  type Block,
  button,
  context,
  divider,
  fields,
  header,
  SLACK_LIMITS,
  section,
  sections,
} from "./blockKit.ts";
import { fitHomeTab, messageChars, needsFileUpload, packMessages } from "./packMessages.ts";

// A fixed seed keeps the suite deterministic; the properties were also run with many random seeds.
fc.configureGlobal({ seed: 20261121, numRuns: 60 });

/** Every text object's text in a block, found by walking the JSON: independent of blockChars. */
function texts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(texts);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const own =
      (o.type === "mrkdwn" || o.type === "plain_text") && typeof o.text === "string" ? [o.text] : [];
    return [
      ...own,
      ...Object.entries(o).flatMap(([k, v]) => (k === "text" && typeof v === "string" ? [] : texts(v))),
    ];
  }
  return [];
}

/** Slack's limits, restated here from the docs rather than imported, for one message. */
function violations(blocks: readonly Block[], maxBlocks = 50, maxChars = 12000): string[] {
  const v: string[] = [];
  if (blocks.length === 0) v.push("empty message");
  if (blocks.length > maxBlocks) v.push(`${blocks.length} blocks`);
  const chars = texts(blocks).reduce((n, t) => n + t.length, 0);
  if (chars > maxChars) v.push(`${chars} chars`);
  for (const b of blocks) {
    if (b.type === "header" && b.text.text.length > 150) v.push("header > 150");
    if (b.type === "section") {
      if ((b.text?.text.length ?? 0) > 3000) v.push("section text > 3000");
      if ((b.fields?.length ?? 0) > 10) v.push("fields > 10");
      if (b.fields?.some((f) => f.text.length > 2000)) v.push("field > 2000");
      if (!b.text && !b.fields?.length) v.push("section without text or fields");
      if ((b.accessory?.text.text.length ?? 0) > 75) v.push("accessory button > 75");
    }
    if (b.type === "context" && (b.elements.length > 10 || b.elements.length === 0))
      v.push("context elements");
    if (b.type === "actions") {
      if (b.elements.length > 25) v.push("actions > 25");
      if (b.elements.some((e) => e.text.text.length > 75)) v.push("button > 75");
    }
  }
  return v;
}

const words = fc
  .array(fc.constantFrom("alpha", "beta", "😀", "é", " ", "\n", "\n\n", "&amp;", "*bold*"), {
    maxLength: 4000,
    size: "max",
  })
  .map((a) => `x${a.join("")}`);
const shortText = fc.string({ minLength: 1, maxLength: 300 }).map((s) => `x${s}`);

/** Blocks as the product builds them, plus hand-made ones that break per-block limits. */
const anyBlock: fc.Arbitrary<Block[]> = fc.oneof(
  shortText.map((t) => [header(t)]),
  words.map((t) => [section(t)]),
  words.map((t) => sections(t)),
  fc.array(shortText, { minLength: 1, maxLength: 10 }).map((t) => [fields(...t)]),
  fc.array(words, { minLength: 1, maxLength: 10 }).map((t) => [context(...t)]),
  fc.constant<Block[]>([divider()]),
  fc.tuple(words, fc.array(shortText, { maxLength: 25 }), shortText).map(([t, f, label]): Block[] => [
    {
      type: "section",
      text: { type: "mrkdwn", text: t.repeat(2) },
      fields: f.map((text) => ({ type: "mrkdwn", text })),
      accessory: { type: "button", text: { type: "plain_text", text: label }, action_id: "a" },
    },
  ]),
  fc
    .integer({ min: 1, max: 25 })
    .map((n) => [actions(...Array.from({ length: n }, (_, i) => button(`Approve ${i}`, `a${i}`)))]),
  words.map((t): Block[] => [{ type: "section", text: { type: "mrkdwn", text: t.repeat(4) } }]),
  fc
    .array(words, { minLength: 11, maxLength: 30 })
    .map((t): Block[] => [{ type: "context", elements: t.map((text) => ({ type: "mrkdwn", text })) }]),
  fc
    .array(shortText, { minLength: 11, maxLength: 40 })
    .map((t): Block[] => [{ type: "section", fields: t.map((text) => ({ type: "mrkdwn", text })) }]),
);

describe("packMessages", () => {
  test("a short result stays one message", () => {
    const blocks = [header("Run complete"), section("*Score* 0.91"), divider(), context("sealed")];
    assert.deepEqual(packMessages(blocks), [blocks]);
  });

  test("splits on the block count", () => {
    const blocks = Array.from({ length: 120 }, (_, i) => section(`step ${i}`));
    const messages = packMessages(blocks);
    assert.deepEqual(
      messages.map((m) => m.length),
      [50, 50, 20],
    );
    assert.deepEqual(messages.flat(), blocks, "order kept");
  });

  test("splits on the character budget", () => {
    const blocks = Array.from({ length: 10 }, () => section("c".repeat(2500)));
    const messages = packMessages(blocks);
    assert.deepEqual(
      messages.map((m) => m.length),
      [4, 4, 2],
    );
    for (const m of messages) assert.ok(messageChars(m) <= SLACK_LIMITS.messageChars);
  });

  test("a hand-made oversized section is split, not cut, and keeps its accessory on the first part", () => {
    const text = "word ".repeat(2000);
    const approve = button("Approve", "approve");
    const out = packMessages([
      { type: "section", text: { type: "mrkdwn", text }, accessory: approve },
    ]).flat();
    assert.ok(out.length >= 4);
    assert.deepEqual(out[0]?.type === "section" && out[0].accessory, approve);
    assert.ok(out.slice(1).every((b) => b.type === "section" && b.accessory === undefined));
    assert.equal(out.map((b) => (b.type === "section" ? b.text?.text : "")).join(""), text);
  });

  test("custom limits and bad options", () => {
    const blocks = Array.from({ length: 7 }, (_, i) => section(`s${i}`));
    assert.deepEqual(
      packMessages(blocks, { maxBlocks: 3 }).map((m) => m.length),
      [3, 3, 1],
    );
    assert.throws(() => packMessages(blocks, { maxBlocks: 0 }), /maxBlocks/);
    assert.throws(() => packMessages(blocks, { maxChars: 100 }), /maxChars/);
    assert.deepEqual(packMessages([]), []);
  });

  test("property: every message respects every limit", () => {
    fc.assert(
      fc.property(fc.array(anyBlock, { maxLength: 60 }), fc.constantFrom(50, 100), (groups, maxBlocks) => {
        for (const m of packMessages(groups.flat(), { maxBlocks })) {
          assert.deepEqual(violations(m, maxBlocks), []);
        }
      }),
    );
  });

  test("property: no text is lost (modulo whitespace at the cuts), order kept", () => {
    fc.assert(
      fc.property(fc.array(words, { minLength: 1, maxLength: 8 }), (outputs) => {
        const blocks: Block[] = outputs.map((t) => ({
          type: "section",
          text: { type: "mrkdwn", text: t.repeat(3) },
        }));
        const before = texts(blocks).join("").replace(/\s+/g, "");
        const after = texts(packMessages(blocks).flat()).join("").replace(/\s+/g, "");
        assert.equal(after, before);
      }),
    );
  });

  test("our blocks are Bolt's KnownBlock", () => {
    // A compile-time check: tsc fails here if the shapes drift from @slack/types.
    const known: types.KnownBlock[] =
      packMessages([header("h"), section("s"), fields("f"), context("c"), divider()])[0] ?? [];
    assert.equal(known.length, 5);
  });
});

describe("fitHomeTab", () => {
  test("keeps up to 100 blocks, then says how many were left out", () => {
    const few = Array.from({ length: 100 }, (_, i) => section(`run ${i}`));
    assert.equal(fitHomeTab(few).length, 100);
    const many = Array.from({ length: 130 }, (_, i) => section(`run ${i}`));
    const fitted = fitHomeTab(many);
    assert.equal(fitted.length, 100);
    const last = fitted[99];
    assert.ok(last?.type === "context" && /31 more blocks/.test(last.elements[0]?.text ?? ""));
  });
});

describe("needsFileUpload", () => {
  test("past one message's budget an output goes as a file", () => {
    assert.equal(needsFileUpload("a".repeat(12000)), false);
    assert.equal(needsFileUpload("a".repeat(12001)), true);
    assert.equal(needsFileUpload("a".repeat(600), 500), true);
  });
});
