import assert from "node:assert/strict";
import { test } from "node:test";
import { autonomyInWords, driftComponentLine } from "./autonomyWords.ts";

const off = {
  running: false,
  where: "not started in this process (/codex activate starts it)",
  intervalSeconds: 60,
};
const here = {
  running: true,
  where: "this process",
  intervalSeconds: 60,
  nextHeartbeatAt: "2026-11-21T15:01:00.000Z",
};

test("SRR and the loop in words: on, off, or halted; never 'RUNNING · loop not running'", () => {
  const running = { state: "RUNNING" as const, since: null };
  assert.deepEqual(autonomyInWords(running, off), {
    state: "off",
    text: "off: not started in this process (/codex activate starts it)",
  });
  assert.deepEqual(autonomyInWords(running, here), {
    state: "on",
    text: "on: the loop runs in this process, a heartbeat every 60 s (next at 2026-11-21T09:01:00.000-06:00)",
  });
  const halted = { state: "HALTED" as const, since: "2026-11-21T15:00:00.000Z", reason: "manual" };
  assert.equal(
    autonomyInWords(halted, off).text,
    "HALTED by STOP–RESET–REALIGN since 2026-11-21T09:00:00.000-06:00 (manual); no loop is running",
  );
  assert.match(
    autonomyInWords(halted, here).text,
    /the loop in this process keeps its heartbeat but does no/,
  );
});

test("a drift component with no points says so, never '0 points (0% of 0)'", () => {
  const c = { name: "heartbeat", points: 0, share: 0, detail: "0 missed, 0 late" };
  assert.equal(driftComponentLine(c, 0), "• heartbeat: adds nothing: 0 missed, 0 late");
  assert.equal(
    driftComponentLine({ ...c, points: 11.3, share: 1, detail: "4 missed" }, 11.3),
    "• heartbeat: 11.3 of the 11.3 points (100%): 4 missed",
  );
});
