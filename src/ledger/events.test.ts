import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { type AnyAppend, EVENT_TYPES, type EventType, isEventType, payloadOf } from "./events.ts";
import type { LedgerAppend, LedgerEntry } from "./ledgerEntry.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CATALOGUE = path.join("src", "ledger", "events.ts");

/** Every non-test .ts file under src/ and commands/, relative to the repository root. */
function sourceFiles(): string[] {
  return ["src", "commands"].flatMap((dir) =>
    readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .map((f) => path.join(dir, f))
      .filter((f) => f !== CATALOGUE),
  );
}

const EVENT_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
const literalsIn = (expr: string) =>
  [...expr.matchAll(/"([^"\\]*)"/g)].map((m) => m[1] ?? "").filter((s) => EVENT_NAME.test(s));

interface Use {
  type: string;
  where: string;
}

/**
 * The event types the code names: the literals of every `eventType:` (appends, publish causes, queries)
 * and `eventType ===` comparison, a constant given as the whole `eventType:` value (VAULT_KEY_EVENT),
 * and the literal first argument of an `append(`/`record(` wrapper (runStack's append, ApprovalService's
 * #record), ternaries of literals included.
 */
function namedEventTypes(): { uses: Use[]; unresolved: Use[] } {
  const files = sourceFiles().map((f) => ({ f, text: readFileSync(path.join(ROOT, f), "utf8") }));
  const constants = new Map<string, string>();
  for (const { text } of files) {
    for (const m of text.matchAll(/\bconst ([A-Z][A-Z0-9_]*)\s*=\s*"([^"]*)"/g))
      constants.set(m[1] ?? "", m[2] ?? "");
  }
  const uses: Use[] = [];
  const unresolved: Use[] = [];
  for (const { f, text } of files) {
    const at = (index: number) => `${f}:${text.slice(0, index).split("\n").length}`;
    const patterns = [
      /\beventType\s*:\s*([^,}\n]*)/g,
      /\beventType\s*===?\s*("[^"]*")/g,
      /\b(?:append|record)\(\s*(?!\{)([^,();{}]*),/g,
    ];
    for (const re of patterns) {
      for (const m of text.matchAll(re)) {
        const expr = (m[1] ?? "").trim();
        for (const type of literalsIn(expr)) uses.push({ type, where: at(m.index) });
        // A constant is SCREAMING_CASE of two characters or more; a lone capital is a type parameter.
        if (re === patterns[0] && /^[A-Z][A-Z0-9_]+$/.test(expr)) {
          const value = constants.get(expr);
          if (value === undefined) unresolved.push({ type: expr, where: at(m.index) });
          else uses.push({ type: value, where: at(m.index) });
        }
      }
    }
  }
  return { uses, unresolved };
}

test("every event type the code writes, queries or compares is in the catalogue", () => {
  const { uses, unresolved } = namedEventTypes();
  assert.deepEqual(unresolved, [], "an eventType constant whose string value this scan cannot find");
  const unknown = uses.filter((u) => !isEventType(u.type));
  assert.deepEqual(unknown, [], `add these to LedgerEvents and EVENT_TYPES in ${CATALOGUE}`);
  // The scan itself still works: it finds (nearly) every catalogued type through the patterns above.
  const found = new Set(uses.map((u) => u.type));
  assert.ok(found.size >= 50, `the scan found only ${found.size} event types: ${[...found].join(", ")}`);
  assert.ok(found.has("VAULT_SIGNING_KEY"), "the VAULT_KEY_EVENT constant was not resolved");
  assert.ok(found.has("AGENT_STEP_COMPLETED") && found.has("APPROVAL_REJECTED"), "ternary wrappers missed");
});

test("every catalogued event type is still named somewhere in the code", () => {
  const text = sourceFiles()
    .map((f) => readFileSync(path.join(ROOT, f), "utf8"))
    .join("\n");
  const dead = EVENT_TYPES.filter((t) => !text.includes(`"${t}"`));
  assert.deepEqual(dead, [], "catalogued types nothing writes any more: remove them from the catalogue");
});

test("EVENT_TYPES lists each key of LedgerEvents once", () => {
  // Compile time: a key missing from EVENT_TYPES makes this type that key, and `true` no longer fits it;
  // `satisfies readonly EventType[]` in events.ts refuses a listed name that is not a key.
  type Unlisted = Exclude<EventType, (typeof EVENT_TYPES)[number]>;
  const everyKeyListed: [Unlisted] extends [never] ? true : Unlisted = true;
  assert.equal(everyKeyListed, true);
  assert.equal(new Set(EVENT_TYPES).size, EVENT_TYPES.length);
  assert.ok(EVENT_TYPES.every((t) => isEventType(t)));
  assert.equal(isEventType("NO_SUCH_EVENT"), false);
});

function entry(eventType: string, payload: unknown): LedgerEntry {
  return {
    seq: 7,
    id: "00000000-0000-4000-8000-000000000007",
    timestampUtc: "2026-12-07T12:00:00.000Z",
    timestampCt: "2026-12-07T06:00:00.000-06:00",
    eventType,
    level: "info",
    actorIdentity: "system:maos-codex",
    payload,
    correlationId: "c-1",
    sealVersion: null,
    environment: "test",
    prevHash: "0".repeat(64),
    entryHash: "1".repeat(64),
  };
}

test("payloadOf: the payload of an entry of that type, typed by the catalogue", () => {
  const payload = { runId: "r-1", stack: "marketing_ops", agents: ["a", "b"] };
  const p = payloadOf(entry("RUN_STARTED", payload), "RUN_STARTED");
  assert.equal(p, payload);
  const stack: string | undefined = p.stack;
  const agents: string[] | undefined = p.agents;
  assert.equal(stack, "marketing_ops");
  assert.deepEqual(agents, ["a", "b"]);
  // An entry of one of several types: its own eventType, narrowed to them, selects the union.
  const end = entry("RUN_FAILED", { status: "failed", error: { code: "RUN_FAILED", message: "m" } });
  const e = payloadOf(end, end.eventType as "RUN_COMPLETED" | "RUN_FAILED" | "RUN_CANCELLED");
  assert.equal(e.status, "failed");
  assert.equal(e.error?.code, "RUN_FAILED");
});

test("payloadOf: {} for a missing entry, another type, or a payload that is not a JSON object", () => {
  assert.deepEqual(payloadOf(undefined, "HEARTBEAT"), {});
  assert.deepEqual(payloadOf(entry("RUN_FAILED", { runId: "r" }), "RUN_COMPLETED"), {});
  for (const bad of [null, "text", 3, true, ["a"], undefined]) {
    assert.deepEqual(payloadOf(entry("HEARTBEAT", bad), "HEARTBEAT"), {}, `payload ${String(bad)}`);
  }
});

test("AnyAppend ties each eventType to its payload", () => {
  const ok: AnyAppend = {
    eventType: "SRR_STOPPED",
    level: "warn",
    actor: "slack:U1",
    correlationId: "c-2",
    payload: { reason: "maintenance", roles: ["operator"] },
  };
  const wrong: AnyAppend = {
    eventType: "SRR_STOPPED",
    actor: "slack:U1",
    correlationId: "c-3",
    // @ts-expect-error SRR_STOPPED's payload has no `seq`, and needs `reason` and `roles`
    payload: { seq: 1 },
  };
  // Every typed append is a LedgerAppend, so the Ledger as it is satisfies `{ append(e: AnyAppend) }`.
  const raw: LedgerAppend = ok;
  assert.equal(raw.eventType, wrong.eventType);
});
