/**
 * The operational state's behaviour as one table of cases, run against both backends: SQLite's StateStore
 * (test/state/stateStore.test.ts) and PostgreSQL's PgStateStore (test/postgres/pgStateStore.test.ts).
 * A case sees the store through StateApi (src/state/StateApi.ts), whose calls may answer at once (SQLite) or with a Promise
 * (PostgreSQL); cases await every call, so one text checks both.
 */
import assert from "node:assert/strict";
import type { Awaitable } from "../../src/core/awaitable.ts";
import { CodexError } from "../../src/core/CodexError.ts";
import type { ManualClock } from "../../src/core/clock.ts";
import type { StateApi } from "../../src/state/StateApi.ts";
import type { StateKey } from "../../src/state/stateKey.ts";
import type { ApprovalRecord, NewApproval } from "../../src/state/tables/approvals.ts";
import type { IncidentRow, NewIncident } from "../../src/state/tables/incidents.ts";
import { EVENT_RETENTION_MS } from "../../src/state/tables/slackEvents.ts";

/**
 * A store under test: the app's seam (StateApi) and the table modules both stores expose as fields,
 * whose typed forms the cases check too (the app itself goes through StateApi's methods only).
 */
export interface StoreUnderTest extends StateApi {
  values: {
    get<T>(key: StateKey<T>): Awaitable<T | undefined>;
    set<T>(key: StateKey<T>, value: T): Awaitable<void>;
    delete(key: StateKey<unknown>): Awaitable<void>;
    update<T>(key: StateKey<T>, decide: (current: T | undefined) => T | undefined): Awaitable<boolean>;
  };
  approvals: { insert(a: NewApproval): Awaitable<ApprovalRecord> };
  incidents: {
    insert(i: NewIncident): Awaitable<IncidentRow>;
    resolve(id: string, resolution: string, by: string): Awaitable<boolean>;
  };
}

/** One backend's fresh, empty store for a case, and what the persistence case needs of it. */
export interface StateHarness {
  store: StoreUnderTest;
  clock: ManualClock;
  /** The schema version this build writes. */
  schemaVersion: number;
  /** Closes the store and opens the same database again. */
  reopen(): Promise<StoreUnderTest>;
  /** Marks the database as written by a newer build (closing the store first). */
  markNewer(): Promise<void>;
  /** Opening again: what the newer database gets (a throw is expected). */
  open(): Promise<StoreUnderTest>;
}

export interface StateCase {
  name: string;
  run(h: StateHarness): Promise<void>;
}

const request = {
  kind: "incident",
  subjectId: "INC-1",
  requestedBy: "slack:U0OPERATOR",
  requestedByKey: "slack:U0OPERATOR",
  prompt: "Resolve INC-1?",
};

const incident = {
  trigger: "drift",
  summary: "drift band red",
  report: { band: "red" },
  correlationId: "corr-i",
  openedBy: "system",
  openedSeq: 7,
};

