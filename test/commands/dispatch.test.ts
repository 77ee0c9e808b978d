import assert from "node:assert/strict";
import path from "node:path";
import { after, describe, test } from "node:test";
import type { ApprovalsService } from "../../commands/CommandSpec.ts";
import { commandsFor, dispatch, parseCommandLine } from "../../commands/dispatch.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { replyToText } from "../../src/core/replyText.ts";
import { REPO, testApp } from "../helpers/testApp.ts";

const member: Actor = { source: "slack", id: "U0MEMBER" };
const operator: Actor = { source: "slack", id: "U0OPERATOR" };
const fixtureCharter = path.join(import.meta.dirname, "fixtures", "run_needs_operator.yml");

describe("parseCommandLine", () => {
  test("splits words and keeps a double-quoted value whole", () => {
    assert.deepEqual(parseCommandLine('run marketing_ops event="Midwest Builders Expo 2027"'), {
      name: "run",
      args: ["marketing_ops", "event=Midwest Builders Expo 2027"],
    });
  });

  test("honours Slack's smart quotes", () => {
    assert.deepEqual(parseCommandLine("run marketing_ops event=“Midwest Builders Expo 2027” region=“US”"), {
      name: "run",
      args: ["marketing_ops", "event=Midwest Builders Expo 2027", "region=US"],
    });
    // Slack sometimes closes with the opening glyph's twin on both sides.
    assert.deepEqual(parseCommandLine("run x a=”b c”").args, ["x", "a=b c"]);
  });

  test("empty text is help; extra spaces, tabs and case do not matter", () => {
    assert.deepEqual(parseCommandLine(""), { name: "help", args: [] });
    assert.deepEqual(parseCommandLine("   \t "), { name: "help", args: [] });
    assert.deepEqual(parseCommandLine("  LEDGER   tail\t5 "), { name: "ledger", args: ["tail", "5"] });
  });

  test("an empty quoted value is kept and an unclosed quote runs to the end", () => {
    assert.deepEqual(parseCommandLine('run x note=""').args, ["x", "note="]);
    assert.deepEqual(parseCommandLine('run x event="Expo 2027').args, ["x", "event=Expo 2027"]);
  });
});

