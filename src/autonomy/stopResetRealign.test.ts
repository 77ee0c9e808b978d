import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SYSTEM_ACTOR } from "../core/Actor.ts";
import {
  INITIAL_SRR,
  type PendingHalt,
  resumeBlockers,
  resumePrecheck,
  type SrrRecord,
  srrStep,
  type TriggerHit,
} from "./stopResetRealign.ts";

const red: TriggerHit = { trigger: "drift_red", reason: "drift 40 is over 25 (red)", evidence: [] };
const fault: TriggerHit = { trigger: "telemetry_fault", reason: "telemetry fault: x", evidence: [] };
const manual: TriggerHit = { trigger: "manual", reason: "stopped by hand", evidence: [] };
const frozen = { "charter:charter.yml": "aaa", "stack:a.yml": "bbb" };
const pending: PendingHalt = { hits: [red], actor: SYSTEM_ACTOR };

const halted: SrrRecord = {
  state: "HALTED",
  since: "2026-01-02T03:04:05.000Z",
  reason: "drift red",
  correlationId: "c-1",
  frozen,
  frozenReported: frozen,
  haltSeq: 7,
};

describe("stopResetRealign: the pure state machine", () => {
  it("a RUNNING heartbeat halts on the hits the charter names, and on manual ones", () => {
    const step = srrStep(INITIAL_SRR, {
      type: "heartbeat",
      hits: [red, fault, manual],
      haltOn: ["drift_red"],
    });
    assert.equal(step.state, INITIAL_SRR);
    assert.deepEqual(step.effects, [{ type: "halt", hits: [red, manual] }]);
  });

  it("a RUNNING heartbeat without a halting hit does nothing", () => {
    const step = srrStep(INITIAL_SRR, { type: "heartbeat", hits: [fault], haltOn: ["drift_red"] });
    assert.deepEqual(step.effects, []);
  });

  it("a HALTED heartbeat checks the frozen configs, or records a halt that waited for the ledger", () => {
    assert.deepEqual(srrStep(halted, { type: "heartbeat", hits: [red], haltOn: ["drift_red"] }).effects, [
      { type: "checkFrozen" },
    ]);
    const waiting: SrrRecord = { ...halted, unrecorded: { ...pending, writeError: "disk full" } };
    assert.deepEqual(srrStep(waiting, { type: "heartbeat", hits: [], haltOn: [] }).effects, [
      { type: "recordHalt", pending: { ...pending, writeError: "disk full" }, late: true },
    ]);
    const { frozen: _f, frozenReported: _r, ...unfrozen } = halted;
    assert.deepEqual(srrStep(unfrozen, { type: "heartbeat", hits: [], haltOn: [] }).effects, []);
  });

  it("an unwritable heartbeat halts a RUNNING loop on the charter's triggers only", () => {
    const hits = [fault, { ...red, trigger: "custody_break" as const }];
    assert.deepEqual(srrStep(INITIAL_SRR, { type: "unwritable", hits, haltOn: ["custody_break"] }).effects, [
      { type: "halt", hits: [hits[1]] },
    ]);
    assert.deepEqual(srrStep(halted, { type: "unwritable", hits, haltOn: ["custody_break"] }).effects, []);
  });

  it("a halt freezes the configs and asks for SRR_HALTED to be recorded", () => {
    const step = srrStep(INITIAL_SRR, {
      type: "halt",
      pending: { hits: [red, fault], actor: SYSTEM_ACTOR },
      at: "2026-01-02T03:04:05.000Z",
      correlationId: "c-1",
      frozen,
    });
    assert.deepEqual(step.state, {
      state: "HALTED",
      since: "2026-01-02T03:04:05.000Z",
      reason: "drift red + telemetry fault",
      correlationId: "c-1",
      frozen,
      frozenReported: frozen,
    });
    assert.deepEqual(step.effects, [
      {
        type: "recordHalt",
        pending: { hits: [red, fault], actor: SYSTEM_ACTOR, writeError: "" },
        late: false,
      },
    ]);
  });

  it("a halt while the ledger cannot write keeps it unrecorded in the state", () => {
    const step = srrStep(INITIAL_SRR, {
      type: "halt",
      pending,
      at: "2026-01-02T03:04:05.000Z",
      correlationId: "c-1",
      frozen,
      writeFault: "SQLITE_FULL",
    });
    assert.equal(step.state.state, "HALTED");
    assert.deepEqual(step.state.unrecorded, { ...pending, writeError: "SQLITE_FULL" });
    assert.deepEqual(step.effects, [{ type: "logUnrecorded", writeError: "SQLITE_FULL" }]);
    const failed = srrStep(halted, { type: "recordFailed", pending, writeError: "SQLITE_IOERR" });
    assert.deepEqual(failed.state.unrecorded, { ...pending, writeError: "SQLITE_IOERR" });
  });

  it("a recorded halt drops the pending record and keeps its seq", () => {
    const waiting: SrrRecord = { ...halted, haltSeq: undefined, unrecorded: { ...pending, writeError: "x" } };
    const step = srrStep(waiting, { type: "haltRecorded", haltSeq: 12 });
    assert.equal(step.state.unrecorded, undefined);
    assert.equal("unrecorded" in step.state, false);
    assert.equal(step.state.haltSeq, 12);
    assert.deepEqual(step.effects, []);
  });

  it("a config change while frozen is reported once", () => {
    const current = { "charter:charter.yml": "zzz", "stack:a.yml": "bbb", "stack:b.yml": "ccc" };
    const step = srrStep(halted, { type: "configRead", current });
    assert.deepEqual(step.state.frozenReported, current);
    assert.deepEqual(step.state.frozen, frozen);
    assert.deepEqual(step.effects, [
      {
        type: "reportConfigChange",
        changes: [
          { file: "charter:charter.yml", change: "changed" },
          { file: "stack:b.yml", change: "added" },
        ],
        frozen,
      },
    ]);
    assert.deepEqual(srrStep(step.state, { type: "configRead", current }).effects, []);
    assert.deepEqual(srrStep(INITIAL_SRR, { type: "configRead", current }).effects, []);
  });

  it("stop is refused while HALTED, naming since when and why", () => {
    assert.deepEqual(srrStep(INITIAL_SRR, { type: "stop" }).effects, []);
    const [refusal] = srrStep(halted, { type: "stop" }).effects;
    assert.equal(refusal?.type, "refuse");
    assert.match(refusal?.type === "refuse" ? refusal.message : "", /already HALTED \(since .*: drift red\)/);
  });

  it("resume returns to RUNNING from the given time, forgetting the halt", () => {
    const step = srrStep(halted, { type: "resume", at: "2026-01-03T00:00:00.000Z" });
    assert.deepEqual(step.state, { state: "RUNNING", since: "2026-01-03T00:00:00.000Z" });
  });

  it("resume's precheck: not halted, or the halt not in the ledger yet", () => {
    assert.deepEqual(resumePrecheck(INITIAL_SRR), ["the autonomy loop is not halted: it is already RUNNING"]);
    assert.match(
      resumePrecheck({ ...halted, unrecorded: { ...pending, writeError: "disk full" } })?.[0] ?? "",
      /not in the ledger yet \(its writes failed: disk full\)/,
    );
    assert.equal(resumePrecheck(halted), undefined);
  });

  it("resume blockers: unapproved and unresolved incidents, broken custody, red drift", () => {
    const reasons = resumeBlockers({
      open: [
        { id: "INC-1", approved: false, approvalId: "APR-1", approvalStatus: "pending" },
        { id: "INC-2", approved: true },
      ],
      approverRoles: ["admin", "ops"],
      ledger: { ok: false, firstBadSeq: 9 },
      vault: { ok: true },
      drift: { score: 40, band: "red" },
    });
    assert.deepEqual(reasons, [
      "INC-1 is not approved (APR-1 is pending; approvers: admin or ops)",
      "INC-1 has no resolution note (/codex incident resolve INC-1 <note>)",
      "INC-2 has no resolution note (/codex incident resolve INC-2 <note>)",
      "the ledger still fails verification at seq 9: restore it before resuming",
    ]);
    assert.deepEqual(
      resumeBlockers({
        open: [],
        approverRoles: [],
        ledger: { ok: true },
        vault: { ok: true },
        drift: { score: 40, band: "red" },
      }),
      ["drift is red now (40); resuming would halt again at the next heartbeat"],
    );
    assert.deepEqual(
      resumeBlockers({
        open: [{ id: "INC-3", approved: false }],
        approverRoles: [],
        ledger: { ok: true },
        vault: { ok: false },
        drift: { score: 1, band: "green" },
      }),
      [
        "INC-3 is not approved (no approval is missing; approvers: nobody)",
        "INC-3 has no resolution note (/codex incident resolve INC-3 <note>)",
        "the vault still fails verification: mismatch",
      ],
    );
  });
});
