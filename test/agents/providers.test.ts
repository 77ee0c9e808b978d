import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { buildRequest } from "../../src/agents/buildRequest.ts";
import { createProvider } from "../../src/agents/createProvider.ts";
import { judgeSchema } from "../../src/agents/judgeSchema.ts";
import type { DraftContext } from "../../src/agents/Provider.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../fakes/anthropicServer.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openaiServer.ts";

const signal = () => new AbortController().signal;
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
const judge: DraftContext = {
  ...draft,
  task: "judge",
  criteria: [{ id: "clarity", description: "Clear", weight: 1 }],
  subject: "# Draft",
};
const judgement = {
  criteria: [{ id: "clarity", score: 0.8, rationale: "Readable." }],
  lessons: ["Shorter."],
};
const validJudgement = new Ajv2020({ strict: false }).compile(judgeSchema);

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

const openai = () =>
  createProvider("openai:gpt-4o-mini", { OPENAI_API_KEY: "sk-test-openai-0001", OPENAI_BASE_URL: oa.url });
const anthropic = () =>
  createProvider("anthropic:claude-sonnet-5", {
    ANTHROPIC_API_KEY: "sk-ant-test-0001",
    ANTHROPIC_BASE_URL: an.url,
  });

test("openai: a text answer with tokens from usage, in the chat-completions wire format", async () => {
  oa.script([{ text: "## Subject lines\n\n1. Hello", usage: { input: 321, output: 12 } }]);
  const from = oa.requests.length;
  const res = await openai().generate(buildRequest(draft, { maxTokens: 800 }), signal());
  assert.equal(res.text, "## Subject lines\n\n1. Hello");
  assert.deepEqual(res.tokens, { input: 321, output: 12 });
  assert.equal(res.model, "gpt-4o-mini");
  assert.equal(oa.requests.length, from + 1);
  const sent = oa.requests.at(-1);
  assert.equal(sent?.path, "/v1/chat/completions");
  assert.equal(sent?.headers.authorization, "Bearer sk-test-openai-0001");
  const body = sent?.body as { messages: { role: string }[]; max_tokens?: number; stream?: boolean };
  assert.deepEqual(
    body.messages.map((m) => m.role),
    ["system", "user"],
  );
  assert.equal(body.max_tokens, 800); // a compatible base URL gets max_tokens
});

test("openai: schema-forced JSON goes out as a strict json_schema response_format", async () => {
  oa.script([{ json: judgement }]);
  const res = await openai().generate(buildRequest(judge), signal());
  assert.deepEqual(res.json, judgement);
  assert.ok(validJudgement(res.json));
  const body = oa.requests.at(-1)?.body as {
    response_format: { type: string; json_schema: { name: string; strict: boolean } };
  };
  assert.equal(body.response_format.type, "json_schema");
  assert.equal(body.response_format.json_schema.strict, true);
  assert.equal(body.response_format.json_schema.name, "codex_judgement");
});

test("openai: unparsable JSON is invalid_output; a refused request is bad_request", async () => {
  oa.script([{ text: "not json {" }, { status: 400, message: "Invalid schema." }]);
  await assert.rejects(openai().generate(buildRequest(judge), signal()), { errorClass: "invalid_output" });
  await assert.rejects(openai().generate(buildRequest(judge), signal()), {
    errorClass: "bad_request",
    status: 400,
  });
});

test("openai: probe lists models", async () => {
  await openai().probe(signal());
  assert.equal(oa.requests.at(-1)?.path, "/v1/models");
});

test("anthropic: a text answer with tokens from usage", async () => {
  an.script([{ text: "## Email body\n\nHi.", usage: { input: 200, output: 9 } }]);
  const res = await anthropic().generate(buildRequest(draft), signal());
  assert.equal(res.text, "## Email body\n\nHi.");
  assert.deepEqual(res.tokens, { input: 200, output: 9 });
  const sent = an.requests.at(-1);
  assert.equal(sent?.path, "/v1/messages");
  assert.ok(sent?.headers["anthropic-version"]);
  const body = sent?.body as { max_tokens: number; system: string; messages: { role: string }[] };
  assert.equal(body.max_tokens, 4096);
  assert.match(body.system, /agent_email_writer/);
  assert.deepEqual(
    body.messages.map((m) => m.role),
    ["user"],
  );
});

test("anthropic: schema-forced JSON comes back through the forced tool", async () => {
  an.script([{ json: judgement }]);
  const res = await anthropic().generate(buildRequest(judge), signal());
  assert.deepEqual(res.json, judgement);
  assert.equal(res.text, JSON.stringify(judgement));
  const body = an.requests.at(-1)?.body as {
    tools: { name: string; input_schema: { type: string } }[];
    tool_choice: { type: string; name: string };
  };
  assert.equal(body.tools.length, 1);
  assert.equal(body.tools[0]?.input_schema.type, "object");
  assert.deepEqual(body.tool_choice, { type: "tool", name: "codex_judgement" });
});

test("anthropic: 529 overloaded is a server_error; probe lists models", async () => {
  an.script([{ status: 529 }]);
  await assert.rejects(anthropic().generate(buildRequest(draft), signal()), {
    errorClass: "server_error",
    status: 529,
  });
  await anthropic().probe(signal());
  assert.equal(an.requests.at(-1)?.path, "/v1/models");
});

test("the fakes refuse malformed requests the way the vendors do", async () => {
  const bad = await fetch(`${oa.url}/chat/completions`, {
    method: "POST",
    headers: { authorization: "Bearer x", "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "robot", content: "hi" }] }),
  });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { error: { type: string } }).error.type, "invalid_request_error");
  const noVersion = await fetch(`${an.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": "x", "content-type": "application/json" },
    body: JSON.stringify({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
  });
  assert.equal(noVersion.status, 400);
  const noMax = await fetch(`${an.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": "x", "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
  });
  assert.equal(noMax.status, 400);
});
