/**
 * Delivery survives kill -9: a child process dispatches the outbox while the fakes hold their answers
 * to the first creates (applied at the service, unanswered), is SIGKILLed mid-dispatch, and a restart
 * on the same MAOS_HOME delivers the rest. Every item reaches Notion and Teamwork exactly once: the
 * tries the dead process counted make the restart look up before it creates.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { test } from "node:test";
import type { EvidenceDraft } from "../../src/relays/EvidencePublisher.ts";
import { TW_CREATE_COMMENT, TW_CREATE_TASK } from "../fakes/teamworkServer.ts";
import { REPO, testApp } from "../helpers/testApp.ts";
import { pageKeys, queuedKeys, startRelayFakes, teamworkKeys, testCause } from "./relayKit.ts";

const ITEMS = 4;

test("kill -9 during dispatch, then a restart: pending items are delivered, none twice", {}, async (t) => {
  const fakes = await startRelayFakes();
  t.after(() => fakes.close());
  const first = testApp(fakes.env);
  const { home } = first;
  for (let i = 1; i <= ITEMS; i++) {
    const item: EvidenceDraft = {
      kind: i === 1 ? "activation" : "drift",
      title: `item ${i}`,
      reply: { summary: `item ${i}`, parts: [{ kind: "text", text: `item ${i}` }] },
      markdown: `# item ${i}\n\nqueued before the crash\n`,
      correlationId: `kill9-${i}`,
      occurredAt: first.clock.now(),
      channel: "signals",
    };
    await first.app.relays().publisher().publish(item, testCause(item.correlationId));
  }
  assert.equal((await first.app.relays().counts()).pending, ITEMS * 2);
  await first.app.close();

  // The first create on each service is applied but not answered while the child waits for it.
  fakes.notion.hold(["post-page"]);
  fakes.teamwork.hold([TW_CREATE_TASK]);
  const child = spawn(process.execPath, [path.join(REPO, "test/relays/dispatchChild.ts")], {
    env: {
      ...process.env,
      ...fakes.env,
      MAOS_HOME: home,
      MAOS_STACKS: path.join(REPO, "stacks"),
      MAOS_CHARTER: path.join(REPO, "charter.yml"),
      LOG_LEVEL: "silent",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = once(child, "exit");
  await Promise.race([
    Promise.all([fakes.notion.waitFor("post-page", 1), fakes.teamwork.waitFor(TW_CREATE_TASK, 1)]),
    exited.then(() => assert.fail(`the child exited before dispatching: ${stderr}`)),
  ]);
  child.kill("SIGKILL");
  const [code, signal] = await exited;
  assert.equal(signal, "SIGKILL", `killed (${code}): ${stderr}`);
  fakes.notion.dropHeld();
  fakes.teamwork.dropHeld();
  assert.equal(fakes.notion.pages.length, 1, "the page the killed process created exists, unacknowledged");
  assert.equal(fakes.teamwork.tasks.length, 1);

  // The restart: same MAOS_HOME, a fresh process state.
  const second = testApp({ ...fakes.env, MAOS_HOME: home });
  t.after(async () => {
    await second.cleanup();
    await first.cleanup();
  });
  const d = second.app.relays().dispatcher();
  for (let i = 0; i < 50 && (await second.app.relays().counts()).pending > 0; i++) {
    const r = await d.deliverDue();
    if (r.nextDueAt)
      await second.clock.advance(Math.max(1, r.nextDueAt.getTime() - second.clock.now().getTime()));
  }
  const counts = await second.app.relays().counts();
  assert.deepEqual([counts.pending, counts.dead, counts.delivered], [0, 0, ITEMS * 2]);
  const keys = queuedKeys(second.app.ledger()).sort();
  assert.equal(keys.length, ITEMS);
  assert.deepEqual(pageKeys(fakes).sort(), keys, "each item one Notion page");
  assert.deepEqual(teamworkKeys(fakes).sort(), keys, "each item one Teamwork task or comment");
  assert.equal(fakes.notion.count("post-page"), ITEMS, "no create was repeated");
  assert.equal(fakes.teamwork.count(TW_CREATE_TASK), 1);
  assert.equal(fakes.teamwork.count(TW_CREATE_COMMENT), ITEMS - 1);
  assert.deepEqual(fakes.problems(), []);
});
