/**
 * One replica for the cross-process de-duplication test: opens the PostgreSQL state at argv[2], receives
 * every one of argv[3] Slack event ids and request keys (as Slack retries reach each replica), and prints
 * the ones it won: the events it claimed and the requests it saw first.
 */
import { ManualClock } from "../../src/core/clock.ts";
import { PgStateStore } from "../../src/state/pg/PgStateStore.ts";

const [url, countText] = process.argv.slice(2) as [string, string];
const state = await PgStateStore.open({ url, clock: new ManualClock("2026-12-07T12:00:00.000Z") });
const count = Number(countText);
const events: string[] = [];
const requests: string[] = [];
for (let i = 0; i < count; i += 20) {
  const ids = Array.from({ length: Math.min(20, count - i) }, (_, j) => String(i + j));
  await Promise.all(
    ids.map(async (id) => {
      if (await state.claimEvent(`Ev${id}`)) events.push(`Ev${id}`);
      if ((await state.claimSlackRequest(`sig-${id}`, 300_000)).first) requests.push(`sig-${id}`);
    }),
  );
}
await state.close();
process.stdout.write(`${JSON.stringify({ events, requests })}\n`);