describe("dispatch", () => {
  const shipped = testApp();
  const strict = testApp({ MAOS_CHARTER: fixtureCharter });
  after(async () => {
    await shipped.cleanup();
    await strict.cleanup();
  });

  test("an unknown command suggests the closest one and lists what the caller may run", async () => {
    const reply = await dispatch("stakcs", { app: shipped.app, actor: member });
    assert.equal(reply.isError, true);
    const text = replyToText(reply);
    assert.match(text, /no \/codex command "stakcs"/);
    assert.match(text, /did you mean `stacks`/);
    assert.match(text, /commands you may run: help, run, stacks, status, ledger/);
    assert.doesNotMatch(text, /activate/, "a member may not run activate, so it is not offered");
  });

  test("a refused command is an ephemeral reply naming the role, and a GOVERNANCE_REFUSAL entry", async () => {
    const { app } = strict;
    const reply = await dispatch("run marketing_ops event=Expo", { app, actor: member });
    assert.equal(reply.isError, true);
    assert.equal(reply.ephemeral, true);
    assert.match(replyToText(reply), /needs the operator role/);
    // Named as a Slack mention (issue 12: never an email), @U0MEMBER on a terminal.
    assert.match(replyToText(reply), /@U0MEMBER/);

    const refusals = app.ledger().query({ eventType: "GOVERNANCE_REFUSAL" });
    assert.equal(refusals.length, 1);
    const [entry] = refusals;
    assert.equal(entry?.level, "warn");
    assert.equal(entry?.actorIdentity, "slack:U0MEMBER");
    assert.deepEqual(entry?.payload, { command: "run", argCount: 2, needed: ["operator"] });
    assert.equal(app.ledger().query({ eventType: "RUN_STARTED" }).length, 0, "the refused run never started");
  });

  test("MAOS_ROLES grants a role on top of the charter", async () => {
    const extra = testApp({ MAOS_CHARTER: fixtureCharter, MAOS_ROLES: "operator=U0EXTRA" });
    try {
      const reply = await dispatch("run", { app: extra.app, actor: { source: "slack", id: "U0EXTRA" } });
      // Permitted, so it gets as far as run's own usage check.
      assert.match(replyToText(reply), /usage: \/codex run <stack>/);
    } finally {
      await extra.cleanup();
    }
  });

  test("help lists only the commands the caller may run", async () => {
    const asMember = replyToText(await dispatch("", { app: strict.app, actor: member }));
    assert.match(asMember, /\/codex stacks/);
    assert.doesNotMatch(asMember, /\/codex run/);
    const asOperator = replyToText(await dispatch("help", { app: strict.app, actor: operator }));
    assert.match(asOperator, /\/codex run <stack> \[key=value …\]/);
    assert.match(asOperator, /your roles: member, operator/);
    assert.deepEqual(
      commandsFor({ app: strict.app, actor: member }).map((c) => c.name),
      // `client` (the client matrix card) is read under the `status` permission.
      ["help", "stacks", "status", "ledger", "client"],
    );
  });

  test("bad arguments get that subcommand's usage, never a trace", async () => {
    const ctx = { app: shipped.app, actor: member };
    for (const [line, pattern] of [
      ["run", /usage: \/codex run <stack> \[key=value …\]/],
      ["run marketing_ops Expo", /"Expo" is not an input[\s\S]*usage: \/codex run/],
      ["ledger tail many", /N must be a whole number[\s\S]*usage: \/codex ledger \[tail \[N\]\|verify\]/],
      ["ledger frobnicate", /unknown ledger subcommand[\s\S]*usage: \/codex ledger/],
      ["status now", /takes no arguments[\s\S]*usage: \/codex status/],
    ] as const) {
      const reply = await dispatch(line, ctx);
      const text = replyToText(reply);
      assert.equal(reply.isError, true, line);
      assert.match(text, pattern, line);
      assert.doesNotMatch(text, /\n\s+at /, `${line}: no stack trace`);
    }
  });

  test("a missing required input names it with its description, with the usage", async () => {
    // Issue 8: the shipped stacks default every input, so this takes a stack that does not.
    const asks = testApp({ MAOS_STACKS: path.join(REPO, "test/fixtures/stacks/asks") });
    try {
      const reply = await dispatch("run trade_show booth=4411", { app: asks.app, actor: member });
      const text = replyToText(reply);
      assert.match(text, /needs an input with no default:\s+event: The event, with its dates and city/);
      assert.doesNotMatch(text, /booth:/, "a typed input is not asked for");
      assert.match(text, /usage: \/codex run/);
      assert.equal(asks.app.ledger().query({ eventType: "RUN_STARTED" }).length, 0, "nothing ran");
    } finally {
      await asks.cleanup();
    }
  });

  test("`run marketing_ops` with no inputs runs on the stack's defaults", async () => {
    const reply = await dispatch("run marketing_ops", { app: shipped.app, actor: member });
    assert.equal(reply.isError, undefined, replyToText(reply));
    assert.match(replyToText(reply), /MARKETING_OPS: COMPLETED/);
    const started = shipped.app.ledger().query({ eventType: "RUN_STARTED", newestFirst: true })[0];
    assert.match(
      String((started?.payload as { inputs?: { event?: string } } | undefined)?.inputs?.event),
      /Midwest Builders Expo/,
    );
  });

  test("an unknown stack answers with the list of stacks", async () => {
    const reply = await dispatch("run marketing_opz", { app: shipped.app, actor: member });
    assert.equal(reply.isError, true);
    const text = replyToText(reply);
    for (const name of ["marketing_ops", "field_estimator", "equipment_lead", "campaign_operator"]) {
      assert.match(text, new RegExp(`\`${name}\``));
    }
  });

  test("activate runs once permitted and reports the checklist; incident approve checks its own entry", async () => {
    const withOperator = testApp({ MAOS_ROLES: "operator=U0OPERATOR" });
    try {
      const reply = await dispatch("activate", { app: withOperator.app, actor: operator });
      assert.equal(reply.isError, true, "not ACTIVE without a seal, approvers or a relay token");
      assert.match(replyToText(reply), /MAOS ACTIVATION: NOT ACTIVE/);
      // incident approve checks its own charter entry, which the operator role does not grant.
      const refused = await dispatch("incident approve I-1", { app: withOperator.app, actor: operator });
      assert.match(
        replyToText(refused),
        /incident approve needs the approver or client_role:business_owner role/,
      );
    } finally {
      await withOperator.cleanup();
    }
  });

  test("approve uses the injected approvals service, and says so when there is none", async () => {
    const approverApp = testApp({ MAOS_ROLES: "approver=U0APPROVER" });
    try {
      const actor: Actor = { source: "shell", id: "U0APPROVER" };
      const none = await dispatch("approve A-17", { app: approverApp.app, actor });
      assert.match(replyToText(none), /no approvals service is running/);
      const calls: unknown[] = [];
      const approvals: ApprovalsService = {
        async decide(id, decision, who) {
          calls.push([id, decision, who.id]);
          const text = `${decision === "approve" ? "approved" : "rejected"} ${id}`;
          return { summary: text, parts: [{ kind: "text", text }] };
        },
      };
      const reply = await dispatch("reject A-17", { app: approverApp.app, actor, approvals });
      assert.equal(replyToText(reply), "rejected A-17");
      assert.deepEqual(calls, [["A-17", "reject", "U0APPROVER"]]);
    } finally {
      await approverApp.cleanup();
    }
  });

  test("an unexpected error is a short reply; the details go to the log only", async () => {
    const approverApp = testApp({ MAOS_ROLES: "approver=U0APPROVER" });
    try {
      const approvals: ApprovalsService = {
        async decide() {
          throw new TypeError("cannot read properties of undefined (reading 'ts')");
        },
      };
      const actor: Actor = { source: "slack", id: "U0APPROVER" };
      const reply = await dispatch("approve A-1", { app: approverApp.app, actor, approvals });
      const text = replyToText(reply);
      assert.equal(reply.isError, true);
      assert.match(text, /\/codex approve failed on an unexpected error; the details are in the server log/);
      assert.doesNotMatch(text, /reading 'ts'|\n\s+at /);
    } finally {
      await approverApp.cleanup();
    }
  });
});
