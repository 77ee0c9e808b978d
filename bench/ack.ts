/**
 * Ack latency of `/codex` in HTTP mode: 50 concurrent signed `/codex run marketing_ops event=X` requests
 * at the real app (startSlack + createApp, the fake Slack Web API on loopback) while stacks are running,
 * and, as the baseline, the same burst at a bare Bolt app whose HTTPReceiver only acks. Latency is the time to
 * the HTTP 200. Targets: our p99 ≤ 50 ms, our p99 / bare p99 ≤ 1.3. Run alone: `node bench/ack.ts`.
 */
import type { AddressInfo } from "node:net";
import { App as BoltApp, HTTPReceiver, LogLevel } from "@slack/bolt";
import { systemClock } from "../src/core/clock.ts";
import { SIGNING_SECRET, sign, slashCommand, startSlackHarness } from "../test/slack/slackTestKit.ts";

const CONCURRENT = 50;
/** Runs started before the measured burst, so it lands while stacks are running. */
const BACKGROUND_RUNS = 4;
const WARMUP = 10;

export interface AckFigures {
  p50Ms: number;
  p99Ms: number;
  bareP99Ms: number;
  ratio: number;
}

async function signedPost(url: string, body: string): Promise<number> {
  const ts = String(Math.floor(Date.now() / 1000));
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": sign(SIGNING_SECRET, ts, body),
    },
    body,
  });
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`ack answered ${res.status}`);
  return ms;
}

async function burst(url: string): Promise<number[]> {
  return Promise.all(
    Array.from({ length: CONCURRENT }, (_, i) =>
      signedPost(url, slashCommand(`run marketing_ops event=X${i}`, "U0OPERATOR", `C0BENCH${i}`)),
    ),
  );
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function benchAck(): Promise<AckFigures> {
  const ours = await startSlackHarness(systemClock);
  const bareReceiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, logLevel: LogLevel.ERROR });
  const bare = new BoltApp({
    receiver: bareReceiver,
    token: "xoxb-bare",
    botId: "B0BARE",
    botUserId: "U0BARE",
    logLevel: LogLevel.ERROR,
  });
  bare.command("/codex", async ({ ack }) => {
    await ack();
  });
  const server = await bareReceiver.start({ port: 0, host: "127.0.0.1" });
  const bareUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  const oursUrl = `${ours.base}/slack/events`;
  try {
    // Warm both paths (JIT, connection pools, the vault's first commit) before measuring.
    for (let i = 0; i < WARMUP; i++) {
      await signedPost(oursUrl, slashCommand("stacks"));
      await signedPost(bareUrl, slashCommand("stacks"));
    }
    await ours.runtime.slack.idle();
    for (let i = 0; i < BACKGROUND_RUNS; i++) {
      await signedPost(
        oursUrl,
        slashCommand(`run marketing_ops event=Background${i}`, "U0OPERATOR", `C0BG${i}`),
      );
    }
    // The baseline: the bare app alone, the same burst on the same loopback.
    const b = await burst(bareUrl);
    // Ours, while the background stacks run. One channel per request: Slack's ~1 message/s is per
    // channel, and 50 runs in one channel would only measure that queue, not the ack.
    const a = await burst(oursUrl);
    await ours.runtime.slack.idle();
    const p99 = percentile(a, 99);
    const bareP99 = percentile(b, 99);
    return {
      p50Ms: round(percentile(a, 50)),
      p99Ms: round(p99),
      bareP99Ms: round(bareP99),
      ratio: round(p99 / bareP99),
    };
  } finally {
    await bareReceiver.stop();
    await ours.close();
  }
}

if (import.meta.main) {
  console.log(JSON.stringify({ ack: await benchAck() }));
}
