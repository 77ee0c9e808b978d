import assert from "node:assert/strict";
import { test } from "node:test";
import canonicalize from "canonicalize";
import fc from "fast-check";
import {
  canonicalEntry,
  canonicalPayload,
  canonicalProblem,
  ENTRY_KEYS,
  entryFromCanonical,
  entryHash,
  ZERO_HASH,
} from "./ledgerEntry.ts";
import { leafHash } from "./merkle.ts";

test("canonicalEntry equals RFC 8785 canonicalize() of the same fields (property, full Unicode)", () => {
  const text = fc.string({ unit: "grapheme", maxLength: 12 });
  const json = fc.jsonValue({ maxDepth: 3 });
  fc.assert(
    fc.property(
      fc.record({
        seq: fc.nat(),
        id: text,
        tsUtc: text,
        tsCt: text,
        eventType: text,
        level: fc.constantFrom("debug", "info", "warn", "error", "critical"),
        actor: fc.oneof(
          text,
          fc.string({ unit: "binary", maxLength: 8 }).filter((s) => s.isWellFormed()),
        ),
        payload: json,
        corr: text,
        seal: fc.option(text, { nil: null }),
        env: text,
        prev: text,
      }),
      (r) => {
        const payloadJson = canonicalPayload(r.payload);
        const fast = canonicalEntry(
          r.seq,
          r.id,
          r.tsUtc,
          r.tsCt,
          r.eventType,
          r.level,
          r.actor,
          payloadJson,
          r.corr,
          r.seal,
          r.env,
          r.prev,
        );
        const reference = canonicalize({
          seq: r.seq,
          id: r.id,
          timestamp_utc: r.tsUtc,
          timestamp_ct: r.tsCt,
          event_type: r.eventType,
          level: r.level,
          actor_identity: r.actor,
          payload: JSON.parse(payloadJson),
          correlation_id: r.corr,
          seal_version: r.seal,
          environment: r.env,
          prev_hash: r.prev,
        });
        assert.equal(fast, reference);
      },
    ),
    { numRuns: 300 },
  );
});

test("entryHash is the RFC 6962 leaf hash of the canonical bytes", () => {
  const c = canonicalEntry(
    0,
    "id",
    "u",
    "c",
    "GENESIS",
    "info",
    "a",
    "{}",
    "genesis",
    null,
    "test",
    ZERO_HASH,
  );
  assert.equal(entryHash(c), leafHash(Buffer.from(c, "utf8")).toString("hex"));
  assert.equal(entryHash("é"), leafHash(Buffer.from("é", "utf8")).toString("hex"));
});

test("canonicalPayload's one-pass writer gives canonicalize()'s text for any JSON value (property, full Unicode)", () => {
  const key = fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 6 }),
    fc.string({ unit: "binary", maxLength: 4 }),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small" },
      fc.string({ unit: "binary", maxLength: 8 }),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.array(tie("node"), { maxLength: 4 }),
      fc.dictionary(key, tie("node"), { maxKeys: 4 }),
    ),
  })).node;
  fc.assert(
    fc.property(fc.dictionary(key, value, { maxKeys: 5 }), (payload) => {
      let reference: string | undefined;
      try {
        reference = canonicalize(payload);
      } catch {
        reference = undefined;
      }
      let text: string | undefined;
      try {
        text = canonicalPayload(payload);
      } catch {
        text = undefined;
      }
      // Whatever canonicalPayload accepts is written exactly as canonicalize writes it.
      if (text !== undefined) assert.equal(text, reference);
    }),
    { numRuns: 2000 },
  );
});

test("canonicalPayload sorts keys and refuses what JSON cannot carry", () => {
  assert.equal(
    canonicalPayload({ b: 1, a: [1.5, "x", null, true], c: undefined }),
    '{"a":[1.5,"x",null,true],"b":1}',
  );
  assert.equal(canonicalPayload(Object.assign(Object.create(null), { z: 1 })), '{"z":1}');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  for (const bad of [
    () => 1,
    10n,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    undefined,
    Symbol("s"),
    new Date(0),
    new Map(),
    [undefined],
    { a: { b: 1n } },
    "\ud800",
    cyclic,
  ]) {
    assert.throws(
      () => canonicalPayload(bad),
      (err: Error & { code?: string }) => err.code === "INTERNAL",
      String(typeof bad),
    );
  }
});

