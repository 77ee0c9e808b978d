import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { SPLIT_TEXT_MIN, splitText } from "./splitText.ts";

// A fixed seed keeps the suite deterministic; the properties were also run with many random seeds.
fc.configureGlobal({ seed: 20261121 });

const fences = (s: string) => s.split("```").length - 1;
const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Text built from the characters that matter at a cut: spaces, newlines, backticks, astral and accented letters. */
const tricky = (chars: string[], maxLength: number) =>
  fc.array(fc.constantFrom(...chars), { maxLength, size: "max" }).map((a) => a.join(""));
const ANY = ["a", "b", "c", " ", "\n", "`", "😀", "é", "&"];
const NO_BACKTICK = ANY.filter((c) => c !== "`");

/** Prose and well-formed ``` code blocks, the shape of an agent's output. */
const withCodeBlocks = fc
  .array(
    fc.oneof(
      tricky(NO_BACKTICK, 300),
      tricky(NO_BACKTICK, 300).map((code) => `\`\`\`\n${code}\n\`\`\`\n`),
      tricky(NO_BACKTICK, 300).map((code) => `\`\`\`ts\n${code}\n\`\`\`\n`),
    ),
    { maxLength: 8, size: "max" },
  )
  .map((parts) => parts.join(""));

describe("splitText", () => {
  test("short text stays whole; empty text gives nothing", () => {
    assert.deepEqual(splitText("hello", 100), ["hello"]);
    assert.deepEqual(splitText("", 100), []);
  });

  test("prefers paragraph, then line, then word boundaries", () => {
    const para = `${"a".repeat(30)}\n\n${"b".repeat(30)}`;
    assert.deepEqual(splitText(para, 40), [`${"a".repeat(30)}\n\n`, "b".repeat(30)]);
    const lines = `${"a".repeat(20)} aa\n${"b".repeat(30)}`;
    assert.deepEqual(splitText(lines, 40), [`${"a".repeat(20)} aa\n`, "b".repeat(30)]);
    const words = `${"a".repeat(25)} ${"b".repeat(25)}`;
    assert.deepEqual(splitText(words, 40), [`${"a".repeat(25)} `, "b".repeat(25)]);
  });

  test("a boundary that would leave a tiny chunk is passed over for a hard cut", () => {
    const text = `ab ${"c".repeat(60)}`;
    const parts = splitText(text, 40);
    assert.equal(
      parts[0]?.length,
      36,
      "fills the budget (40 minus the fence reserve) rather than cutting after 'ab '",
    );
    assert.equal(parts.join(""), text);
  });

  test("never cuts a surrogate pair", () => {
    const text = "😀".repeat(40);
    const parts = splitText(text, 17);
    for (const p of parts) {
      assert.ok(!isHigh(p.charCodeAt(p.length - 1)) && !isLow(p.charCodeAt(0)), JSON.stringify(p));
    }
    assert.equal(parts.join(""), text);
  });

  test("closes and reopens a code block cut in two", () => {
    const text = `intro\n\`\`\`\n${"x = 1\n".repeat(20)}\`\`\`\nafter`;
    const parts = splitText(text, 60);
    assert.ok(parts.length > 1);
    for (const p of parts) assert.equal(fences(p) % 2, 0, `balanced: ${JSON.stringify(p)}`);
    assert.ok(parts[1]?.startsWith("```\n"));
    assert.ok(parts[0]?.endsWith("```"));
  });

  test("refuses a max too small to hold fence markers", () => {
    assert.throws(() => splitText("abc", SPLIT_TEXT_MIN - 1), /at least 16/);
  });

  test("property: every chunk fits and no surrogate pair is cut", () => {
    let split = 0;
    fc.assert(
      fc.property(tricky(ANY, 2000), fc.integer({ min: SPLIT_TEXT_MIN, max: 300 }), (text, max) => {
        const parts = splitText(text, max);
        if (parts.length > 1) split++;
        for (const p of parts) {
          assert.ok(p.length <= max, `${p.length} > ${max}`);
          assert.ok(p.length > 0);
          assert.ok(!isHigh(p.charCodeAt(p.length - 1)), "ends on a high surrogate");
          assert.ok(!isLow(p.charCodeAt(0)), "starts on a low surrogate");
        }
      }),
    );
    assert.ok(split > 50, `the generator must exercise splitting (split in ${split} of 100 runs)`);
  });

  test("property: without code fences the chunks concatenate to the input exactly", () => {
    fc.assert(
      fc.property(tricky(NO_BACKTICK, 3000), fc.integer({ min: SPLIT_TEXT_MIN, max: 500 }), (text, max) => {
        assert.equal(splitText(text, max).join(""), text);
      }),
    );
  });

  test("property: code blocks stay balanced in every chunk and no text is lost", () => {
    // Slack has no language hints: "```ts" shows "ts" as code, so only the fences themselves are markup.
    const strip = (s: string) => s.replaceAll("```", "").replace(/\s+/g, "");
    fc.assert(
      fc.property(withCodeBlocks, fc.integer({ min: SPLIT_TEXT_MIN, max: 400 }), (text, max) => {
        const parts = splitText(text, max);
        for (const p of parts) {
          assert.ok(p.length <= max);
          assert.equal(fences(p) % 2, 0, `unbalanced chunk ${JSON.stringify(p)}`);
        }
        assert.equal(strip(parts.join("")), strip(text));
      }),
    );
  });
});
