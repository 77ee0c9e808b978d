import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Actor } from "../core/Actor.ts";
import { ManualClock } from "../core/clock.ts";
import { type Charter, loadCharter } from "../governance/charter.ts";
import { Ledger } from "../ledger/Ledger.ts";
import { generateNoteKey, newNoteSigner } from "../ledger/signedNote.ts";
import { StateStore } from "../state/StateStore.ts";
import { type ApprovalDecisionEvent, ApprovalService } from "./ApprovalService.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const CHARTER = loadCharter(path.join(here, "../../test/fixtures/slack/approvers-charter.yml"));
const signer = newNoteSigner(generateNoteKey("maos-approvals-test").signerKey);

const OPERATOR: Actor = { source: "slack", id: "U0OPERATOR", email: "operator@example.com" };
const APPROVER: Actor = { source: "slack", id: "U0APPROVER", email: "approver@example.com" };
const STRANGER: Actor = { source: "slack", id: "U0STRANGER" };
const OWNER_BY_GROUP: Actor = { source: "slack", id: "U0OWNER", groups: ["S0OWNERS"] };
const BOT = "U0CODEX";

function setup(charter: Charter = CHARTER) {
  const clock = new ManualClock();
  const ledger = Ledger.open({
    path: ":memory:",
    signer,
    clock,
    environment: "test",
    origin: "maos-test/ledger",
  });
  const store = StateStore.open(":memory:", clock);
  const known = new Map([APPROVER, OPERATOR, STRANGER, OWNER_BY_GROUP].map((a) => [a.id, a]));
  const service = new ApprovalService({
    store,
    ledger,
    charter: () => charter,
    resolveSlackActor: async (id) => known.get(id) ?? { source: "slack", id },
  });
  const events = (type?: string) =>
    ledger.query({}).filter((e) => e.eventType.startsWith("APPROVAL_") && (!type || e.eventType === type));
  let n = 0;
  const react = (user: string, reaction = "white_check_mark", added = true, ts = "1790000000.000001") =>
    service.onReaction({ eventId: `Ev${++n}`, user, reaction, channel: "C0OPS", ts, added, botUserId: BOT });
  return { service, store, ledger, events, react };
}

async function requested(s: ReturnType<typeof setup>) {
  const a = await s.service.request({
    kind: "incident",
    subjectId: "INC-7",
    requestedBy: OPERATOR,
    prompt: "Resolve INC-7?",
  });
  s.service.attachMessage(a.id, "C0OPS", "1790000000.000001");
  return a;
}

