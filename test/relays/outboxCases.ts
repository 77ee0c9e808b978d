/**
 * The evidence outbox's store as one table of cases, run against both backends: Outbox on ledger.db
 * (test/relays/outboxStore.test.ts) and PgOutbox on the PostgreSQL ledger (test/postgres/pgOutbox.test.ts).
 * Rows come the way they do in production, with a ledger entry, in its transaction; the cases await
 * every call, so one text checks the synchronous and the asynchronous store.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import os from "node:os";
import type { ManualClock } from "../../src/core/clock.ts";
import type { SinkName } from "../../src/relays/evidenceBody.ts";
import { ownerId } from "../../src/relays/Outbox.ts";
import type { OutboxStore } from "../../src/relays/OutboxStore.ts";

export interface OutboxHarness {
  outbox: OutboxStore;
  clock: ManualClock;
  /** Appends a ledger entry queuing one evidence item for each sink; its seq and time. */
  queue(title: string, sinks: readonly SinkName[]): Promise<{ seq: number; timestampUtc: string }>;
}

export interface OutboxCase {
  name: string;
  run(h: OutboxHarness): Promise<void>;
}

/** A version 1 evidence body, as the publisher stores it (the item's ledgerSeq is the row's). */
export function evidenceBody(title: string): string {
  return JSON.stringify({
    v: 1,
    key: `key-${title}`,
    environment: "test",
    sealVersion: "v0",
    item: {
      kind: "activation",
      title,
      reply: { summary: title, parts: [] },
      markdown: `# ${title}`,
      correlationId: `corr-${title}`,
      occurredAt: "2026-11-21T15:00:00.000Z",
      channel: "evidence",
    },
  });
}

