import { utcIso } from "../../../core/timestamps.ts";
import type { ClientRow } from "../../tables/clients.ts";
import { inTransaction, type PgTableDeps, q } from "./pgTable.ts";

/** `clients` on PostgreSQL: the MASTER CLIENT OPERATIONAL MATRIX as last synced from Notion. */
export class PgClients {
  readonly #t: PgTableDeps;

  constructor(t: PgTableDeps) {
    this.#t = t;
  }

  /**
   * Replaces the synced client matrix in one transaction: rows gone from Notion are gone here too. The
   * table lock (which readers pass) makes two replicas' syncs take turns instead of colliding on a key.
   */
  async replace(
    rows: readonly { key: string; name: string; pageId: string; record: unknown }[],
  ): Promise<void> {
    const at = utcIso(this.#t.clock.now());
    await inTransaction(this.#t, async (c) => {
      await c.query("LOCK TABLE clients IN SHARE ROW EXCLUSIVE MODE");
      await c.query("DELETE FROM clients");
      if (rows.length === 0) return;
      await c.query(
        "INSERT INTO clients (key, name, page_id, record, synced_at) SELECT k, n, p, r, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(k, n, p, r)",
        [
          rows.map((r) => r.key),
          rows.map((r) => r.name),
          rows.map((r) => r.pageId),
          rows.map((r) => JSON.stringify(r.record)),
          at,
        ],
      );
    });
  }

  async list<T = unknown>(): Promise<ClientRow<T>[]> {
    const r = await q<{
      key: string;
      name: string;
      page_id: string;
      record: string;
      synced_at: string;
    }>(this.#t, 'SELECT key, name, page_id, record, synced_at FROM clients ORDER BY name COLLATE "C"');
    return r.rows.map((row) => ({
      key: row.key,
      name: row.name,
      pageId: row.page_id,
      record: JSON.parse(row.record) as T,
      syncedAt: row.synced_at,
    }));
  }
}
