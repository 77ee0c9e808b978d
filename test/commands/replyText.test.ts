import assert from "node:assert/strict";
import { test } from "node:test";
import type { Reply } from "../../src/core/Reply.ts";
import { replyToText } from "../../src/core/replyText.ts";

const reply: Reply = {
  summary: "fallback",
  parts: [
    { kind: "header", text: "Seal v0" },
    { kind: "text", text: "*Ready* to seal." },
    {
      kind: "fields",
      fields: [
        { label: "Score", value: "0.91" },
        { label: "Vault commit", value: "`abc`" },
      ],
    },
    { kind: "divider" },
    { kind: "document", title: "agent_a: full output", filename: "agent_a.md", text: "line 1\nline 2\n\n" },
    { kind: "approval", approvalId: "A-7", prompt: "Approve seal v0?" },
    { kind: "context", text: "recorded in the ledger\nseq 42" },
  ],
};

test("replyToText shows every part: header, fields, document in full, approval commands, context", () => {
  assert.equal(
    replyToText(reply),
    [
      "SEAL V0",
      "═══════",
      "Ready to seal.",
      "Score:        0.91",
      "Vault commit: `abc`",
      "─".repeat(48),
      `── agent_a: full output (agent_a.md) ${"─".repeat(14)}`,
      "line 1",
      "line 2",
      "Approve seal v0?",
      "  Approve with: /codex approve A-7",
      "  Reject with:  /codex reject A-7",
      "· recorded in the ledger",
      "· seq 42",
    ].join("\n"),
  );
});

test("with colour the header is bold, context dim and an error red; no parts falls back to the summary", () => {
  const colored = replyToText({ ...reply, isError: true }, { color: true });
  const esc = "\u001b";
  assert.ok(colored.startsWith(`${esc}[31m${esc}[1mSEAL V0${esc}[22m`), JSON.stringify(colored));
  assert.ok(colored.endsWith(`${esc}[2mseq 42${esc}[22m${esc}[39m`), JSON.stringify(colored));
  assert.equal(replyToText({ summary: "just this", parts: [] }), "just this");
});
