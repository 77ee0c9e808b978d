/**
 * The publisher with no relay wired in: the causing entry itself says each item went nowhere and why,
 * and the operator's echo carries that entry's seq.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { LedgerNotePublisher } from "../../src/autonomy/LedgerNotePublisher.ts";
import type { EvidenceDraft, EvidenceItem } from "../../src/relays/EvidencePublisher.ts";
import { evidenceRecords } from "../../src/relays/evidenceRecord.ts";
import { testApp } from "../helpers/testApp.ts";

function draft(title: string, threadKey?: string): EvidenceDraft {
  return {
    kind: "incident",
    title,
    reply: { summary: title, parts: [{ kind: "text", text: title }] },
    markdown: `# ${title}\n`,
    correlationId: "note-test",
    occurredAt: new Date("2026-11-21T15:00:00.000Z"),
    channel: "signals",
    ...(threadKey ? { threadKey } : {}),
  };
}

test("the causing entry is written once, with a note per item; the echo shows its seq", async (t) => {
  const ta = testApp();
  t.after(() => ta.cleanup());
  const ledger = ta.app.ledger();
  const echoed: EvidenceItem[] = [];
  const publisher = new LedgerNotePublisher({
    ledger,
    echo: (i) => echoed.push(i),
    reason: "Slack is off in this test",
  });
  const size = ledger.size();
  const entry = await publisher.publish([draft("INC-1 resumed", "INC-1"), draft("INC-2 resumed", "INC-2")], {
    eventType: "SRR_RESUMED",
    actor: "system",
    correlationId: "note-test",
    payload: { incidents: ["INC-1", "INC-2"] },
  });
  assert.equal(ledger.size(), size + 1, "one entry: the cause, nothing beside it");
  const stored = ledger.query({ eventType: "SRR_RESUMED" }).at(-1);
  assert.ok(stored);
  assert.equal(stored.seq, entry.seq);
  assert.deepEqual((stored.payload as { incidents: string[] }).incidents, ["INC-1", "INC-2"]);
  assert.deepEqual(evidenceRecords(stored), [
    {
      kind: "incident",
      title: "INC-1 resumed",
      channel: "signals",
      threadKey: "INC-1",
      sinks: [],
      reason: "Slack is off in this test",
    },
    {
      kind: "incident",
      title: "INC-2 resumed",
      channel: "signals",
      threadKey: "INC-2",
      sinks: [],
      reason: "Slack is off in this test",
    },
  ]);
  assert.deepEqual(
    echoed.map((i) => [i.title, i.ledgerSeq]),
    [
      ["INC-1 resumed", entry.seq],
      ["INC-2 resumed", entry.seq],
    ],
  );

  // No items: the cause is written as given.
  const plain = await publisher.publish([], {
    eventType: "SRR_RESUMED",
    actor: "system",
    correlationId: "x",
  });
  assert.deepEqual(plain.payload, {});
  // A cause whose payload cannot hold the records is refused before anything is written.
  await assert.rejects(
    publisher.publish(draft("clash"), {
      eventType: "SRR_RESUMED",
      actor: "system",
      correlationId: "x",
      payload: { evidence: "mine" },
    }),
    /already has an "evidence" field/,
  );
  assert.equal(ledger.size(), size + 2);
});
