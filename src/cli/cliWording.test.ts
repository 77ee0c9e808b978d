import assert from "node:assert/strict";
import { test } from "node:test";
import { forCli } from "./cliWording.ts";

test("chat's /codex hints become the maos commands typed on a terminal", () => {
  const cases: [string, string][] = [
    [
      "approve and resolve the open incidents (/codex incident list), then /codex resume",
      "approve and resolve the open incidents (maos incident list), then maos resume",
    ],
    [
      "sync with /codex client sync if it was just added",
      "sync with maos client --sync if it was just added",
    ],
    ["list them with /codex client list", "list them with maos client"],
    ["usage: /codex run <stack> [key=value …]", "usage: maos run <stack> [--input key=value …]"],
    [
      'try `/codex run marketing_ops event="Midwest Expo" region=US` now',
      'try `maos run marketing_ops --input event="Midwest Expo" --input region=US` now',
    ],
    ["(try `/codex help`)", "(try `maos --help`)"],
    ["/codex ledger tail 5", "maos ledger tail -n 5"],
    [
      "INC-1 has no resolution note (/codex incident resolve INC-1 <note>)",
      "INC-1 has no resolution note (maos incident resolve INC-1 <note>)",
    ],
  ];
  for (const [chat, cli] of cases) assert.equal(forCli(chat), cli);
});

test("chat-only commands, and commands said to be typed elsewhere, stay as they are", () => {
  for (const text of [
    "Approve with: /codex approve APR-1",
    "Reject with:  /codex reject APR-1",
    "start the loop (npm start, or /codex activate in the shell)",
  ]) {
    assert.equal(forCli(text), text);
  }
});
