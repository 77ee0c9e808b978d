import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isCodexError } from "../src/core/CodexError.ts";
import type { AnyCommand } from "./CommandSpec.ts";
import { CHAT_GROUPS, CLI_ORDER, COMMANDS } from "./registry.ts";
import { checkInput, wordsToInput } from "./words.ts";

const spec = (name: string): AnyCommand => {
  const s = COMMANDS.find((c) => c.name === name);
  assert.ok(s, name);
  return s;
};
const fromWords = (name: string, words: string[]) => {
  const s = spec(name);
  assert.ok(s.chat, name);
  return wordsToInput(s.chat, s.chat.words.join(" "), words, s);
};
const usage = (message: string) => (err: unknown) =>
  isCodexError(err) && err.code === "USAGE" && err.message === message;

describe("the command registry", () => {
  test("each command is reachable, once, from chat or the CLI", () => {
    const names = COMMANDS.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, "names are unique");
    for (const c of COMMANDS) assert.ok(c.chat || c.cli, `${c.name} has a chat or a CLI form`);
    const paths = COMMANDS.flatMap((c) => (c.cli ? [c.cli.path.join(" ")] : []));
    assert.equal(new Set(paths).size, paths.length, "CLI paths are unique");
    const chat = COMMANDS.flatMap((c) => (c.chat ? [c.chat.words.join(" ")] : []));
    assert.equal(new Set(chat).size, chat.length, "chat words are unique");
    for (const c of COMMANDS.filter((x) => x.cli))
      assert.ok(CLI_ORDER.includes(c.name), `${c.name} in CLI_ORDER`);
  });

  test("a /codex word shared by several commands is a group with one default", () => {
    const byWord = new Map<string, AnyCommand[]>();
    for (const c of COMMANDS) {
      const w = c.chat?.words[0];
      if (w) byWord.set(w, [...(byWord.get(w) ?? []), c]);
    }
    for (const [word, members] of byWord) {
      if (members.length === 1 && members[0]?.chat?.words.length === 1) continue;
      assert.ok(CHAT_GROUPS[word], `${word} has a group entry`);
      assert.equal(members.filter((m) => m.chat?.isDefault).length, 1, `${word} has one default`);
    }
  });
});

describe("the word parser", () => {
  test("positions, key=value pairs and the schema's defaults fill the input", async () => {
    assert.deepEqual(await fromWords("run", ["marketing_ops", "event=Midwest Expo", "region=US"]), {
      stack: "marketing_ops",
      inputs: { event: "Midwest Expo", region: "US" },
    });
    assert.deepEqual(await fromWords("ledger tail", []), { lines: 10 });
    assert.deepEqual(await fromWords("incident list", ["ALL"]), { filter: "all" });
    assert.deepEqual(await fromWords("stop", ["drift", "too", "high"]), { reason: "drift too high" });
    assert.deepEqual(await fromWords("client", []), { name: [], sync: false });
  });

  test("words that do not fit are a USAGE error naming the form", async () => {
    await assert.rejects(fromWords("seal", ["v1", "v2"]), usage("/codex seal takes one version, v0 to v4"));
    await assert.rejects(fromWords("status", ["now"]), usage("/codex status takes no arguments"));
    await assert.rejects(
      fromWords("ledger tail", ["500"]),
      usage('N must be a whole number from 1 to 100, got "500"'),
    );
    await assert.rejects(fromWords("run", ["x", "a=1", "a=2"]), usage('input "a" is given twice'));
    await assert.rejects(
      fromWords("incident show", ["INC-1", "INC-2"]),
      usage("/codex incident show takes one incident id"),
    );
  });

  test("the CLI's values are checked by the same schema", async () => {
    await assert.rejects(
      checkInput(spec("incident list"), { filter: "closed" }),
      usage('incident list takes open, resolved or all, not "closed"'),
    );
    assert.deepEqual(await checkInput(spec("memory search"), { query: ["expo", "leads"], limit: 3 }), {
      query: "expo leads",
      limit: 3,
    });
  });

  test("a command's check without zod accepts only what its schema accepts, and gives the same input", async () => {
    const { z } = await import("zod");
    const raws: Record<string, unknown>[] = [
      {},
      { lines: 1 },
      { lines: 20 },
      { lines: 0 },
      { lines: -3 },
      { lines: 1.5 },
      { lines: "3" },
      { lines: Number.NaN },
      { lines: Number.POSITIVE_INFINITY },
      { lines: 2 ** 60 },
      { lines: null },
      { extra: true },
      { lines: 5, extra: "x" },
    ];
    const plain = COMMANDS.filter((c) => c.plainInput);
    assert.deepEqual(plain.map((c) => c.name).sort(), ["ledger tail", "stacks list"]);
    for (const c of plain) {
      const schema = c.input(z);
      for (const raw of raws) {
        const quick = c.plainInput?.(raw);
        if (quick === undefined) continue;
        const full = schema.safeParse(raw);
        assert.ok(full.success, `${c.name}: ${JSON.stringify(raw)} passes without zod but not its schema`);
        assert.deepEqual(quick, full.data, `${c.name}: ${JSON.stringify(raw)}`);
      }
      assert.notEqual(
        c.plainInput?.({ lines: 10 }),
        undefined,
        `${c.name} takes its usual input without zod`,
      );
    }
    await assert.rejects(
      checkInput(spec("ledger tail"), { lines: 0 }),
      (err) => isCodexError(err) && err.code === "USAGE",
    );
  });
});
