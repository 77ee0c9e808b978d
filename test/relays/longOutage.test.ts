/**
 * The outbox's retry budget is a duration, as the README says: Notion and Teamwork down for six hours
 * (on the injected clock), with error answers along the way and a 429 asking for ten minutes, lose
 * nothing; waits are capped at 5 minutes, honour Retry-After, and start again from the base after the
 * sink's first success. (Before issue 9 it gave up after 12 tries: about 20 minutes of outage.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { testApp } from "../helpers/testApp.ts";
import { pageKeys, startRelayFakes, teamworkKeys, testCause } from "./relayKit.ts";

const HOUR = 3_600_000;

test("a six-hour outage of both sinks loses nothing; backoff is capped, honours Retry-After, and resets after a success", async (t) => {
  const fakes = await startRelayFakes();
  const { app, clock, cleanup } = testApp(fakes.env);
  t.after(async () => {
    await cleanup();
    await fakes.close();
  });
  const start = clock.now().getTime();
  const outageEnd = start + 6 * HOUR;
  const down = () => clock.now().getTime() < outageEnd;
  fakes.notion.fail({ status: 503, while: down });
  fakes.teamwork.fail({ status: 502, while: down });
  const publish = (n: number) =>
    app
      .relays()
      .publisher()
      .publish(
        {
          kind: "activation",
          title: `Item ${n}`,
          reply: { summary: `item ${n}`, parts: [{ kind: "text", text: `item ${n}` }] },
          markdown: `# Item ${n}\n`,
          correlationId: `long-outage-${n}`,
          occurredAt: clock.now(),
          channel: "evidence",
        },
        testCause(`long-outage-${n}`),
      );
  for (let n = 1; n <= 3; n++) await publish(n);

  const d = app.relays().dispatcher();
  const outbox = app.relays().outbox();
  // Each sink's waits, read from its head row after every pass (the pass reports only the earliest).
  const waits: number[] = [];
  const seen = new Set<string>();
  let passes = 0;
  while ((await app.relays().counts()).pending > 0 && passes++ < 2000) {
    const r = await d.deliverDue();
    const now = clock.now().getTime();
    for (const sink of ["notion", "teamwork"] as const) {
      const head = await outbox.head(sink);
      const key = `${sink}:${head?.nextAttemptMs}`;
      if (!head?.updatedUtc || head.nextAttemptMs <= now || seen.has(key)) continue;
      seen.add(key);
      waits.push(head.nextAttemptMs - Date.parse(head.updatedUtc));
    }
    if (!r.nextDueAt) continue;
    const w = r.nextDueAt.getTime() - now;
    // Just after the outage, Notion's first answer is a 429 asking for ten minutes.
    if (now < outageEnd && now + w >= outageEnd)
      fakes.notion.fail({ status: 429, retryAfter: 600, times: 1 });
    await clock.advance(w);
  }
  const counts = await app.relays().counts();
  assert.equal(counts.dead, 0, "nothing dead-lettered");
  assert.equal(counts.pending, 0);
  assert.equal(counts.delivered, 6, "3 items × 2 sinks");
  assert.ok(clock.now().getTime() - start >= 6 * HOUR);
  assert.ok(
    waits.every((w) => w <= 600_000),
    `no wait beyond Retry-After's 10 min: ${Math.max(...waits)}`,
  );
  assert.ok(waits.includes(600_000), "the 429's Retry-After is honoured");
  assert.ok(
    waits.filter((w) => w !== 600_000).every((w) => w <= 300_000),
    "the backoff is capped at 5 min",
  );
  assert.equal(app.ledger().query({ eventType: "EVIDENCE_FAILED" }).length, 0);
  assert.deepEqual(pageKeys(fakes).length, 3);
  assert.deepEqual(teamworkKeys(fakes).length, 3);

  // The pace starts over after a success: one more failure waits the base step again, not 5 min.
  fakes.notion.fail({ status: 503, times: 1 });
  await publish(4);
  const r = await d.deliverDue();
  assert.equal(r.retried, 1);
  assert.equal((r.nextDueAt?.getTime() ?? 0) - clock.now().getTime(), 750, "0.75 × 1 s (random 0.5)");
  assert.deepEqual(fakes.problems(), []);
});
