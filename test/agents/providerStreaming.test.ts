/**
 * The OpenAI and Anthropic providers stream a draft when the request asks (onText), over the vendors'
 * own server-sent-event formats from the loopback fakes; a stream the connection cuts is an error, never
 * a shorter answer; the AgentHub does not let a retry stream after a broken stream.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AgentHub } from "../../src/agents/AgentHub.ts";
import { buildRequest } from "../../src/agents/buildRequest.ts";
import { createProvider } from "../../src/agents/createProvider.ts";
import type { DraftContext, Provider } from "../../src/agents/Provider.ts";
import { ProviderError } from "../../src/agents/ProviderError.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../fakes/anthropicServer.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openaiServer.ts";

const draft: DraftContext = {
  task: "draft",
  persona: "marketing_ops",
  goal: "Launch a lead-generation email campaign",
  agentId: "agent_email_writer",
  role: "Write clear copy",
  inputs: { event: "Expo" },
  upstream: [],
  lessons: [],
};
const TEXT = [
  "## Subject lines",
  "",
  "1. See what the Expo keynote means for your fleet",
  "2. Three numbers from this quarter's service data",
  "",
  "## Body",
  "",
  "Our fleet team measured the service intervals across 1,200 vehicles this year.",
  "",
].join("\n");

let oa: FakeOpenAI;
let an: FakeAnthropic;
before(async () => {
  oa = await startFakeOpenAI();
  an = await startFakeAnthropic();
});
after(async () => {
  await oa.close();
  await an.close();
});

const providers: Record<"openai" | "anthropic", () => Provider> = {
  openai: () =>
    createProvider("openai:gpt-4o-mini", { OPENAI_API_KEY: "sk-test-openai-0001", OPENAI_BASE_URL: oa.url }),
  anthropic: () =>
    createProvider("anthropic:claude-sonnet-5", {
      ANTHROPIC_API_KEY: "sk-ant-test-0001",
      ANTHROPIC_BASE_URL: an.url,
    }),
};
const fakes = () => ({ openai: oa, anthropic: an }) as const;

for (const kind of ["openai", "anthropic"] as const) {
  describe(`${kind} streams`, () => {
    test("a draft asked for with onText: stream: true on the wire, deltas in order, the same text returned", async () => {
      const fake = fakes()[kind];
      fake.script([{ text: TEXT }]);
      const from = fake.requests.length;
      const deltas: string[] = [];
      const req = { ...buildRequest(draft, { maxTokens: 800 }), onText: (d: string) => deltas.push(d) };
      const res = await providers[kind]().generate(req, new AbortController().signal);
      assert.equal(streamFlag(fake.requests[from]?.body), true);
      assert.ok(deltas.length > 5, `several deltas (${deltas.length})`);
      assert.ok(
        deltas.some((d) => !d.endsWith("\n") && d.length > 0),
        "pieces are cut mid-line, as models stream",
      );
      assert.equal(deltas.join(""), TEXT);
      assert.equal(res.text.trim(), TEXT.trim());
      assert.ok(res.tokens.output > 0);
    });

    test("without onText (or for schema-forced JSON) the request does not stream", async () => {
      const fake = fakes()[kind];
      fake.script([{ text: "plain" }]);
      const from = fake.requests.length;
      await providers[kind]().generate(buildRequest(draft), new AbortController().signal);
      assert.notEqual(streamFlag(fake.requests[from]?.body), true);
    });

    test("a connection cut mid-stream is a network error naming the cut, after the deltas that arrived", async () => {
      const fake = fakes()[kind];
      fake.script([{ text: TEXT, dropAfter: 3 }]);
      const deltas: string[] = [];
      const req = { ...buildRequest(draft), onText: (d: string) => deltas.push(d) };
      await assert.rejects(providers[kind]().generate(req, new AbortController().signal), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.errorClass, "network");
        return true;
      });
      assert.equal(deltas.length, 3);
      assert.ok(TEXT.startsWith(deltas.join("")));
    });
  });
}

test("AgentHub: after a stream breaks off, the consumer is told once and the retry does not stream", async () => {
  oa.script([{ text: TEXT, dropAfter: 2 }, { text: TEXT }]);
  const from = oa.requests.length;
  const hub = new AgentHub({
    prime: providers.openai(),
    clock: new ManualClock("2026-11-21T15:00:00.000Z", { autoAdvanceMaxMs: 30_000 }),
    random: () => 0.5,
  });
  const deltas: string[] = [];
  const broken: string[] = [];
  const res = await hub.generate(
    {
      ...buildRequest(draft),
      onText: (d) => deltas.push(d),
      onTextBroken: (reason) => broken.push(reason),
    },
    { agent: "agent_email_writer" },
  );
  assert.equal(res.text, TEXT);
  assert.equal(res.attempts.length, 2);
  assert.equal(broken.length, 1);
  assert.match(broken[0] ?? "", /^openai:gpt-4o-mini: /);
  assert.equal(deltas.length, 2, "only what the broken attempt streamed");
  const streamedFlags = oa.requests.slice(from).map((r) => streamFlag(r.body) === true);
  assert.deepEqual(streamedFlags, [true, false], "the retry asks for the whole answer");
});

function streamFlag(body: unknown): unknown {
  return (body as { stream?: unknown } | undefined)?.stream;
}
