import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { dispatch } from "../../commands/dispatch.ts";
import { run } from "../../commands/run.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { replyToText } from "../../src/core/replyText.ts";
import type { RunProgress } from "../../src/executor/RunProgress.ts";
import { REPO, testApp } from "../helpers/testApp.ts";

const member: Actor = { source: "slack", id: "U0MEMBER" };
const other: Actor = { source: "slack", id: "U0OTHER" };
const { app, home, cleanup } = testApp({ MAOS_ROLES: "operator=U0OPS" });
after(cleanup);

const cli = (...args: string[]) => {
  try {
    return {
      code: 0,
      out: execFileSync(process.execPath, [path.join(REPO, "bin/maos.js"), ...args], {
        env: {
          ...process.env,
          MAOS_HOME: home,
          MAOS_STACKS: path.join(REPO, "stacks"),
          MAOS_CHARTER: path.join(REPO, "charter.yml"),
          // The local CLI user operates, as an operator on the machine would.
          MAOS_ROLES: `operator=U0OPS,local:${os.userInfo().username}`,
          LOG_LEVEL: "silent",
        },
        encoding: "utf8",
      }),
    };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: `${e.stdout}${e.stderr}` };
  }
};

test("`maos cancel RUN` from another process stops the run before its next agent; it is sealed as cancelled", async () => {
  let answer: { code: number; out: string } | undefined;
  const onProgress = (e: RunProgress) => {
    // Between the first and the second agent: a real CLI process files the cancel in state.db.
    if (e.type === "step" && e.state === "done" && e.index === 0) {
      const runId = app.ledger().query({ eventType: "RUN_STARTED" }).at(-1)?.payload as { runId: string };
      answer = cli("cancel", runId.runId.slice(0, 8));
    }
  };
  const summary = await run({ stack: "marketing_ops", inputs: { event: "Expo" } }, member, app, onProgress);
  assert.equal(answer?.code, 0, answer?.out);
  assert.match(answer?.out ?? "", /Cancel requested for run .+ \(marketing_ops\)/);

  assert.equal(summary.status, "cancelled");
  assert.deepEqual(
    summary.steps.map((s) => s.status),
    ["completed", "skipped", "skipped"],
  );
  assert.equal(summary.evaluation, undefined, "a cancelled run is not scored");
  const cancelled = app.ledger().query({ eventType: "RUN_CANCELLED" });
  assert.equal(cancelled.length, 1);
  assert.match(cancelled[0]?.actorIdentity ?? "", /^cli:local:/, "the ledger names who cancelled");
  assert.equal((cancelled[0]?.payload as { via?: string } | undefined)?.via, "cli");
  const runJson = JSON.parse(readFileSync(path.join(summary.vault.path, "run.json"), "utf8")) as {
    status: string;
    cancelled: { by: string };
  };
  assert.equal(runJson.status, "cancelled", "sealed as a cancelled run");
  assert.match(runJson.cancelled.by, /^cli:local:/);
  assert.ok(summary.seal.root, "what it produced is sealed");
  assert.equal(app.ledger().query({ eventType: "RUN_SEALED" }).length, 1);

  const reply = replyToText(await dispatch("status", { app, actor: member }));
  assert.match(reply, /marketing_ops\* cancelled|marketing_ops cancelled/);

  // Nothing left to cancel once it is over.
  const again = cli("cancel", summary.runId);
  assert.equal(again.code, 1);
  assert.match(again.out, /already over \(cancelled\)/);
});

test("an AbortSignal cancels in-process (the MCP adapter's handle); its reason names who", async () => {
  const controller = new AbortController();
  const summary = await run(
    { stack: "marketing_ops", inputs: { event: "Expo" } },
    member,
    app,
    (e) => {
      if (e.type === "step" && e.state === "done" && e.index === 1) controller.abort("mcp:client-7");
    },
    { signal: controller.signal },
  );
  assert.equal(summary.status, "cancelled");
  assert.deepEqual(summary.cancelled, { by: "mcp:client-7", via: "signal" });
  assert.deepEqual(
    summary.steps.map((s) => s.status),
    ["completed", "completed", "skipped"],
  );
});

test("/codex cancel: the requester may, someone else needs the cancel role and is refused on the record", async () => {
  let runId = "";
  let refused = "";
  await run({ stack: "marketing_ops", inputs: { event: "Expo" } }, member, app, (e) => {
    if (e.type === "started") runId = e.runId;
  });
  // Over already: nobody can cancel it, and the answer says why.
  const over = await dispatch(`cancel ${runId}`, { app, actor: member });
  assert.match(replyToText(over), /already over \(completed\)/);

  const refusalsBefore = app.ledger().query({ eventType: "GOVERNANCE_REFUSAL" }).length;
  const summary = await run({ stack: "marketing_ops", inputs: { event: "Expo" } }, member, app, (e) => {
    if (e.type === "started") runId = e.runId;
    if (e.type === "step" && e.state === "done" && e.index === 0) {
      // dispatch is async; the run checks before its next agent, after these settle.
      void dispatch(`cancel ${runId}`, { app, actor: other }).then((r) => {
        refused = replyToText(r);
      });
    }
  });
  assert.equal(summary.status, "completed", "someone else's cancel did not stop it");
  assert.match(refused, /cancel refused: run .+ was started by slack:U0MEMBER; .+ needs the operator role/);
  assert.equal(app.ledger().query({ eventType: "GOVERNANCE_REFUSAL" }).length, refusalsBefore + 1);

  const operator: Actor = { source: "slack", id: "U0OPS" };
  const help = replyToText(await dispatch("help", { app, actor: member }));
  assert.match(help, /\/codex cancel RUN/, "members see cancel in help (for their own runs)");
  const allowed = replyToText(await dispatch(`cancel ${runId}`, { app, actor: operator }));
  assert.match(allowed, /already over/);
});
