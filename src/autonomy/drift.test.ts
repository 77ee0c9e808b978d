import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Charter } from "../governance/charter.ts";
import { bandOf, type DriftInput, scoreDrift, topComponents } from "./drift.ts";

const charter: Pick<Charter, "drift" | "evaluator"> = {
  drift: {
    weights: {
      heartbeat: 25,
      providerErrors: 20,
      scoreShortfall: 20,
      governance: 20,
      unsealedChanges: 10,
      evidence: 5,
    },
    bands: { greenMax: 10, yellowMax: 30 },
    windowMinutes: 60,
    windowCycles: 10,
  },
  evaluator: { targetScore: 0.8, passThreshold: 0.7 },
};

const healthy: DriftInput = {
  heartbeat: { window: 10, counted: 10, missedSlots: 0, lateTicks: 0 },
  providers: { attempts: 0, failed: 0 },
  runs: { scores: [], failed: 0 },
  governance: { violations: 0 },
  unsealed: { sealed: true, files: 6, changed: 0 },
  evidence: { delivered: 0, failed: 0 },
  custody: { ledgerOk: true, vaultOk: true },
};

const points = (input: DriftInput, name: string) =>
  scoreDrift(input, charter).components.find((c) => c.name === name)?.points;

describe("the drift score", () => {
  test("a healthy system scores 0, green, every share 0", () => {
    const r = scoreDrift(healthy, charter);
    assert.equal(r.score, 0);
    assert.equal(r.band, "green");
    assert.equal(r.components.length, 6);
    assert.ok(r.components.every((c) => c.points === 0 && c.share === 0));
  });

  test("each component is its weight times its fraction", () => {
    assert.equal(
      points(
        { ...healthy, heartbeat: { window: 10, counted: 3, missedSlots: 2, lateTicks: 2 } },
        "heartbeat",
      ),
      7.5,
    );
    assert.equal(points({ ...healthy, providers: { attempts: 8, failed: 6 } }, "provider_errors"), 15);
    // One run at 0.6 against 0.8 (a quarter short) and one failed run (fully short): mean 0.625.
    assert.equal(points({ ...healthy, runs: { scores: [0.6], failed: 1 } }, "score_shortfall"), 12.5);
    assert.equal(points({ ...healthy, runs: { scores: [0.95], failed: 0 } }, "score_shortfall"), 0);
    assert.equal(points({ ...healthy, governance: { violations: 1 } }, "governance"), 10);
    assert.equal(points({ ...healthy, governance: { violations: 5 } }, "governance"), 20, "saturates at 2");
    assert.equal(
      points({ ...healthy, unsealed: { sealed: true, files: 4, changed: 1 } }, "unsealed_changes"),
      2.5,
    );
    assert.equal(
      points({ ...healthy, unsealed: { sealed: false, files: 4, changed: 4 } }, "unsealed_changes"),
      0,
    );
    assert.equal(points({ ...healthy, evidence: { delivered: 3, failed: 1 } }, "evidence"), 1.3);
  });

  test("shares add up to 1 and the top components come first", () => {
    const r = scoreDrift(
      { ...healthy, providers: { attempts: 4, failed: 3 }, governance: { violations: 1 } },
      charter,
    );
    assert.equal(r.score, 25);
    assert.equal(r.band, "yellow");
    assert.ok(Math.abs(r.components.reduce((a, c) => a + c.share, 0) - 1) < 0.01);
    assert.deepEqual(
      topComponents(r).map((c) => c.name),
      ["provider_errors", "governance"],
    );
  });

  test("a custody failure scores 100 at once, whatever else holds", () => {
    const r = scoreDrift(
      { ...healthy, custody: { ledgerOk: false, vaultOk: true, reason: "the ledger (seq 3)" } },
      charter,
    );
    assert.equal(r.score, 100);
    assert.equal(r.band, "red");
    assert.equal(r.custodyFailure, true);
    assert.match(topComponents(r)[0]?.detail ?? "", /custody break: the ledger \(seq 3\)/);
  });

  test("bands: 0–10 green, 11–30 yellow, 31–100 red", () => {
    const bands = charter.drift.bands;
    assert.deepEqual(
      [0, 10, 10.1, 30, 30.1, 100].map((s) => bandOf(s, bands)),
      ["green", "green", "yellow", "yellow", "red", "red"],
    );
  });
});
