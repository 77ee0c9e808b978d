import assert from "node:assert/strict";
import { after, test } from "node:test";
import { dispatch } from "../../commands/dispatch.ts";
import type { Actor } from "../../src/core/Actor.ts";
import type { ReplyPart } from "../../src/core/Reply.ts";
import { replyToText } from "../../src/core/replyText.ts";
import type { RunProgress } from "../../src/executor/RunProgress.ts";
import { testApp } from "../helpers/testApp.ts";

const member: Actor = { source: "slack", id: "U0MEMBER", email: "pat@example.com" };
const { app, cleanup } = testApp();
after(cleanup);

test("run, then status and ledger verify, through dispatch", async () => {
  const progress: RunProgress[] = [];
  const reply = await dispatch('run marketing_ops event="Midwest Builders Expo 2027"', {
    app,
    actor: member,
    onProgress: (e) => progress.push(e),
  });
  assert.equal(reply.isError, undefined, replyToText(reply));
  assert.ok(!reply.ephemeral, "a run result is for the channel");

  // The ledger's own record of the run is the reference the reply must agree with.
  const ledger = app.ledger();
  const sealed = ledger.query({ eventType: "RUN_SEALED" });
  assert.equal(sealed.length, 1);
  const seal = sealed[0]?.payload as { sealRoot: string; commit: string; runId: string };
  const completed = ledger.query({ eventType: "RUN_COMPLETED" })[0]?.payload as { score: number };

  const fields = new Map(
    reply.parts.flatMap((p) => (p.kind === "fields" ? p.fields.map((f) => [f.label, f.value] as const) : [])),
  );
  assert.equal(fields.get("Score"), completed.score.toFixed(2));
  assert.match(fields.get("Verdict") ?? "", /^(PASS|below the bar) \(threshold 0\.\d+\)$/);
  assert.equal(fields.get("Seal root"), `\`${seal.sealRoot}\``);
  assert.equal(fields.get("Vault commit"), `\`${seal.commit}\``);
  assert.match(fields.get("Ledger head") ?? "", /^`[0-9a-f]{64}` \(\d+ entries\)$/);

  const text = replyToText(reply);
  for (const agent of ["agent_campaign_planner", "agent_email_writer", "agent_evaluator"]) {
    assert.match(text, new RegExp(`✔ ${agent}: \`offline\` \\(no model called\\)`), agent);
  }
  assert.match(text, /MARKETING_OPS: COMPLETED, SCORE \d\.\d\d/);

  const docs = reply.parts.filter(
    (p): p is Extract<ReplyPart, { kind: "document" }> => p.kind === "document",
  );
  assert.ok(docs.length >= 3, "each agent's full output is a document");
  for (const doc of docs) {
    assert.ok(doc.text.length > 0);
    assert.match(doc.filename, /^agent_[a-z_]+\.(md|json)$/);
  }
  // Issue 8: each agent's output is shown once (it used to be an excerpt, then the full text).
  const excerpts = reply.parts.filter((p) => p.kind === "text" && p.text.startsWith("*agent_"));
  assert.equal(excerpts.length, 0, "no excerpt repeats a document");
  assert.deepEqual(
    docs.map((d) => d.title.split(" ")[0]),
    ["agent_campaign_planner", "agent_email_writer", "agent_evaluator"],
    "one document per agent",
  );
  assert.ok(
    docs.some((d) => d.text.includes("Midwest Builders Expo 2027")),
    "the quoted input reached the agents",
  );

  const done = progress.flatMap((e) => (e.type === "step" && e.state === "done" ? [e.agent] : []));
  assert.deepEqual(done, ["agent_campaign_planner", "agent_email_writer", "agent_evaluator"]);
  assert.equal(progress.at(-1)?.type, "sealed");

  const started = ledger.query({ eventType: "RUN_STARTED" })[0];
  assert.equal(started?.actorIdentity, "slack:U0MEMBER <pat@example.com>");

  const status = replyToText(await dispatch("status", { app, actor: member }));
  assert.match(status, new RegExp(`marketing_ops completed · score ${completed.score.toFixed(2)}`));
  assert.match(status, new RegExp(`seal \`${seal.sealRoot.slice(0, 16)}\``));
  assert.match(status, /Ledger:\s+\d+ entries, intact \(fully verified now/);
  assert.match(status, /prime `offline`, backup none/);
  assert.match(status, /Slack: off \(SLACK_BOT_TOKEN not set\)/);
  // Issue 8: never "RUNNING · loop not running"; say what is true.
  assert.match(status, /Autonomy:\s+off: no loop is running \(start it with npm start/);
  assert.doesNotMatch(status, /RUNNING · loop not running/);
  assert.match(status, /Drift:\s+no heartbeat yet/);

  const verify = await dispatch("ledger verify", { app, actor: member });
  assert.equal(verify.isError, undefined);
  assert.match(replyToText(verify), /^LEDGER INTACT/);
  assert.match(replyToText(verify), /Signed checkpoints: \d+ verified \(\d+ copies from the vault\)/);

  const tail = replyToText(await dispatch("ledger tail 3", { app, actor: member }));
  assert.match(tail, /RUN_SEALED/);
  assert.equal(tail.match(/^\s+\d+ {2}\d{4}-/gm)?.length, 3);
});