describe("ApprovalService", () => {
  test("a request is a ledger entry naming the approver roles from the charter", async () => {
    const s = setup();
    const a = await requested(s);
    assert.equal(a.id, "APR-1");
    const [entry] = s.events("APPROVAL_REQUESTED");
    assert.equal(entry?.actorIdentity, "slack:U0OPERATOR <operator@example.com>");
    assert.equal(entry?.correlationId, "APR-1");
    assert.deepEqual((entry?.payload as { approverRoles?: string[] } | undefined)?.approverRoles, [
      "approver",
      "client_role:business_owner",
    ]);
  });

  test("only the charter's emoji on a registered message counts; other reactions on it are ledgered as ignored", async () => {
    const s = setup();
    await requested(s);
    assert.equal((await s.react("U0APPROVER", "eyes")).outcome, "ignored");
    assert.equal(
      (await s.react("U0APPROVER", "white_check_mark", true, "1790000000.999999")).outcome,
      "ignored",
    );
    // Issue 12: every reaction on a known approval message is on the record; other messages leave no trace.
    assert.equal(s.events().length, 2, "the request, and the ignored reaction on its message");
    const ignored = s.events("APPROVAL_REACTION_IGNORED")[0]?.payload as { reaction?: string } | undefined;
    assert.equal(ignored?.reaction, "eyes");
    const ok = await s.react("U0APPROVER");
    assert.equal(ok.outcome, "accepted");
    assert.equal((await s.service.get("APR-1"))?.status, "approved");
    const accepted = s.events("APPROVAL_ACCEPTED")[0];
    assert.equal(accepted?.actorIdentity, "slack:U0APPROVER <approver@example.com>");
    assert.deepEqual((accepted?.payload as { roles?: string[] } | undefined)?.roles, ["approver"]);
  });

  test("a user without an approver role is refused, on the record, with the role needed", async () => {
    const s = setup();
    await requested(s);
    const r = await s.react("U0STRANGER");
    assert.equal(r.outcome, "refused");
    assert.match("reason" in r ? r.reason : "", /approver or client_role:business_owner/);
    assert.equal((await s.service.get("APR-1"))?.status, "open");
    assert.equal(s.events("APPROVAL_REFUSED").length, 1);
  });

  test("a role held through a Slack user group counts", async () => {
    const s = setup();
    await requested(s);
    assert.equal((await s.react("U0OWNER")).outcome, "accepted");
  });

  test("the bot's own reactions never count", async () => {
    const s = setup();
    await requested(s);
    const r = await s.react(BOT);
    assert.equal(r.outcome, "refused");
    assert.match("reason" in r ? r.reason : "", /bot/);
    assert.equal((await s.service.get("APR-1"))?.status, "open");
  });

  test("self-approval is refused unless the charter allows it", async () => {
    const s = setup({
      ...CHARTER,
      roles: { ...CHARTER.roles, approver: { description: "", members: ["U0APPROVER", "U0OPERATOR"] } },
    });
    await requested(s);
    const r = await s.react("U0OPERATOR");
    assert.equal(r.outcome, "refused");
    assert.match("reason" in r ? r.reason : "", /self-approval/);

    const lax = setup({
      ...CHARTER,
      roles: { ...CHARTER.roles, approver: { description: "", members: ["U0OPERATOR"] } },
      approvals: { ...CHARTER.approvals, selfApproval: true },
    });
    await requested(lax);
    assert.equal((await lax.react("U0OPERATOR")).outcome, "accepted");
  });

  test("the reject emoji rejects, and a rejection is final", async () => {
    const s = setup();
    await requested(s);
    assert.equal((await s.react("U0APPROVER", "x")).outcome, "rejected");
    assert.equal((await s.service.get("APR-1"))?.status, "rejected");
    assert.equal((await s.react("U0APPROVER", "x", false)).outcome, "ignored");
    const late = await s.react("U0OWNER");
    assert.equal(late.outcome, "refused");
    assert.equal(s.events("APPROVAL_REJECTED").length, 1);
  });

  test("removing the approving reaction before use revokes; after consume it no longer can", async () => {
    const s = setup();
    await requested(s);
    const seen: ApprovalDecisionEvent[] = [];
    s.service.onDecision((e) => {
      seen.push(e);
    });
    await s.react("U0APPROVER");
    assert.equal((await s.react("U0STRANGER", "white_check_mark", false)).outcome, "ignored");
    assert.equal((await s.react("U0APPROVER", "white_check_mark", false)).outcome, "revoked");
    assert.equal((await s.service.get("APR-1"))?.status, "open");
    assert.equal(s.events("APPROVAL_REVOKED").length, 1);

    await s.react("U0APPROVER");
    await s.service.consume("APR-1", OPERATOR);
    assert.equal((await s.service.get("APR-1"))?.status, "consumed");
    const late = await s.react("U0APPROVER", "white_check_mark", false);
    assert.equal(late.outcome, "refused");
    assert.equal((await s.service.get("APR-1"))?.status, "consumed");
    assert.deepEqual(
      seen.map((e) => e.decision),
      ["approved", "revoked", "approved"],
    );
    await assert.rejects(s.service.consume("APR-1", OPERATOR), /consumed, not approved/);
  });

  test("a duplicate event_id is ignored entirely", async () => {
    const s = setup();
    await requested(s);
    const input = {
      eventId: "EvSame",
      user: "U0APPROVER",
      reaction: "white_check_mark",
      channel: "C0OPS",
      ts: "1790000000.000001",
      added: true,
      botUserId: BOT,
    };
    assert.equal((await s.service.onReaction(input)).outcome, "accepted");
    const before = s.ledger.size();
    assert.equal((await s.service.onReaction(input)).outcome, "duplicate");
    assert.equal((await s.service.onReaction({ ...input, added: false })).outcome, "duplicate");
    assert.equal(s.ledger.size(), before);
    assert.equal((await s.service.get("APR-1"))?.status, "approved");
  });

  test("decide (buttons, typed) follows the same rules", async () => {
    const s = setup();
    await requested(s);
    assert.equal((await s.service.decide("APR-1", "approve", STRANGER)).outcome, "refused");
    assert.equal((await s.service.decide("APR-1", "approve", OPERATOR)).outcome, "refused");
    const ok = await s.service.decide("APR-1", "approve", APPROVER, "button");
    assert.equal(ok.outcome, "accepted");
    assert.equal((await s.service.get("APR-1"))?.decidedVia, "button");
    assert.equal((await s.service.decide("APR-1", "reject", APPROVER)).outcome, "refused");
    await assert.rejects(s.service.decide("APR-404", "approve", APPROVER), /no approval request APR-404/);
  });
});
