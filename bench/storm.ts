/**
 * The HTTP-mode storm, measured: the real Slack surface (startSlack over createApp) on loopback against
 * the fake Web API, hit by a bounded mix of valid, forged, stale, replayed and oversized requests over
 * four keep-alive connections. Prints requests by kind, accepted, refused, resets and the valid
 * requests' ack p50/p99 (test/slack/storm.test.ts asserts the counts; latency is only reported here).
 * Run alone: `node bench/storm.ts` (STORM_SCALE=<n> multiplies the request counts).
 */
import { systemClock } from "../src/core/clock.ts";
import { startSlackHarness } from "../test/slack/slackTestKit.ts";
import { runStorm } from "../test/slack/storm.ts";

const scale = Number(process.env.STORM_SCALE) || 1;
const h = await startSlackHarness(systemClock);
try {
  const counts = { valid: 120, forged: 60, stale: 60, replayed: 60, oversized: 12 };
  for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] *= scale;
  const f = await runStorm({ base: h.base, now: Math.floor(Date.now() / 1000), counts });
  await h.runtime.slack.idle();
  const ran = h.slack.callsTo("chat.postEphemeral").length;
  const row = (k: keyof typeof counts) =>
    `${k.padEnd(10)} ${String(f.sent[k]).padStart(5)} ${String(f.accepted[k]).padStart(9)} ${String(f.refused[k]).padStart(8)} ${String(f.resets[k]).padStart(7)}`;
  process.stderr.write(
    [
      "kind        sent  accepted  refused  resets",
      ...(Object.keys(counts) as (keyof typeof counts)[]).map(row),
      `valid commands answered: ${ran} (replays run: ${ran - f.accepted.valid})`,
      `ack ms (valid): p50 ${f.ackMs.p50.toFixed(1)}, p99 ${f.ackMs.p99.toFixed(1)}, max ${f.ackMs.max.toFixed(1)}`,
      "",
    ].join("\n"),
  );
  const { results: _r, ...figures } = f;
  process.stdout.write(`${JSON.stringify({ ...figures, answered: ran })}\n`);
} finally {
  await h.close();
}
