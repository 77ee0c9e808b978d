/**
 * Shared by the relay tests: the Notion and Teamwork fakes on loopback with an "MAOS Activation Ledger"
 * data source already made (as `maos notion setup` makes it), and the environment that points the app
 * at them.
 */

import type { Ledger, LedgerAppend } from "../../src/ledger/Ledger.ts";
import { evidenceRecords } from "../../src/relays/evidenceRecord.ts";
import { activationLedgerProperties } from "../../src/relays/notion/activationLedgerSchema.ts";
import { type FakeDataSource, type FakeNotion, startFakeNotion } from "../fakes/notionServer.ts";
import { type FakeTeamwork, startFakeTeamwork } from "../fakes/teamworkServer.ts";

export const NOTION_TOKEN = "ntn_relaytests0123456789abcdefghijklmnopqrstuv";
export const TEAMWORK_KEY = "twk_relaytests_0123456789";
export const TASKLIST_ID = 4242;

export interface RelayFakes {
  notion: FakeNotion;
  teamwork: FakeTeamwork;
  ledgerDs: FakeDataSource;
  env: Record<string, string>;
  /** Every request either fake saw that broke its vendor spec. */
  problems(): string[];
  close(): Promise<void>;
}

export async function startRelayFakes(): Promise<RelayFakes> {
  const notion = await startFakeNotion({ token: NOTION_TOKEN });
  const teamwork = await startFakeTeamwork({ apiKey: TEAMWORK_KEY, tasklistId: TASKLIST_ID });
  const schema: Record<string, string> = {};
  for (const [name, def] of Object.entries(activationLedgerProperties()))
    schema[name] = Object.keys(def)[0] as string;
  const ledgerDs = notion.addDataSource({ name: "MAOS Activation Ledger", schema });
  return {
    notion,
    teamwork,
    ledgerDs,
    env: {
      NOTION_TOKEN,
      NOTION_BASE_URL: notion.url,
      NOTION_LEDGER_DATA_SOURCE_ID: ledgerDs.id,
      TEAMWORK_SITE: teamwork.url,
      TEAMWORK_API_KEY: TEAMWORK_KEY,
      TEAMWORK_TASKLIST_ID: String(TASKLIST_ID),
    },
    problems: () => [...notion.problems(), ...teamwork.problems()],
    async close() {
      await notion.close();
      await teamwork.close();
    },
  };
}

/** Evidence IDs of the pages in the ledger data source (the outbox key each page carries). */
export function pageKeys(fakes: RelayFakes): string[] {
  return fakes.notion.pagesIn(fakes.ledgerDs.id).map((p) => {
    const v = p.properties["Evidence ID"] as { rich_text: { text: { content: string } }[] };
    return v.rich_text.map((t) => t.text.content).join("");
  });
}

/** Every evidence marker Teamwork holds: task descriptions and comments. */
export function teamworkKeys(fakes: RelayFakes): string[] {
  const keys: string[] = [];
  for (const t of fakes.teamwork.tasks) {
    for (const text of [t.description ?? "", ...t.comments.map((c) => c.body)]) {
      const m = /Evidence ID: (\S+)/.exec(text);
      if (m) keys.push(m[1] as string);
    }
  }
  return keys;
}

/** A causing entry for evidence published by hand in a test (the kernel passes ACTIVATION_STARTED etc.). */
export function testCause(correlationId: string, payload: Record<string, unknown> = {}): LedgerAppend {
  return { eventType: "TEST_EVIDENCE", level: "info", actor: "system", correlationId, payload };
}

/** Every outbox key the ledger records: each causing entry lists the keys of the items it queued. */
export function queuedKeys(ledger: Pick<Ledger, "query">): string[] {
  return ledger
    .query()
    .flatMap((e) => evidenceRecords(e))
    .flatMap((r) => (r.key ? [r.key] : []));
}
