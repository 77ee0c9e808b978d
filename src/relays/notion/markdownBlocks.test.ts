import assert from "node:assert/strict";
import { test } from "node:test";
import { markdownToBlocks, RICH_TEXT_MAX_CHARS, RICH_TEXT_MAX_ITEMS, richText } from "./markdownBlocks.ts";

const texts = (b: unknown) => {
  const block = b as Record<string, { rich_text?: { text: { content: string } }[] }> & { type: string };
  return block[block.type]?.rich_text?.map((t) => t.text.content) ?? [];
};

test("rich text is split at 2000 characters without cutting a surrogate pair", () => {
  const text = `${"a".repeat(1999)}😀${"b".repeat(3000)}`;
  const items = richText(text);
  assert.ok(items.every((i) => i.text.content.length <= RICH_TEXT_MAX_CHARS));
  assert.equal(items.map((i) => i.text.content).join(""), text, "nothing lost or reordered");
  assert.equal(items[0]?.text.content.length, 1999, "the emoji moves whole to the next item");
  assert.deepEqual(richText(""), []);
});

test("markdown becomes headings, bullets, numbered items, quotes, code, dividers and paragraphs", () => {
  const blocks = markdownToBlocks(
    '# Title\n\nFirst **bold** line\nsecond line\n\n- one\n• two\n1. first\n> quoted\n---\n```json\n{"a":1}\n```\n### Small',
  );
  assert.deepEqual(
    blocks.map((b) => b.type),
    [
      "heading_1",
      "paragraph",
      "bulleted_list_item",
      "bulleted_list_item",
      "numbered_list_item",
      "quote",
      "divider",
      "code",
      "heading_3",
    ],
  );
  assert.deepEqual(texts(blocks[1]), ["First bold line\nsecond line"]);
  assert.deepEqual(texts(blocks[7]), ['{"a":1}']);
  assert.equal((blocks[7] as { code: { language: string } }).code.language, "json");
});

test("a paragraph longer than 100 rich-text items becomes several blocks", () => {
  const long = "x".repeat(RICH_TEXT_MAX_CHARS * (RICH_TEXT_MAX_ITEMS + 5));
  const blocks = markdownToBlocks(long);
  assert.equal(blocks.length, 2);
  assert.equal(texts(blocks[0]).length, RICH_TEXT_MAX_ITEMS);
  assert.equal(texts(blocks[1]).length, 5);
  assert.equal(blocks.flatMap(texts).join(""), long);
});
