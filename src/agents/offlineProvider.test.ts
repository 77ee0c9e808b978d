import assert from "node:assert/strict";
import { test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { buildRequest } from "./buildRequest.ts";
import { judgeSchema } from "./judgeSchema.ts";
import { OFFLINE_LABEL } from "./offlineDraft.ts";
import { OfflineProvider } from "./offlineProvider.ts";
import type { DraftContext } from "./Provider.ts";
import { headings } from "./textMeasures.ts";

const signal = new AbortController().signal;
const offline = new OfflineProvider();

const base = {
  persona: "marketing_ops",
  goal: "Launch a lead-generation email campaign for an upcoming industry event",
  inputs: {
    event: "Midwest Builders Expo",
    date: "2026-12-03",
    audience: "general contractors, facility managers",
  },
  lessons: [] as string[],
  upstream: [] as DraftContext["upstream"],
};
const planner: DraftContext = {
  ...base,
  task: "draft",
  agentId: "agent_campaign_planner",
  role: "Plan audience-specific messaging and timing",
  requiredSections: ["Audience segments", "Timeline", "Budget notes"],
};

test("the same request always gives the same labelled draft", async () => {
  const a = await offline.generate(buildRequest(planner), signal);
  const b = await offline.generate(buildRequest(structuredClone(planner)), signal);
  assert.equal(a.text, b.text);
  assert.deepEqual(a.tokens, b.tokens);
  assert.equal(a.model, "offline-v1");
  assert.ok(a.text.startsWith(`${OFFLINE_LABEL}\n`));
  assert.equal(a.tokens.output, Math.ceil(a.text.length / 4));
});

test("every required section appears as a heading, spelled as given", async () => {
  const { text } = await offline.generate(buildRequest(planner), signal);
  const heads = headings(text);
  for (const s of planner.requiredSections ?? []) assert.ok(heads.includes(s), `missing ${s}`);
  assert.match(text, /Thu 2026-11-12 \(T−21 days\)/); // timeline anchored on the date input
  assert.match(text, /General contractors/);
});

test("the writer builds on the plan and applies a subject-length lesson", async () => {
  const plan = await offline.generate(buildRequest(planner), signal);
  const writer: DraftContext = {
    ...base,
    task: "draft",
    agentId: "agent_email_writer",
    role: "Write clear, engaging copy for B2B buyers",
    upstream: [{ agent: "agent_campaign_planner", role: planner.role, output: plan.text }],
    lessons: ["Keep subject lines under 40 characters", "Mention parking"],
  };
  const { text } = await offline.generate(buildRequest(writer), signal);
  const subjects = [...text.matchAll(/^\d+\. (.+) \((\d+) chars\)$/gm)];
  assert.ok(subjects.length >= 2);
  for (const m of subjects) assert.ok((m[1] ?? "").length <= 40, m[1]);
  assert.match(text, /## Applied lessons/);
  assert.match(text, /- \[x\] Keep subject lines under 40 characters \(applied/);
  assert.match(text, /- \[ \] Mention parking/);
  assert.match(text, /What: Midwest Builders Expo on 2026-12-03/); // a key message carried from the plan
  assert.match(text, /Unsubscribe/);
});

test("the reviewer checks each upstream draft with stated measurements", async () => {
  const reviewer: DraftContext = {
    ...base,
    task: "draft",
    agentId: "agent_evaluator",
    role: "Review for clarity, compliance, and alignment with brand tone",
    upstream: [
      {
        agent: "agent_email_writer",
        role: "Write",
        output: "# Email\n\nSubject: Hello\n\nHi {{first_name}}, TBD.\n",
      },
    ],
  };
  const { text } = await offline.generate(buildRequest(reviewer), signal);
  assert.match(text, /### agent_email_writer/);
  assert.match(text, /- \[ \] Unresolved placeholder found: "TBD"/);
  assert.match(text, /- \[ \] No unsubscribe line/);
  assert.match(text, /## Recommended changes/);
});

test("other roles get their own structure", async () => {
  const estimator: DraftContext = {
    ...base,
    persona: "field_estimator",
    goal: "Prepare construction estimate",
    task: "draft",
    agentId: "agent_estimator",
    role: "Estimate labour and materials",
    inputs: { drywall_qty: "120", drywall_rate: "14.5", permit_cost: "350" },
  };
  const { text } = await offline.generate(buildRequest(estimator), signal);
  assert.match(text, /\| drywall \| 120 \| 14\.50 \| 1740\.00 \|/);
  assert.match(text, /\*\*Known subtotal\*\* \| \| \| \*\*2090\.00\*\*/);
  assert.match(text, /## Open questions/);
});

test("a judge request returns JSON valid against the judge schema, with measured rationales", async () => {
  const ajv = new Ajv2020({ strict: false });
  const validate = ajv.compile(judgeSchema);
  const judge: DraftContext = {
    ...base,
    task: "judge",
    agentId: "agent_evaluator",
    role: "Review",
    requiredSections: ["Subject lines", "Email body"],
    criteria: [
      { id: "clarity", description: "Clear subject lines and a readable body", weight: 0.5 },
      { id: "compliance", description: "Unsubscribe link and postal address present", weight: 0.5 },
    ],
    subject: "# Email\n\n## Subject lines\n\n1. Join us\n\nShort.",
  };
  const res = await offline.generate(buildRequest(judge), signal);
  assert.ok(validate(res.json), JSON.stringify(validate.errors));
  assert.deepEqual(JSON.parse(res.text), res.json);
  const j = res.json as { criteria: { id: string; score: number; rationale: string }[]; lessons: string[] };
  assert.deepEqual(
    j.criteria.map((c) => c.id),
    ["clarity", "compliance"],
  );
  assert.match(
    j.criteria[0]?.rationale ?? "",
    /Key words found \d+\/\d+.*Required sections 1\/2 \(missing: Email body\)/,
  );
  assert.ok(j.lessons.includes('Include a "Email body" section.'));
  const again = await offline.generate(buildRequest(judge), signal);
  assert.equal(again.text, res.text);
});

test("a better draft scores higher than a thin one", async () => {
  const criteria = [{ id: "timeline", description: "A dated timeline for each audience segment", weight: 1 }];
  const plan = await offline.generate(buildRequest(planner), signal);
  const score = async (subject: string) => {
    const r = await offline.generate(buildRequest({ ...planner, task: "judge", criteria, subject }), signal);
    return (r.json as { criteria: { score: number }[] }).criteria[0]?.score ?? 0;
  };
  assert.ok((await score(plan.text)) > (await score("A plan. TODO")));
});

test("a draft with a JSON schema is refused as a bad request", async () => {
  await assert.rejects(
    offline.generate(
      { ...buildRequest(planner), jsonSchema: { name: "x", schema: { type: "object" } } },
      signal,
    ),
    (err: { errorClass?: string }) => err.errorClass === "bad_request",
  );
});

test("publishers, reporters and unknown roles get their own sections; required ones are always added", async () => {
  const make = (agentId: string, role: string, requiredSections: string[] = []): DraftContext => ({
    ...base,
    persona: "campaign_operator",
    goal: "Deploy owned media content",
    task: "draft",
    agentId,
    role,
    inputs: { channels: "blog, newsletter" },
    requiredSections,
  });
  const publisher = await offline.generate(
    buildRequest(make("agent_publisher", "Publish approved content")),
    signal,
  );
  assert.deepEqual(headings(publisher.text).slice(1, 4), [
    "Deployment steps",
    "Pre-flight checklist",
    "Rollback",
  ]);
  assert.match(publisher.text, /\| 1 \| Blog \|/);
  const other = await offline.generate(
    buildRequest(make("agent_meta_learner", "Distil patterns", ["Open risks", "Glossary"])),
    signal,
  );
  const heads = headings(other.text);
  for (const h of ["Objective", "Approach", "Open risks", "Glossary"]) assert.ok(heads.includes(h), h);
  assert.match(other.text, /No input or upstream draft mentions glossary/);
});
