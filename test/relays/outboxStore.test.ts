/**
 * The evidence outbox's store on ledger.db: the shared cases (outboxCases.ts, which
 * test/postgres/pgOutbox.test.ts runs on PostgreSQL) against Outbox, its rows queued by Ledger.append.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import { Ledger } from "../../src/ledger/Ledger.ts";
import { generateNoteKey, newNoteSigner } from "../../src/ledger/signedNote.ts";
import { Outbox } from "../../src/relays/Outbox.ts";
import type { OutboxStore } from "../../src/relays/OutboxStore.ts";
import { evidenceBody, outboxCases } from "./outboxCases.ts";

const key = generateNoteKey("maos-codex-outbox-test");

describe("Outbox (SQLite, ledger.db)", () => {
  for (const c of outboxCases) {
    test(c.name, async (t) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "maos-outbox-"));
      const file = path.join(dir, "ledger.db");
      const clock = new ManualClock();
      const ledger = Ledger.open({
        path: file,
        signer: newNoteSigner(key.signerKey),
        clock,
        environment: "test",
        origin: "maos-codex/ledger/test",
      });
      const outbox: OutboxStore = Outbox.open(file, clock);
      t.after(() => {
        (outbox as Outbox).close();
        ledger.close();
        rmSync(dir, { recursive: true, force: true });
      });
      await c.run({
        outbox,
        clock,
        queue: async (title, sinks) =>
          ledger.append(
            { eventType: "test.evidence", actor: "system", correlationId: `corr-${title}` },
            { outbox: sinks.map((sink) => ({ sink, body: evidenceBody(title) })) },
          ),
      });
    });
  }
});
