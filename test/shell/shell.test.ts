import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { after, test } from "node:test";
import { commandApprovals } from "../../src/approvals/commandApprovals.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { startShell } from "../../src/shell/startShell.ts";
import { testApp } from "../helpers/testApp.ts";

const actor: Actor = { source: "shell", id: "alice" };
const { app, cleanup } = testApp();
after(cleanup);

/** Feeds lines to a shell and returns everything it printed once it ends. */
async function session(lines: string[], end = false): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = "";
  output.on("data", (chunk: Buffer) => {
    printed += chunk.toString("utf8");
  });
  const done = startShell({ app, input, output, actor, prompt: "codex> " });
  input.write(`${lines.join("\n")}\n`);
  if (end) input.end();
  await done;
  return printed;
}

test("the shell runs a stack, answers an unknown command, and ends on exit", async () => {
  const out = await session([
    '/codex run marketing_ops event="Midwest Builders Expo 2027"',
    "stakcs",
    "exit",
    "status",
  ]);
  assert.match(out, /^MAOS Codex shell: you are shell:alice\./);
  // Progress per agent, then the result.
  assert.match(out, /▶ marketing_ops: 3 agents/);
  assert.match(out, /✔ \[1\/3\] agent_campaign_planner {2}offline/);
  assert.match(out, /✔ sealed, commit [0-9a-f]{12}/);
  assert.match(out, /MARKETING_OPS: COMPLETED, SCORE \d\.\d\d/);
  assert.match(out, /Seal root: +`[0-9a-f]{64}`/);
  assert.match(out, /agent_email_writer: `offline` \(no model called\)/);
  assert.match(out, /Midwest Builders Expo 2027/);
  assert.match(out, /there is no \/codex command "stakcs" \(did you mean `stacks`\?\)/);
  assert.doesNotMatch(out, /MAOS CODEX STATUS/, "nothing after exit runs");
  assert.match(out, /bye\n$/);
  assert.doesNotMatch(out, /\n\s+at /, "no stack trace");
  assert.equal(app.ledger().query({ eventType: "RUN_SEALED" }).length, 1);
});

test("Ctrl-D (the end of input) ends the shell; blank lines only prompt again", async () => {
  const out = await session(["", "   ", "help"], true);
  assert.match(out, /MAOS CODEX COMMANDS/);
  assert.equal(out.match(/codex> /g)?.length, 4);
  assert.match(out, /bye\n$/);
});

test("approvals are typed in the shell, by a local user the charter's roles name", async () => {
  const t = testApp({ MAOS_ROLES: "approver=local:alice" });
  try {
    const approval = await t.app.approvals().request({
      kind: "incident",
      subjectId: "INC-1",
      requestedBy: { source: "slack", id: "U0REQUESTER" },
      prompt: "Resume after INC-1",
    });
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = "";
    output.on("data", (chunk: Buffer) => {
      printed += chunk.toString("utf8");
    });
    const done = startShell({
      app: t.app,
      input,
      output,
      actor: { source: "shell", id: "local:alice" },
      approvals: commandApprovals(t.app.approvals()),
    });
    input.end(`/codex approve ${approval.id}\n`);
    await done;
    assert.match(printed, /approved/i);
    assert.equal(t.app.approvals().get(approval.id)?.status, "approved");
    const accepted = t.app.ledger().query({ eventType: "APPROVAL_ACCEPTED" });
    assert.equal(accepted.length, 1);
    assert.match(accepted[0]?.actorIdentity ?? "", /local:alice/);
  } finally {
    await t.cleanup();
  }
});
