/**
 * The ledger catalogue (src/ledger/events.ts) restates the shapes features record, because the ledger
 * layer may not import the features. This holds each restatement to its feature's type in both
 * directions at compile time (npm test type-checks this file), so a changed field cannot drift apart.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AttemptRecord } from "../../src/agents/AttemptRecord.ts";
import type { ActivationRecord } from "../../src/autonomy/Activation.ts";
import type { ConfigChange } from "../../src/autonomy/configHashes.ts";
import type { SnapshotSummary } from "../../src/autonomy/DailySnapshot.ts";
import type { DriftComponent, DriftResult } from "../../src/autonomy/drift.ts";
import type { TelemetryReading } from "../../src/autonomy/Telemetry.ts";
import type * as Catalogue from "../../src/ledger/events.ts";
import type { EvidenceRecord } from "../../src/relays/evidenceRecord.ts";

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const same: {
  driftComponent: Same<DriftComponent, Catalogue.DriftComponent>;
  driftResult: Same<DriftResult, Catalogue.DriftResult>;
  telemetry: Same<TelemetryReading, Catalogue.TelemetryReading>;
  evidence: Same<EvidenceRecord, Catalogue.EvidenceRecord>;
  snapshot: Same<SnapshotSummary, Catalogue.SnapshotSummary>;
  configChange: Same<ConfigChange, Catalogue.ConfigChange>;
  attempt: Same<AttemptRecord["errorClass"], Catalogue.LedgerEvents["AGENT_ATTEMPT"]["errorClass"]>;
  activation: Same<ActivationRecord, Catalogue.ActivationRecord>;
} = {
  driftComponent: true,
  driftResult: true,
  telemetry: true,
  evidence: true,
  snapshot: true,
  configChange: true,
  attempt: true,
  activation: true,
};

test("the catalogue's restated shapes are the features' own types (checked by the compiler)", () => {
  assert.ok(Object.values(same).every((v) => v === true));
});