const sampleCanonical = (payloadJson: string, sealVersion: string | null = null) =>
  canonicalEntry(
    7,
    "id-7",
    "2026-11-21T15:00:00.000Z",
    "2026-11-21T09:00:00.000-06:00",
    "run.step",
    "warn",
    "U1",
    payloadJson,
    "run-1",
    sealVersion,
    "test",
    "ab".repeat(32),
  );

test("entryFromCanonical reads an entry back from its hashed bytes", () => {
  const canonical = sampleCanonical('{"a":[1,"x"]}', "v2");
  assert.deepEqual(entryFromCanonical(canonical, entryHash(canonical)), {
    seq: 7,
    id: "id-7",
    timestampUtc: "2026-11-21T15:00:00.000Z",
    timestampCt: "2026-11-21T09:00:00.000-06:00",
    eventType: "run.step",
    level: "warn",
    actorIdentity: "U1",
    payload: { a: [1, "x"] },
    correlationId: "run-1",
    sealVersion: "v2",
    environment: "test",
    prevHash: "ab".repeat(32),
    entryHash: entryHash(canonical),
  });
  assert.deepEqual(Object.keys(JSON.parse(canonical)), [...ENTRY_KEYS]);
});

test("canonicalProblem accepts the writer's bytes and names what a hand-written entry gets wrong", () => {
  assert.equal(canonicalProblem(sampleCanonical('{"a":1,"b":"é"}')), undefined);
  assert.equal(canonicalProblem(sampleCanonical('"text"', 'v"1')), undefined);
  assert.equal(canonicalProblem(sampleCanonical('{"b":1,"a":2}')), "payload is not RFC 8785 canonical JSON");
  assert.equal(canonicalProblem(sampleCanonical('{"a": 1}')), "payload is not RFC 8785 canonical JSON");
  assert.equal(
    canonicalProblem(sampleCanonical("{}").replace('"U1"', '"\\u00551"')),
    "canonical bytes are not RFC 8785 canonical JSON",
  );
  assert.equal(canonicalProblem("{nope"), "canonical bytes are not valid JSON");
  assert.equal(canonicalProblem("[1]"), "canonical bytes are not a JSON object");
  const entry = JSON.parse(sampleCanonical("{}"));
  const without = { ...entry };
  delete without.environment;
  assert.equal(
    canonicalProblem(canonicalize(without) as string),
    "canonical bytes do not hold exactly the entry fields",
  );
  assert.equal(
    canonicalProblem(canonicalize({ ...entry, extra: 1 }) as string),
    "canonical bytes do not hold exactly the entry fields",
  );
  assert.equal(
    canonicalProblem(canonicalize({ ...entry, level: "loud" }) as string),
    "canonical bytes hold an unknown level",
  );
  assert.equal(
    canonicalProblem(canonicalize({ ...entry, seq: -1 }) as string),
    "canonical bytes hold a bad seq",
  );
  assert.equal(
    canonicalProblem(canonicalize({ ...entry, seq: 1.5 }) as string),
    "canonical bytes hold a bad seq",
  );
  assert.equal(
    canonicalProblem(canonicalize({ ...entry, seal_version: "" }) as string),
    "canonical bytes hold a bad seal_version",
  );
  assert.equal(
    canonicalProblem(canonicalize({ ...entry, actor_identity: 5 }) as string),
    "canonical bytes hold a field that is not a non-empty string",
  );
});

test("payloads nesting deeper than SQLite's JSON functions read are refused at append time", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 500; i++) deep = [deep];
  assert.equal(canonicalPayload(deep).length, 500 * 2 + 1);
  assert.throws(() => canonicalPayload([deep]), /nesting deeper than 500 levels/);
  assert.throws(() => canonicalPayload({ a: [deep] }), { code: "INTERNAL" });
});
