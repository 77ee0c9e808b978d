import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { AgentHub } from "../../src/agents/AgentHub.ts";
import type { AttemptRecord } from "../../src/agents/AttemptRecord.ts";
import { buildRequest } from "../../src/agents/buildRequest.ts";
import { createProvider } from "../../src/agents/createProvider.ts";
import { OfflineProvider } from "../../src/agents/offlineProvider.ts";
import type { DraftContext, Provider } from "../../src/agents/Provider.ts";
import { CodexError } from "../../src/core/CodexError.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../fakes/anthropicServer.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openaiServer.ts";

const ctx: DraftContext = {
  task: "draft",
  persona: "marketing_ops",
  goal: "Launch a lead-generation email campaign",
  agentId: "agent_email_writer",
  role: "Write clear copy",
  inputs: {},
  upstream: [],
  lessons: [],
};
const req = buildRequest(ctx);
const TIMEOUT_MS = 30_000;

let oa: FakeOpenAI;
let an: FakeAnthropic;
let prime: Provider;
let backup: Provider;
before(async () => {
  oa = await startFakeOpenAI();
  an = await startFakeAnthropic();
  prime = createProvider("openai:gpt-4o-mini", {
    OPENAI_API_KEY: "sk-test-hub-prime-01",
    OPENAI_BASE_URL: oa.url,
  });
  backup = createProvider("anthropic:claude-sonnet-5", {
    ANTHROPIC_API_KEY: "sk-ant-hub-backup-01",
    ANTHROPIC_BASE_URL: an.url,
  });
});
after(async () => {
  await oa.close();
  await an.close();
});
beforeEach(() => {
  oa.script([]);
  an.script([]);
  oa.requests.length = 0;
  an.requests.length = 0;
});

/**
 * A hub on a ManualClock that only moves when told. Real HTTP takes real (tiny) time, so the clock must
 * not jump during a request; instead, when the hub announces a backoff (nextDelayMs), time advances by
 * exactly that once the hub has started sleeping.
 */
function hubWith(opts: { backup?: Provider; maxAttempts?: number; random?: () => number } = {}) {
  const clock = new ManualClock("2026-11-21T15:00:00.000Z", { autoAdvance: false });
  const attempts: AttemptRecord[] = [];
  const hub = new AgentHub({
    prime,
    ...(opts.backup ? { backup: opts.backup } : {}),
    clock,
    random: opts.random ?? (() => 0.5),
    retry: { maxAttempts: opts.maxAttempts ?? 3, timeoutMs: TIMEOUT_MS },
    onAttempt: (a) => {
      attempts.push(a);
      const delay = a.nextDelayMs;
      if (delay !== undefined) setImmediate(() => void clock.advance(delay));
    },
  });
  return { hub, clock, attempts };
}

const backoffSleeps = (clock: ManualClock) => clock.sleeps.filter((ms) => ms !== TIMEOUT_MS);

test("503 then success: retried on the same provider after a jittered backoff", async () => {
  oa.script([{ status: 503 }]);
  const { hub, clock, attempts } = hubWith({ backup });
  const res = await hub.generate(req, { agent: "agent_email_writer" });
  assert.equal(res.provider, "openai:gpt-4o-mini");
  assert.equal(res.kind, "openai");
  assert.equal(oa.requests.length, 2); // the SDK's own retries are off: one request per attempt
  assert.equal(an.requests.length, 0);
  assert.deepEqual(
    attempts.map((a) => [a.slot, a.attempt, a.outcome, a.errorClass, a.status]),
    [
      ["prime", 1, "error", "server_error", 503],
      ["prime", 2, "ok", undefined, undefined],
    ],
  );
  assert.equal(attempts[0]?.nextDelayMs, 250); // floor(0.5 · min(8000, 500 · 2^0))
  assert.deepEqual(backoffSleeps(clock), [250]);
  assert.deepEqual(res.attempts, attempts);
  assert.ok((attempts[1]?.tokens.output ?? 0) > 0);
});