export const stateCases: StateCase[] = [
  {
    name: "an event id is claimed once within the retention window, again after it",
    async run({ store, clock }) {
      assert.equal(await store.claimEvent("Ev1"), true);
      assert.equal(await store.claimEvent("Ev1"), false);
      assert.equal(await store.claimEvent("Ev2"), true);
      assert.equal(await store.hasEvent("Ev1"), true);
      clock.set(new Date(clock.now().getTime() + EVENT_RETENTION_MS + 1));
      assert.equal(await store.pruneEvents(), 2);
      assert.equal(await store.hasEvent("Ev1"), false);
      assert.equal(await store.claimEvent("Ev1"), true);
      // Not pruned yet but out of the window: claimed again.
      clock.set(new Date(clock.now().getTime() + 1000));
      assert.equal(await store.claimEvent("Ev1", 500), true);
      assert.equal(await store.claimEvent("Ev1", 500), false);
    },
  },
  {
    name: "a Slack request key is first once per window; replays are counted",
    async run({ store, clock }) {
      assert.deepEqual(await store.claimSlackRequest("sig-1", 60_000), { first: true, replays: 0 });
      assert.deepEqual(await store.claimSlackRequest("sig-1", 60_000), { first: false, replays: 1 });
      assert.deepEqual(await store.claimSlackRequest("sig-1", 60_000), { first: false, replays: 2 });
      assert.deepEqual(await store.claimSlackRequest("sig-2", 60_000), { first: true, replays: 0 });
      await clock.advance(60_001);
      assert.deepEqual(await store.claimSlackRequest("sig-1", 60_000), { first: true, replays: 0 });
      assert.deepEqual(await store.claimSlackRequest("sig-1", 60_000), { first: false, replays: 1 });
    },
  },
  {
    name: "approvals get APR-<n> ids, are found by message, and move only by compare-and-set",
    async run({ store }) {
      const a = await store.insertApproval(request);
      const b = await store.insertApproval({ ...request, subjectId: "INC-2", correlationId: "corr-2" });
      assert.equal(a.id, "APR-1");
      assert.equal(a.correlationId, "APR-1");
      assert.equal(b.id, "APR-2");
      assert.equal(b.correlationId, "corr-2");
      assert.equal(a.status, "open");
      assert.equal(a.createdAt, "2026-11-21T15:00:00.000Z");
      assert.equal(a.channel, undefined);

      await store.attachMessage(a.id, "C0OPS", "1790000000.000001");
      assert.equal((await store.findApprovalByMessage("C0OPS", "1790000000.000001"))?.id, "APR-1");
      assert.equal(await store.findApprovalByMessage("C0OPS", "1790000000.000002"), undefined);

      const approved = await store.transition(a.id, "open", "approved", {
        by: "slack:U0APPROVER",
        byKey: "slack:U0APPROVER",
        via: "reaction",
      });
      assert.equal(approved?.status, "approved");
      assert.equal(approved?.decidedByKey, "slack:U0APPROVER");
      assert.equal(approved?.decidedAt, "2026-11-21T15:00:00.000Z");
      assert.equal(await store.transition(a.id, "open", "rejected"), undefined, "a second decider loses");
      const reopened = await store.transition(a.id, "approved", "open");
      assert.equal(reopened?.decidedBy, undefined);
      assert.deepEqual(
        (await store.listApprovals({ status: "open" })).map((x) => x.id),
        ["APR-2", "APR-1"],
      );
      assert.deepEqual(
        (await store.listApprovals({ limit: 1 })).map((x) => x.id),
        ["APR-2"],
      );
      await store.transition(b.id, "open", "approved", { by: "slack:U0APPROVER" });
      const consumed = await store.transition(b.id, "approved", "consumed");
      assert.equal(consumed?.status, "consumed");
      assert.equal(consumed?.decidedBy, "slack:U0APPROVER", "consuming keeps the decision");
      assert.equal(consumed?.consumedAt, "2026-11-21T15:00:00.000Z");
      assert.equal(await store.transition(b.id, "approved", "consumed"), undefined, "consumed once");
      assert.equal(await store.transition("APR-99", "open", "approved"), undefined);
    },
  },
  {
    name: "an approval's other messages: found by any of them, listed after its own, in order",
    async run({ store }) {
      const a = await store.insertApproval({ ...request, channel: "C0SIG", ts: "1.000001" });
      assert.deepEqual(await store.approvalMessages(a.id), [{ channel: "C0SIG", ts: "1.000001" }]);
      await store.addApprovalMessage(a.id, "C0CMD", "2.000001");
      await store.addApprovalMessage(a.id, "C0CMD", "1.500001");
      await store.addApprovalMessage("APR-99", "C0CMD", "2.000001"); // taken: the first keeps it
      assert.deepEqual(await store.approvalMessages(a.id), [
        { channel: "C0SIG", ts: "1.000001" },
        { channel: "C0CMD", ts: "2.000001" },
        { channel: "C0CMD", ts: "1.500001" },
      ]);
      assert.equal((await store.findApprovalByMessage("C0CMD", "1.500001"))?.id, a.id);
      assert.equal((await store.findApprovalByMessage("C0SIG", "1.000001"))?.id, a.id);
      const b = await store.insertApproval(request);
      assert.deepEqual(await store.approvalMessages(b.id), [], "no message yet");
      await assert.rejects(
        async () => store.attachMessage("APR-99", "C0SIG", "3.000001"),
        (err: unknown) => err instanceof CodexError && err.code === "NOT_FOUND",
      );
    },
  },
  {
    name: "a run's cancel request is filed once; the first stays on file",
    async run({ store }) {
      assert.equal(await store.cancelRequest("run-1"), undefined);
      assert.equal(await store.requestCancel("run-1", "slack:U0OPERATOR", "slack"), true);
      assert.equal(await store.requestCancel("run-1", "cli:ops", "cli"), false);
      assert.deepEqual(await store.cancelRequest("run-1"), {
        by: "slack:U0OPERATOR",
        at: "2026-11-21T15:00:00.000Z",
        via: "slack",
      });
    },
  },
  {
    name: "the schema is versioned and survives reopening; a newer one is refused",
    async run(h) {
      assert.equal(await h.store.schemaVersion(), h.schemaVersion);
      await h.store.insertApproval(request);
      await h.store.claimEvent("Ev9");
      const again = await h.reopen();
      assert.equal((await again.getApproval("APR-1"))?.prompt, "Resolve INC-1?");
      assert.equal(await again.claimEvent("Ev9"), false);
      assert.equal((await again.insertApproval(request)).id, "APR-2");
      await h.markNewer();
      await assert.rejects(
        h.open(),
        (err: unknown) =>
          err instanceof CodexError && err.code === "CONFIG_INVALID" && /newer/.test(err.message),
      );
    },
  },
  {
    name: "each table is its own object behind the facade; values are read and written by typed key",
    async run({ store }) {
      const band = { key: "drift.band" as StateKey<{ band: string; at: string }> };
      await store.values.set(band.key, { band: "amber", at: "2026-11-21T15:00:00.000Z" });
      // The typed key and the facade's string key name the same row.
      assert.equal((await store.values.get(band.key))?.band, "amber");
      assert.deepEqual(await store.getValue("drift.band"), { band: "amber", at: "2026-11-21T15:00:00.000Z" });
      await store.values.delete(band.key);
      assert.equal(await store.getValue("drift.band"), undefined);
      await store.setValue("n", 1);
      await store.setValue("n", [1, "two", { three: null }]);
      assert.deepEqual(await store.getValue("n"), [1, "two", { three: null }]);
      await store.deleteValue("n");
      assert.equal(await store.getValue("n"), undefined);

      const a = await store.approvals.insert(request);
      assert.equal((await store.getApproval(a.id))?.prompt, "Resolve INC-1?");
      const i = await store.incidents.insert(incident);
      assert.equal(i.id, "INC-1");
      assert.equal(await store.resolveIncident(i.id, "fixed", "slack:U0OPERATOR"), true);
      assert.equal(await store.incidents.resolve(i.id, "again", "slack:U0OPERATOR"), false);
    },
  },
  {
    name: "updateValue reads, decides and writes one value: undefined leaves it, absent keys are created",
    async run({ store }) {
      const lease = "loop.lease";
      const takeIfFree = (holder: string) => (current: { holder: string } | undefined) =>
        current ? undefined : { holder };
      assert.equal(await store.updateValue(lease, takeIfFree("a")), true);
      assert.equal(await store.updateValue(lease, takeIfFree("b")), false);
      assert.deepEqual(await store.getValue(lease), { holder: "a" });
      const seen: unknown[] = [];
      assert.equal(
        await store.updateValue<{ holder: string }>(lease, (current) => {
          seen.push(current);
          return { holder: "c" };
        }),
        true,
      );
      assert.deepEqual(seen, [{ holder: "a" }]);
      const typed = "loop.count" as StateKey<number>;
      assert.equal(await store.values.update(typed, (n) => (n ?? 0) + 1), true);
      assert.equal(await store.values.update(typed, (n) => (n ?? 0) + 1), true);
      assert.equal(await store.values.get(typed), 2);
    },
  },
  {
    name: "incidents: INC-<n>, listed newest first by status, their ledger seq and approval recorded",
    async run({ store, clock }) {
      const one = await store.insertIncident(incident);
      await clock.advance(1000);
      const two = await store.insertIncident({
        ...incident,
        summary: "second",
        report: { n: 2 },
        openedSeq: 0,
      });
      assert.deepEqual([one.id, one.n, two.id, two.n], ["INC-1", 1, "INC-2", 2]);
      assert.equal(two.status, "open");
      assert.equal(two.openedAt, "2026-11-21T15:00:01.000Z");
      assert.deepEqual(two.report, { n: 2 });
      await store.setIncidentOpenedSeq(two.id, 42);
      await store.setIncidentApproval(two.id, "APR-3");
      const got = await store.getIncident(two.id);
      assert.deepEqual([got?.openedSeq, got?.approvalId, got?.resolution], [42, "APR-3", undefined]);
      assert.equal(await store.resolveIncident(one.id, "fixed", "slack:U0OPERATOR"), true);
      assert.deepEqual(
        (await store.listIncidents()).map((x) => x.id),
        ["INC-2", "INC-1"],
      );
      assert.deepEqual(
        (await store.listIncidents({ status: "open" })).map((x) => x.id),
        ["INC-2"],
      );
      const resolved = (await store.listIncidents({ status: "resolved" }))[0];
      assert.deepEqual(
        [resolved?.resolution, resolved?.resolvedBy, resolved?.resolvedAt],
        ["fixed", "slack:U0OPERATOR", "2026-11-21T15:00:01.000Z"],
      );
      assert.equal(await store.getIncident("INC-9"), undefined);
      assert.deepEqual(
        (await store.listIncidents({ limit: 1 })).map((x) => x.id),
        ["INC-2"],
      );
    },
  },
  {
    name: "seals: the latest of a version or of any; evidence threads keep their first message",
    async run({ store, clock }) {
      assert.equal(await store.latestSeal(), undefined);
      await store.insertSeal("v1", { commit: "a" });
      await clock.advance(1000);
      await store.insertSeal("v2", { commit: "b" });
      await store.insertSeal("v1", { commit: "c" });
      assert.deepEqual(await store.latestSeal(), {
        version: "v1",
        record: { commit: "c" },
        sealedAt: "2026-11-21T15:00:01.000Z",
      });
      assert.deepEqual((await store.latestSeal<{ commit: string }>("v2"))?.record, { commit: "b" });
      assert.equal(await store.latestSeal("v3"), undefined);

      assert.equal(await store.getThread("INC-1"), undefined);
      await store.setThread("INC-1", "C0SIG", "1.000001");
      await store.setThread("INC-1", "C0OTHER", "2.000001");
      assert.deepEqual(await store.getThread("INC-1"), { channel: "C0SIG", ts: "1.000001" });
    },
  },
  {
    name: "the client matrix is replaced whole and listed by name",
    async run({ store, clock }) {
      await store.replaceClients([
        { key: "k2", name: "Beta", pageId: "p2", record: { tier: 2 } },
        { key: "k1", name: "Alpha", pageId: "p1", record: { tier: 1 } },
        { key: "k3", name: "alpha lower", pageId: "p3", record: { tier: 3 } },
      ]);
      assert.deepEqual(
        (await store.listClients()).map((c) => c.name),
        ["Alpha", "Beta", "alpha lower"],
        "byte order, as SQLite sorts",
      );
      await clock.advance(1000);
      await store.replaceClients([{ key: "k2", name: "Beta", pageId: "p2", record: { tier: 5 } }]);
      assert.deepEqual(await store.listClients<{ tier: number }>(), [
        { key: "k2", name: "Beta", pageId: "p2", record: { tier: 5 }, syncedAt: "2026-11-21T15:00:01.000Z" },
      ]);
      await store.replaceClients([]);
      assert.deepEqual(await store.listClients(), []);
    },
  },
];
