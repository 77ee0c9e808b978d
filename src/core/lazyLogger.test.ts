import assert from "node:assert/strict";
import { test } from "node:test";
import { lazyLogger } from "./lazyLogger.ts";

test("a lazy logger logs as the pino logger it makes on first use: levels, children, scrubbed secrets", () => {
  const lines: string[] = [];
  // Written to synchronously, line by line, as pino writes to a destination.
  const out = { write: (line: string) => lines.push(line.trim()) > 0 } as unknown as NodeJS.WritableStream;
  const secret = "sk-test-secret-value-0000";
  const log = lazyLogger({ level: "warn", secrets: [secret], destination: out });
  log.info("not at warn");
  log.warn({ detail: `key ${secret}` }, "careful");
  log.child({ part: "relays" }).error("broken");
  assert.equal(log.level, "warn");
  assert.equal(log.isLevelEnabled("info"), false);
  log.level = "info";
  log.info("now at info");
  const parsed = lines.map((l) => JSON.parse(l) as { msg: string; part?: string; detail?: string });
  assert.deepEqual(
    parsed.map((p) => p.msg),
    ["careful", "broken", "now at info"],
  );
  assert.equal(parsed[1]?.part, "relays");
  assert.doesNotMatch(lines.join("\n"), new RegExp(secret));
});