test("429 with Retry-After: the hub waits at least what the server asked", async () => {
  oa.script([{ status: 429, retryAfter: "2" }]);
  const { hub, clock, attempts } = hubWith();
  await hub.generate(req, { agent: "a" });
  assert.equal(attempts[0]?.errorClass, "rate_limited");
  assert.equal(attempts[0]?.retryAfterMs, 2000);
  assert.ok((attempts[0]?.nextDelayMs ?? 0) >= 2000);
  assert.ok(backoffSleeps(clock).every((ms) => ms >= 2000));
  assert.equal(backoffSleeps(clock).length, 1);
  assert.equal(oa.requests.length, 2);
});

test("three 503s on the prime fail over to the backup", async () => {
  oa.script([{ status: 503 }, { status: 503 }, { status: 503 }]);
  const { hub, clock, attempts } = hubWith({ backup, random: () => 0.999 });
  const res = await hub.generate(req, { agent: "agent_email_writer" });
  assert.equal(res.provider, "anthropic:claude-sonnet-5");
  assert.equal(res.kind, "anthropic");
  assert.equal(oa.requests.length, 3);
  assert.equal(an.requests.length, 1);
  assert.deepEqual(
    attempts.map((a) => `${a.slot}#${a.attempt}:${a.outcome}`),
    ["prime#1:error", "prime#2:error", "prime#3:error", "backup#1:ok"],
  );
  // Backoff only between attempts on the same provider: floor(0.999 · 500), floor(0.999 · 1000).
  assert.deepEqual(backoffSleeps(clock), [499, 999]);
  assert.equal(attempts[2]?.nextDelayMs, undefined);
});

test("400 and 422 are rejected: one attempt, no retry, no failover", async () => {
  for (const status of [400, 422]) {
    oa.requests.length = 0;
    oa.script([{ status, message: "Invalid 'messages': too long." }]);
    const { hub, attempts } = hubWith({ backup });
    await assert.rejects(hub.generate(req, { agent: "agent_email_writer" }), (err: unknown) => {
      assert.ok(err instanceof CodexError);
      assert.equal(err.code, "PROVIDER_REJECTED");
      assert.match(err.message, new RegExp(`HTTP ${status}.*too long`));
      assert.match(err.hint ?? "", /MAOS_PRIME/);
      return true;
    });
    assert.equal(attempts.length, 1);
    assert.equal(oa.requests.length, 1);
    assert.equal(an.requests.length, 0);
  }
});

test("401 fails over to the backup without retrying the prime, and the key is not echoed", async () => {
  oa.script([{ status: 401 }]);
  const { hub, clock, attempts } = hubWith({ backup });
  const res = await hub.generate(req, { agent: "a" });
  assert.equal(res.provider, "anthropic:claude-sonnet-5");
  assert.equal(oa.requests.length, 1);
  assert.deepEqual(
    attempts.map((a) => [a.slot, a.errorClass ?? a.outcome]),
    [
      ["prime", "auth"],
      ["backup", "ok"],
    ],
  );
  assert.deepEqual(backoffSleeps(clock), []);
  assert.doesNotMatch(JSON.stringify(attempts), /sk-fake|sk-test-hub/);
});

test("a hung request times out on the injected clock and is classified timeout", async () => {
  oa.script([{ hang: true }]);
  const { hub, clock, attempts } = hubWith({ maxAttempts: 1 });
  const pending = hub.generate(req, { agent: "agent_email_writer" });
  const rejected = assert.rejects(pending, (err: unknown) => {
    assert.ok(err instanceof CodexError);
    assert.equal(err.code, "PROVIDER_FAILED");
    assert.match(err.hint ?? "", /MAOS_PRIME/);
    assert.equal((err.details as { attempts: AttemptRecord[] }).attempts.length, 1);
    return true;
  });
  await oa.waitForRequests(1);
  assert.equal(attempts.length, 0); // still waiting: no time has passed
  await clock.advance(TIMEOUT_MS);
  await rejected;
  assert.equal(attempts.length, 1);
  assert.equal(attempts[0]?.errorClass, "timeout");
  assert.equal(attempts[0]?.ms, TIMEOUT_MS);
});

