import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { canonicalEntry, canonicalPayload } from "./ledgerEntry.ts";
import { chainFields } from "./verifyRange.ts";

const PREV = "cd".repeat(32);
const entry = (
  seq: number,
  payload: unknown,
  opts: { seal?: string | null; utc?: string; ct?: string } = {},
) =>
  canonicalEntry(
    seq,
    "id",
    opts.utc ?? "2026-11-21T15:00:00.000Z",
    opts.ct ?? "2026-11-21T09:00:00.000-06:00",
    "run.step",
    "info",
    "agent",
    canonicalPayload(payload),
    "run-1",
    opts.seal ?? null,
    "test",
    PREV,
  );

test("chainFields reads the top-level prev_hash and seq, not the payload's keys of the same names", () => {
  const tricky = {
    prev_hash: "ef".repeat(32),
    seq: 3,
    z: { seq: 4, prev_hash: "01".repeat(32) },
    text: ',"seq":5,"prev_hash":"',
  };
  assert.deepEqual(chainFields(entry(12, tricky), 12), { prevHash: PREV, seqText: "12" });
  // The row's seq is only a hint for the fixed-offset path: a different one falls back to the search.
  assert.deepEqual(chainFields(entry(12, tricky), 13), { prevHash: PREV, seqText: "12" });
  assert.deepEqual(chainFields(entry(0, {}), 0), { prevHash: PREV, seqText: "0" });
});

test("chainFields handles a seal version (even one holding the keys as text) and other timestamp widths", () => {
  const seal = ',"seq":1,"seal_version":null,"prev_hash":"';
  assert.deepEqual(chainFields(entry(40, { seq: 1 }, { seal }), 40), { prevHash: PREV, seqText: "40" });
  assert.deepEqual(chainFields(entry(40, [], { utc: "x", ct: "y" }), 40), { prevHash: PREV, seqText: "40" });
});

test("chainFields agrees with JSON.parse on any payload and seal version (property)", () => {
  fc.assert(
    fc.property(
      fc.nat({ max: 2 ** 40 }),
      fc.jsonValue({ maxDepth: 3 }),
      fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: null }),
      (seq, payload, seal) => {
        const text = entry(seq, payload, { seal });
        const parsed = JSON.parse(text);
        assert.deepEqual(chainFields(text, seq), { prevHash: parsed.prev_hash, seqText: String(parsed.seq) });
      },
    ),
    { numRuns: 300 },
  );
});

test("chainFields refuses text that does not end like an entry", () => {
  assert.equal(chainFields("", 0), undefined);
  assert.equal(chainFields("not json", 0), undefined);
  const good = entry(5, {});
  assert.equal(chainFields(good.replace(`"prev_hash":"${PREV}"`, '"prev_hash":"short"'), 5), undefined);
  assert.equal(chainFields(good.replace(',"seal_version":null', ""), 5), undefined);
  assert.equal(chainFields(good.replace(',"seq":5', ""), 5), undefined);
});
