/**
 * The operational state on PostgreSQL: the shared cases (test/state/stateStoreCases.ts, which
 * test/state/stateStore.test.ts runs on SQLite) against PgStateStore, then what only several replicas
 * can show: two stores (and two processes) on one database claiming the same Slack event ids and
 * request keys at once, deciding the same approval, taking the same lease: exactly one wins each.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, type TestContext, test } from "node:test";
import { promisify } from "node:util";
import { CodexError } from "../../src/core/CodexError.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { PG_STATE_SCHEMA_VERSION, PgStateStore } from "../../src/state/pg/PgStateStore.ts";
import { pgConnect, pgSkip, pgTestDatabase } from "../helpers/pgTestDb.ts";
import { type StateHarness, type StoreUnderTest, stateCases } from "../state/stateStoreCases.ts";

const skip = pgSkip();
const REPO = path.resolve(import.meta.dirname, "../..");

async function openState(
  t: Pick<TestContext, "after">,
  url: string,
  clock: ManualClock,
): Promise<PgStateStore> {
  const s = await PgStateStore.open({ url, clock });
  t.after(() => s.close());
  return s;
}

async function harness(t: TestContext): Promise<StateHarness> {
  const url = await pgTestDatabase(t);
  const clock = new ManualClock();
  let current = await openState(t, url, clock);
  const api = (s: PgStateStore): StoreUnderTest => s;
  return {
    store: api(current),
    clock,
    schemaVersion: PG_STATE_SCHEMA_VERSION,
    async reopen() {
      await current.close();
      current = await openState(t, url, clock);
      return current;
    },
    async markNewer() {
      await current.close();
      const c = await pgConnect(t, url);
      await c.query(
        "INSERT INTO schema_migrations (component, version, name, sha256) VALUES ('state', $1, 'from_a_newer_build.sql', 'x')",
        [PG_STATE_SCHEMA_VERSION + 1],
      );
    },
    async open() {
      current = await openState(t, url, clock);
      return current;
    },
  };
}

describe("PgStateStore (PostgreSQL)", () => {
  for (const c of stateCases) {
    test(c.name, { skip }, async (t) => {
      await c.run(await harness(t));
    });
  }
});

/** Two replicas' stores on one fresh database, each with its own connections. */
async function twoReplicas(t: TestContext) {
  const url = await pgTestDatabase(t);
  const clock = new ManualClock();
  const a = await openState(t, url, clock);
  const b = await openState(t, url, clock);
  return { url, clock, a, b };
}