test("every provider failing is PROVIDER_FAILED listing every attempt, each reported once", async () => {
  oa.script([{ status: 500 }, { status: 502 }, { status: 503 }]);
  an.script([{ status: 529 }, { status: 529 }, { status: 529 }]);
  const { hub, attempts } = hubWith({ backup });
  const err = await hub.generate(req, { agent: "agent_email_writer" }).then(
    () => assert.fail("expected a failure"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CodexError);
  assert.equal(err.code, "PROVIDER_FAILED");
  assert.match(
    err.message,
    /agent_email_writer after 6 attempt\(s\) \(openai:gpt-4o-mini, then anthropic:claude-sonnet-5\)/,
  );
  assert.match(err.hint ?? "", /MAOS_PRIME and MAOS_BACKUP/);
  const listed = (err.details as { attempts: AttemptRecord[] }).attempts;
  assert.deepEqual(listed, attempts);
  assert.deepEqual(
    attempts.map((a) => [a.provider, a.model, a.attempt, a.status]),
    [
      ["openai:gpt-4o-mini", "gpt-4o-mini", 1, 500],
      ["openai:gpt-4o-mini", "gpt-4o-mini", 2, 502],
      ["openai:gpt-4o-mini", "gpt-4o-mini", 3, 503],
      ["anthropic:claude-sonnet-5", "claude-sonnet-5", 1, 529],
      ["anthropic:claude-sonnet-5", "claude-sonnet-5", 2, 529],
      ["anthropic:claude-sonnet-5", "claude-sonnet-5", 3, 529],
    ],
  );
  assert.equal(oa.requests.length, 3);
  assert.equal(an.requests.length, 3);
  for (const a of attempts) assert.deepEqual(a.tokens, { input: 0, output: 0 });
});

test("a per-agent prime override is used instead of the hub's prime", async () => {
  const { hub, attempts } = hubWith({ backup });
  const res = await hub.generate(req, { agent: "agent_email_writer", prime: backup });
  assert.equal(res.provider, "anthropic:claude-sonnet-5");
  assert.equal(oa.requests.length, 0);
  assert.equal(attempts[0]?.slot, "prime");
});

test("the offline provider needs no timer: an autoAdvance clock does not move", async () => {
  const clock = new ManualClock("2026-11-21T15:00:00.000Z");
  const hub = new AgentHub({ prime: new OfflineProvider(), clock });
  const res = await hub.generate(req, { agent: "agent_email_writer" });
  assert.equal(res.provider, "offline");
  assert.equal(res.model, "offline-v1");
  assert.deepEqual(clock.sleeps, []);
  assert.equal(res.attempts[0]?.ms, 0);
  assert.equal(clock.now().toISOString(), "2026-11-21T15:00:00.000Z");
});

test("probe reports each provider without throwing", async () => {
  const dead = createProvider("openai:gpt-4o-mini", {
    OPENAI_API_KEY: "sk-test-dead-000001",
    OPENAI_BASE_URL: "http://127.0.0.1:1/v1",
  });
  const clock = new ManualClock("2026-11-21T15:00:00.000Z", { autoAdvance: false });
  const hub = new AgentHub({ prime: dead, backup, clock });
  const out = await hub.probe();
  assert.equal(out.length, 2);
  assert.deepEqual(out[0] && { provider: out[0].provider, ok: out[0].ok }, {
    provider: "openai:gpt-4o-mini",
    ok: false,
  });
  assert.match(out[0]?.error ?? "", /^network: /);
  assert.deepEqual(out[1], { provider: "anthropic:claude-sonnet-5", ok: true });
});
