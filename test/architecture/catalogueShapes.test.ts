/**
 * The ledger catalogue (src/ledger/events.ts) owns the shapes entries record; the drift score, evidence
 * records and error classes are defined there only. Where a feature keeps its own richer type (the
 * telemetry reading, the activation record, config changes), or a runtime list of names or kinds, the ledger
 * layer may not import it, so this holds the two to each other in both directions at compile time
 * (npm test type-checks this file).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Provider } from "../../src/agents/Provider.ts";
import type { ActivationRecord } from "../../src/autonomy/Activation.ts";
import type { ConfigChange } from "../../src/autonomy/configHashes.ts";
import type { SnapshotSummary } from "../../src/autonomy/DailySnapshot.ts";
import type { DRIFT_COMPONENTS } from "../../src/autonomy/drift.ts";
import type { TelemetryReading } from "../../src/autonomy/Telemetry.ts";
import type * as Catalogue from "../../src/ledger/events.ts";

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const same: {
  providerKind: Same<Provider["kind"], Catalogue.AttemptRecord["kind"]>;
  driftNames: Same<(typeof DRIFT_COMPONENTS)[number] | "custody", Catalogue.DriftComponent["name"]>;
  telemetry: Same<TelemetryReading, Catalogue.TelemetryReading>;
  snapshot: Same<SnapshotSummary, Catalogue.SnapshotSummary>;
  configChange: Same<ConfigChange, Catalogue.ConfigChange>;
  activation: Same<ActivationRecord, Catalogue.ActivationRecord>;
} = {
  providerKind: true,
  driftNames: true,
  telemetry: true,
  snapshot: true,
  configChange: true,
  activation: true,
};

test("the catalogue's restated shapes are the features' own types (checked by the compiler)", () => {
  assert.ok(Object.values(same).every((v) => v === true));
});