/** The pid of a process that has exited: its claims are a dead process's. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  return r.pid ?? 999_999;
}

export const outboxCases: OutboxCase[] = [
  {
    name: "rows are queued with their causing entry, reference its seq, and go out oldest first per sink",
    async run({ outbox, queue }) {
      const first = await queue("one", ["notion", "teamwork"]);
      const second = await queue("two", ["notion"]);
      const rows = await outbox.byLedgerSeq(first.seq);
      assert.deepEqual(
        rows.map((r) => [r.sink, r.status, r.attempts, r.body.key, r.body.item.ledgerSeq]),
        [
          ["notion", "pending", 0, "key-one", first.seq],
          ["teamwork", "pending", 0, "key-one", first.seq],
        ],
      );
      assert.ok(rows.every((r) => r.createdUtc === first.timestampUtc));
      assert.deepEqual(
        [rows[0]?.remoteId, rows[0]?.progress, rows[0]?.claimedBy, rows[0]?.retrySinceMs],
        [undefined, undefined, undefined, undefined],
      );
      assert.equal((await outbox.head("notion"))?.body.key, "key-one");
      assert.equal((await outbox.head("slack"))?.id, undefined);
      assert.deepEqual(
        (await outbox.pending()).map((r) => [r.sink, r.ledgerSeq]),
        [
          ["notion", first.seq],
          ["teamwork", first.seq],
          ["notion", second.seq],
        ],
      );
      assert.equal((await outbox.pending(1)).length, 1);
      const id = rows[0]?.id ?? -1;
      assert.equal((await outbox.get(id))?.sink, "notion");
      assert.equal(await outbox.get(id + 1000), undefined);
    },
  },
  {
    name: "a claim is held against other live owners until its lease ends; a dead owner's is taken at once",
    async run({ outbox, queue, clock }) {
      const { seq } = await queue("claimed", ["notion", "teamwork"]);
      const [row, other] = await outbox.byLedgerSeq(seq);
      const id = row?.id ?? -1;
      const a = ownerId("a");
      const b = ownerId("b");
      assert.equal(await outbox.claim(id, a, 60_000), true);
      assert.equal(await outbox.claim(id, b, 60_000), false, "held by a live owner");
      assert.equal(await outbox.claim(id, a, 60_000), true, "its own claim is renewed");
      const held = await outbox.get(id);
      assert.deepEqual([held?.claimedBy, held?.claimedUntilMs], [a, clock.now().getTime() + 60_000]);
      await clock.advance(60_000);
      assert.equal(await outbox.claim(id, b, 60_000), true, "the lease ran out");

      const gone = `${os.hostname()}:${deadPid()}:gone`;
      const otherId = other?.id ?? -1;
      assert.equal(await outbox.claim(otherId, gone, 60_000), true);
      assert.equal(await outbox.claim(otherId, b, 60_000), true, "its process is gone from this host");
      assert.equal((await outbox.get(otherId))?.claimedBy, b);

      await outbox.delivered(id, "remote-1");
      assert.equal(await outbox.claim(id, a), false, "a delivered row is not claimed");
      assert.equal(await outbox.claim(id + 1000, a), false, "nor a missing one");
    },
  },
  {
    name: "attempts, progress, retries and delivery: the retry budget counts from the first failure of a run",
    async run({ outbox, queue, clock }) {
      const { seq } = await queue("tries", ["teamwork"]);
      const id = (await outbox.byLedgerSeq(seq))[0]?.id ?? -1;
      const owner = ownerId("t");
      await outbox.claim(id, owner);
      assert.equal(await outbox.startAttempt(id), 1);
      const t0 = clock.now().getTime();
      await outbox.retryLater(id, t0 + 750, "HTTP 503");
      let r = await outbox.get(id);
      assert.deepEqual(
        [r?.nextAttemptMs, r?.lastError, r?.retrySinceMs, r?.claimedBy, r?.updatedUtc],
        [t0 + 750, "HTTP 503", t0, undefined, "2026-11-21T15:00:00.000Z"],
      );
      await clock.advance(1000);
      assert.equal(await outbox.startAttempt(id), 2);
      await outbox.retryLater(id, t0 + 5000, "HTTP 502", t0 + 1000);
      assert.equal((await outbox.get(id))?.retrySinceMs, t0, "the run of failures began at the first");
      await outbox.saveProgress(id, "task-7", { comments: 1 });
      r = await outbox.get(id);
      assert.deepEqual([r?.remoteId, r?.progress, r?.retrySinceMs], ["task-7", { comments: 1 }, undefined]);
      await outbox.saveProgress(id, undefined, undefined);
      r = await outbox.get(id);
      assert.deepEqual([r?.remoteId, r?.progress], [undefined, undefined]);
      await outbox.delivered(id, "task-7");
      r = await outbox.get(id);
      assert.deepEqual(
        [r?.status, r?.remoteId, r?.lastError, r?.deliveredUtc, r?.attempts, r?.claimedUntilMs],
        ["delivered", "task-7", undefined, "2026-11-21T15:00:01.000Z", 2, undefined],
      );
      assert.equal(await outbox.deliveredSince("teamwork", "2026-11-21T15:00:01.000Z"), 1);
      assert.equal(await outbox.deliveredSince("teamwork", "2026-11-21T15:00:01.001Z"), 0);
      assert.equal(await outbox.deliveredSince("notion", "2026-11-21T00:00:00.000Z"), 0);
      assert.equal(await outbox.startAttempt(id + 1000), 0, "a missing row has no attempts");
    },
  },
  {
    name: "dead letters are counted and listed; redrive returns them as they were and sends them again",
    async run({ outbox, queue, clock }) {
      const a = await queue("a", ["notion", "teamwork"]);
      await clock.advance(1000);
      const b = await queue("b", ["notion"]);
      const [na, ta] = await outbox.byLedgerSeq(a.seq);
      const [nb] = await outbox.byLedgerSeq(b.seq);
      const ids = [na?.id ?? -1, ta?.id ?? -1, nb?.id ?? -1];
      for (const id of ids) await outbox.startAttempt(id);
      await outbox.retryLater(ids[0] ?? -1, 0, "HTTP 503");
      await outbox.deadLetter(ids[0] ?? -1, "HTTP 404: not shared");
      await outbox.deadLetter(ids[2] ?? -1, "HTTP 400: bad request");
      await outbox.delivered(ids[1] ?? -1, "tw-1");

      const counts = await outbox.counts();
      assert.deepEqual(
        [counts.pending, counts.delivered, counts.dead, counts.oldestPendingUtc],
        [0, 1, 2, undefined],
      );
      assert.deepEqual(counts.bySink.notion, { pending: 0, delivered: 0, dead: 2 });
      assert.deepEqual(counts.bySink.teamwork, { pending: 0, delivered: 1, dead: 0 });
      assert.deepEqual(counts.bySink.slack, { pending: 0, delivered: 0, dead: 0 });
      assert.deepEqual(
        (await outbox.deadLetters()).map((r) => [r.id, r.lastError]),
        [
          [ids[2], "HTTP 400: bad request"],
          [ids[0], "HTTP 404: not shared"],
        ],
      );
      assert.equal((await outbox.deadLetters(1)).length, 1);

      const one = await outbox.redrive([ids[2] ?? -1, ids[1] ?? -1]);
      assert.deepEqual(
        one.map((r) => [r.id, r.status, r.attempts]),
        [[ids[2], "dead", 1]],
        "only dead letters, as they were",
      );
      const moved = await outbox.get(ids[2] ?? -1);
      assert.deepEqual(
        [moved?.status, moved?.attempts, moved?.nextAttemptMs, moved?.retrySinceMs],
        ["pending", 0, 0, undefined],
      );
      const counted = await outbox.counts();
      assert.deepEqual([counted.pending, counted.dead], [1, 1]);
      assert.equal(counted.oldestPendingUtc, b.timestampUtc);
      const rest = await outbox.redrive();
      assert.deepEqual(
        rest.map((r) => r.id),
        [ids[0]],
      );
      assert.deepEqual(await outbox.redrive(), [], "nothing dead is left");
      assert.equal((await outbox.counts()).oldestPendingUtc, a.timestampUtc);
    },
  },
];
