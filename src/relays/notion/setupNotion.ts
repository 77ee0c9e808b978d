import type { Client } from "@notionhq/client";
import type { Clock } from "../../core/clock.ts";
import type { LedgerHandle } from "../../ledger/LedgerHandle.ts";

/** What setting Notion up uses: the shared client, the clock and the ledger it records to. */
interface NotionSetupDeps {
  readonly clock: Clock;
  notion(): Client | undefined;
  ledger(): LedgerHandle;
}

import { type Actor, actorIdentity } from "../../core/Actor.ts";
import { CodexError } from "../../core/CodexError.ts";
import { ACTIVATION_LEDGER_TITLE, activationLedgerProperties } from "./activationLedgerSchema.ts";
import { richText } from "./markdownBlocks.ts";
import { notionDeliveryError } from "./notionError.ts";

export interface NotionSetupResult {
  databaseId: string;
  dataSourceId: string;
  parentPageId: string;
  /** The lines to put in the environment (.env). */
  env: string[];
}

/** A page id from a bare id (with or without dashes) or a Notion page URL. */
export function parsePageId(raw: string): string {
  const hex = /([0-9a-f]{32})(?:[?#].*)?$/i.exec(raw.replaceAll("-", ""))?.[1];
  if (!hex) {
    throw new CodexError("USAGE", `"${raw}" is not a Notion page id or page URL`, {
      hint: "copy the parent page's link (••• → Copy link) or its 32-hex-digit id",
    });
  }
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * `maos notion setup --parent PAGE_ID`: creates the "MAOS Activation Ledger" database under the parent
 * page (which must be shared with the integration) with the relay's typed properties, records it in the
 * ledger, and returns the ids to put in the environment.
 */
export async function setupNotion(
  app: NotionSetupDeps,
  parent: string,
  actor: Actor,
): Promise<NotionSetupResult> {
  const client = app.notion();
  if (!client) {
    throw new CodexError("CONFIG_INVALID", "NOTION_TOKEN is not set", {
      hint: "create an internal integration at https://www.notion.so/my-integrations and put its secret in NOTION_TOKEN",
    });
  }
  const parentPageId = parsePageId(parent);
  let db: { id: string; data_sources?: { id: string; name: string }[] };
  try {
    db = (await client.databases.create({
      parent: { type: "page_id", page_id: parentPageId },
      title: richText(ACTIVATION_LEDGER_TITLE),
      initial_data_source: { properties: activationLedgerProperties() as never },
    } as never)) as typeof db;
  } catch (err) {
    const e = notionDeliveryError(err, "databases.create", app.clock.now().getTime());
    throw new CodexError(
      "CONFIG_INVALID",
      `could not create the ${ACTIVATION_LEDGER_TITLE} database: ${e.message}`,
      {
        hint:
          e.status === 404
            ? "share the parent page with the integration (••• → Connections → your integration), then run this again"
            : (e.hint ?? "check NOTION_TOKEN and the parent page id"),
        cause: err,
      },
    );
  }
  const dataSourceId = db.data_sources?.[0]?.id;
  if (!dataSourceId) {
    throw new CodexError("INTERNAL", "Notion created the database but named no data source", {
      hint: "open the database in Notion, copy its data source id (••• → Copy data source ID) into NOTION_LEDGER_DATA_SOURCE_ID",
    });
  }
  await app.ledger().append({
    eventType: "NOTION_SETUP",
    level: "info",
    actor: actorIdentity(actor),
    correlationId: `notion-setup-${dataSourceId}`,
    payload: { title: ACTIVATION_LEDGER_TITLE, databaseId: db.id, dataSourceId, parentPageId },
  });
  return {
    databaseId: db.id,
    dataSourceId,
    parentPageId,
    env: [`NOTION_LEDGER_DATA_SOURCE_ID=${dataSourceId}`],
  };
}
