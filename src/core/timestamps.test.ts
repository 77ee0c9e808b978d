import assert from "node:assert/strict";
import { test } from "node:test";
import { chicagoIso, chicagoIsoIntl, compactUtc, utcIso } from "./timestamps.ts";

test("Chicago timestamps carry the DST-correct offset", () => {
  assert.equal(chicagoIso(new Date("2026-11-21T15:00:00.123Z")), "2026-11-21T09:00:00.123-06:00");
  assert.equal(chicagoIso(new Date("2026-07-04T17:30:00.000Z")), "2026-07-04T12:30:00.000-05:00");
});

test("UTC forms", () => {
  const d = new Date("2026-11-21T15:04:05.678Z");
  assert.equal(utcIso(d), "2026-11-21T15:04:05.678Z");
  assert.equal(compactUtc(d), "20261121T150405Z");
});

test("the hourly-cached Chicago offset agrees with Intl across DST changes and at random instants", () => {
  const check = (ms: number) => {
    const d = new Date(ms);
    assert.equal(chicagoIso(d), chicagoIsoIntl(d), d.toISOString());
  };
  // Around the 2026 and 2027 changes (08:00 UTC in March, 07:00 UTC in November), minute by minute.
  for (const change of ["2026-03-08T08:00:00.000Z", "2026-11-01T07:00:00.000Z", "2027-03-14T08:00:00.000Z"]) {
    const at = Date.parse(change);
    for (let m = -90; m <= 90; m++) check(at + m * 60_000 + 999);
  }
  // A deterministic spread over 1900–2100 (mulberry32), in and out of order.
  let a = 11;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const from = Date.parse("1900-01-01T00:00:00.000Z");
  const to = Date.parse("2100-01-01T00:00:00.000Z");
  for (let i = 0; i < 5000; i++) check(Math.floor(from + next() * (to - from)));
  // Outside the fast path's years, Intl answers.
  check(Date.parse("1850-06-01T12:00:00.000Z"));
});
