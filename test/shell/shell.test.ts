import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { after, test } from "node:test";
import { commandApprovals } from "../../src/approvals/commandApprovals.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { ShellScreen } from "../../src/shell/ShellScreen.ts";
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
    assert.equal((await t.app.approvals().get(approval.id))?.status, "approved");
    const accepted = t.app.ledger().query({ eventType: "APPROVAL_ACCEPTED" });
    assert.equal(accepted.length, 1);
    assert.match(accepted[0]?.actorIdentity ?? "", /local:alice/);
  } finally {
    await t.cleanup();
  }
});

test("clear, quit and /codex quit are the shell's own words; clear prints nothing on a pipe", async () => {
  const out = await session(["clear", "/codex clear", "quit", "status"]);
  assert.doesNotMatch(out, /there is no \/codex command/);
  assert.doesNotMatch(out, /MAOS CODEX STATUS/, "quit ended the shell");
  assert.match(out, /`help`, `clear` or `exit`/);
  assert.match(out, /bye\n$/);
});

test("on a terminal, a notice (a log line, evidence) is printed above an idle prompt, which is drawn again", async () => {
  const input = new PassThrough();
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
  let printed = "";
  const waiters: { text: string; resolve(): void }[] = [];
  output.on("data", (chunk: Buffer) => {
    printed += chunk.toString("utf8");
    for (const w of [...waiters]) {
      if (printed.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const shown = (text: string) =>
    new Promise<void>((resolve) => {
      if (printed.includes(text)) resolve();
      else waiters.push({ text, resolve });
    });
  const screen = new ShellScreen(output);
  const done = startShell({ app, input, output, actor, screen, logs: "data/logs/maos.log" });
  await shown("codex> ");
  assert.match(printed, /Logs go to data\/logs\/maos\.log\./);
  input.write("sta");
  await shown("sta");
  const before = printed.length;
  screen.notice('{"level":40,"msg":"a warning"}');
  const after = printed.slice(before);
  // Cleared line, the notice on its own line, then the prompt again with what was typed.
  assert.ok(after.startsWith('\r\x1b[K{"level":40,"msg":"a warning"}\n'), JSON.stringify(after));
  assert.match(after, /codex> .*sta/);
  input.write("tus\r");
  await shown("MAOS CODEX STATUS");
  input.end("exit\r");
  await done;
  assert.match(printed, /bye\n$/);
});
