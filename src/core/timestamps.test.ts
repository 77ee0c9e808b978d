import assert from "node:assert/strict";
import { test } from "node:test";
import { chicagoIso, compactUtc, utcIso } from "./timestamps.ts";

test("Chicago timestamps carry the DST-correct offset", () => {
  assert.equal(chicagoIso(new Date("2026-11-21T15:00:00.123Z")), "2026-11-21T09:00:00.123-06:00");
  assert.equal(chicagoIso(new Date("2026-07-04T17:30:00.000Z")), "2026-07-04T12:30:00.000-05:00");
});

test("UTC forms", () => {
  const d = new Date("2026-11-21T15:04:05.678Z");
  assert.equal(utcIso(d), "2026-11-21T15:04:05.678Z");
  assert.equal(compactUtc(d), "20261121T150405Z");
});