describe("PgStateStore across replicas", () => {
  test("the same Slack event id or request key delivered to two replicas at once: exactly one processes it", {
    skip,
  }, async (t) => {
    const { a, b } = await twoReplicas(t);
    const ids = Array.from({ length: 100 }, (_, i) => `Ev${i}`);
    const events = await Promise.all(ids.map((id) => Promise.all([a.claimEvent(id), b.claimEvent(id)])));
    for (const [x, y] of events) assert.equal(Number(x) + Number(y), 1, "one replica claims each event");
    const keys = ids.map((id) => `sig-${id}`);
    const requests = await Promise.all(
      keys.map((k) => Promise.all([a.claimSlackRequest(k, 300_000), b.claimSlackRequest(k, 300_000)])),
    );
    for (const [x, y] of requests) {
      assert.equal(Number(x.first) + Number(y.first), 1, "one replica sees each request first");
      assert.equal(x.replays + y.replays, 1, "the other counts one replay");
    }
    // A third delivery (Slack's retry) to either replica is a replay too.
    assert.equal(await b.claimEvent("Ev0"), false);
    assert.deepEqual(await a.claimSlackRequest("sig-Ev0", 300_000), { first: false, replays: 2 });
  });

  test("two replica processes receiving every event and request: each is processed by exactly one", {
    skip,
  }, async (t) => {
    const url = await pgTestDatabase(t);
    // Migrated once here, so the two processes start claiming at about the same moment.
    await openState(t, url, new ManualClock());
    const COUNT = 200;
    const run = promisify(execFile);
    const outs = await Promise.all(
      [1, 2].map(() =>
        run(process.execPath, [path.join(REPO, "test/postgres/pgStateClaimer.ts"), url, String(COUNT)]),
      ),
    );
    const won = outs.map((o) => JSON.parse(o.stdout) as { events: string[]; requests: string[] });
    const events = won.flatMap((w) => w.events);
    const requests = won.flatMap((w) => w.requests);
    assert.equal(events.length, COUNT, "no event processed twice, none lost");
    assert.equal(new Set(events).size, COUNT);
    assert.equal(requests.length, COUNT, "no request first twice, none lost");
    assert.equal(new Set(requests).size, COUNT);
  });

  test("two replicas deciding one approval, resolving one incident, filing one cancel: one wins each", {
    skip,
  }, async (t) => {
    const { a, b } = await twoReplicas(t);
    const approvals = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).insertApproval({
          kind: "incident",
          subjectId: `INC-${i}`,
          requestedBy: "slack:U0OPERATOR",
          requestedByKey: "slack:U0OPERATOR",
          prompt: "Resolve?",
        }),
      ),
    );
    assert.equal(new Set(approvals.map((x) => x.id)).size, 20, "ids from two replicas never collide");
    for (const ap of approvals) {
      const [x, y] = await Promise.all([
        a.transition(ap.id, "open", "approved", { by: "slack:U0A" }),
        b.transition(ap.id, "open", "rejected", { by: "slack:U0B" }),
      ]);
      assert.equal(Number(x !== undefined) + Number(y !== undefined), 1);
      const final = await a.getApproval(ap.id);
      assert.equal(final?.status, x ? "approved" : "rejected", "the winner's decision is the one on file");
    }
    const inc = await a.insertIncident({
      trigger: "drift",
      summary: "red",
      report: {},
      correlationId: "c",
      openedBy: "system",
      openedSeq: 1,
    });
    const resolved = await Promise.all([
      a.resolveIncident(inc.id, "a", "x"),
      b.resolveIncident(inc.id, "b", "y"),
    ]);
    assert.equal(resolved.filter(Boolean).length, 1);
    const cancels = await Promise.all([
      a.requestCancel("run-1", "x", "slack"),
      b.requestCancel("run-1", "y", "cli"),
    ]);
    assert.equal(cancels.filter(Boolean).length, 1);
  });

  test("the loop lease's compare-and-set: of replicas taking a free lease at once, one holds it", {
    skip,
  }, async (t) => {
    const { a, b } = await twoReplicas(t);
    for (let round = 0; round < 20; round++) {
      const key = `loop.lease.${round}`;
      const takeIfFree = (holder: string) => (current: { holder: string } | undefined) =>
        current ? undefined : { holder };
      // The key does not exist yet in even rounds (no row to lock); in odd rounds it holds a released lease.
      if (round % 2) await a.setValue(key, null);
      const [x, y] = await Promise.all([
        a.updateValue(key, (c: { holder: string } | null | undefined) => (c ? undefined : { holder: "a" })),
        b.updateValue(key, takeIfFree("b")),
      ]);
      assert.equal(Number(x) + Number(y), 1, `round ${round}: exactly one took the lease`);
      assert.deepEqual(await b.getValue(key), { holder: x ? "a" : "b" });
    }
  });

  test("an unreachable DATABASE_URL is a CONFIG_INVALID naming the database, never its password", {
    skip,
  }, async () => {
    const url = "postgres://maos:s3cr3t-pw@127.0.0.1:1/nowhere";
    await assert.rejects(PgStateStore.open({ url, clock: new ManualClock() }), (err: unknown) => {
      assert.ok(err instanceof CodexError);
      assert.equal(err.code, "CONFIG_INVALID");
      assert.match(err.message, /postgres:\/\/maos@127\.0\.0\.1:1\/nowhere/);
      assert.match(err.hint ?? "", /DATABASE_URL/);
      assert.doesNotMatch(`${err.message} ${err.hint}`, /s3cr3t-pw/);
      return true;
    });
  });

  test("a statement that fails on the server is a CONFIG_INVALID naming the database and the fix", {
    skip,
  }, async (t) => {
    const { url, a } = await twoReplicas(t);
    const c = await pgConnect(t, url);
    await c.query("DROP TABLE processed_events");
    await assert.rejects(a.claimEvent("Ev1"), (err: unknown) => {
      assert.ok(err instanceof CodexError);
      assert.equal(err.code, "CONFIG_INVALID");
      assert.match(
        err.message,
        /a state statement failed on postgres:\/\/.*"processed_events" does not exist/,
      );
      assert.match(err.hint ?? "", /DATABASE_URL/);
      return true;
    });
    // A caller's own error inside a compare-and-set passes through as it is.
    await assert.rejects(
      a.updateValue("k", () => {
        throw new RangeError("the caller's own");
      }),
      RangeError,
    );
  });
});
