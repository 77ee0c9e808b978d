import assert from "node:assert/strict";
import { test } from "node:test";
import canonicalize from "canonicalize";
import fc from "fast-check";
import { canonicalEntry, canonicalPayload, entryHash, ZERO_HASH } from "./ledgerEntry.ts";
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
