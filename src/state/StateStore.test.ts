import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";
import { ManualClock } from "../core/clock.ts";
import { EVENT_RETENTION_MS, STATE_SCHEMA_VERSION, StateStore, stateKey } from "./StateStore.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "maos-state-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const request = {
  kind: "incident",
  subjectId: "INC-1",
  requestedBy: "slack:U0OPERATOR",
  requestedByKey: "slack:U0OPERATOR",
  prompt: "Resolve INC-1?",
};

describe("StateStore", () => {
  test("an event id is claimed once within the retention window, again after it", () => {
    const clock = new ManualClock();
    const store = StateStore.open(":memory:", clock);
    assert.equal(store.claimEvent("Ev1"), true);
    assert.equal(store.claimEvent("Ev1"), false);
    assert.equal(store.claimEvent("Ev2"), true);
    assert.equal(store.hasEvent("Ev1"), true);
    clock.set(new Date(clock.now().getTime() + EVENT_RETENTION_MS + 1));
    assert.equal(store.pruneEvents(), 2);
    assert.equal(store.hasEvent("Ev1"), false);
    assert.equal(store.claimEvent("Ev1"), true);
    store.close();
  });

  test("approvals get APR-<n> ids, are found by message, and move only by compare-and-set", () => {
    const store = StateStore.open(":memory:", new ManualClock());
    const a = store.insertApproval(request);
    const b = store.insertApproval({ ...request, subjectId: "INC-2", correlationId: "corr-2" });
    assert.equal(a.id, "APR-1");
    assert.equal(a.correlationId, "APR-1");
    assert.equal(b.id, "APR-2");
    assert.equal(b.correlationId, "corr-2");
    assert.equal(a.status, "open");
    assert.equal(a.createdAt, "2026-11-21T15:00:00.000Z");

    store.attachMessage(a.id, "C0OPS", "1790000000.000001");
    assert.equal(store.findApprovalByMessage("C0OPS", "1790000000.000001")?.id, "APR-1");
    assert.equal(store.findApprovalByMessage("C0OPS", "1790000000.000002"), undefined);

    const approved = store.transition(a.id, "open", "approved", {
      by: "slack:U0APPROVER",
      byKey: "slack:U0APPROVER",
      via: "reaction",
    });
    assert.equal(approved?.status, "approved");
    assert.equal(approved?.decidedByKey, "slack:U0APPROVER");
    assert.equal(store.transition(a.id, "open", "rejected"), undefined, "a second decider loses");
    const reopened = store.transition(a.id, "approved", "open");
    assert.equal(reopened?.decidedBy, undefined);
    assert.deepEqual(
      store.listApprovals({ status: "open" }).map((x) => x.id),
      ["APR-2", "APR-1"],
    );
    store.close();
  });

  test("the schema is versioned and survives reopening; a newer file is refused", () => {
    const file = path.join(dir, "state.db");
    const clock = new ManualClock();
    const first = StateStore.open(file, clock);
    assert.equal(first.schemaVersion(), STATE_SCHEMA_VERSION);
    first.insertApproval(request);
    first.claimEvent("Ev9");
    first.close();
    const again = StateStore.open(file, clock);
    assert.equal(again.getApproval("APR-1")?.prompt, "Resolve INC-1?");
    assert.equal(again.claimEvent("Ev9"), false);
    assert.equal(again.insertApproval(request).id, "APR-2");
    again.close();

    const db = new Database(file);
    db.pragma(`user_version = ${STATE_SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(
      () => StateStore.open(file, clock),
      (err: unknown) =>
        err instanceof CodexError && err.code === "CONFIG_INVALID" && /newer/.test(err.message),
    );
  });

  test("each table is its own object behind the facade; values are read and written by typed key", () => {
    const store = StateStore.open(":memory:", new ManualClock());
    const band = stateKey<{ band: string; at: string }>("drift.band");
    store.values.set(band, { band: "amber", at: "2026-11-21T15:00:00.000Z" });
    // The typed key and the facade's string key name the same row.
    assert.equal(store.values.get(band)?.band, "amber");
    assert.deepEqual(store.getValue("drift.band"), { band: "amber", at: "2026-11-21T15:00:00.000Z" });
    store.values.delete(band);
    assert.equal(store.getValue("drift.band"), undefined);

    const a = store.approvals.insert(request);
    assert.equal(store.getApproval(a.id)?.prompt, "Resolve INC-1?");
    const i = store.incidents.insert({
      trigger: "drift",
      summary: "drift band red",
      report: { band: "red" },
      correlationId: "corr-i",
      openedBy: "system",
      openedSeq: 7,
    });
    assert.equal(i.id, "INC-1");
    assert.equal(store.resolveIncident(i.id, "fixed", "slack:U0OPERATOR"), true);
    assert.equal(store.incidents.resolve(i.id, "again", "slack:U0OPERATOR"), false);
    store.close();
  });
});
