import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import * as sqliteVec from "sqlite-vec";
import { CodexError } from "../core/CodexError.ts";
import type { Embedder } from "./Embedder.ts";
import { KeywordReader } from "./KeywordReader.ts";
import { itemsFromEntry, MEMORY_EVENTS, type MemoryItem } from "./memoryItems.ts";

/** Bump when the tables change: an index of another version is rebuilt, never migrated (it is derived). */
const SCHEMA_VERSION = 1;
/** Reciprocal rank fusion's constant (Cormack et al., 2009). */
const RRF_K = 60;
/** Each ranking contributes this many candidates to the fusion. */
const CANDIDATES = 50;
/** Search results carry this much of an item's text. */
const EXCERPT = 600;
/** Above this many items a keyword search runs on the reader's thread; below it the hand-off costs more than the query. */
const OFF_THREAD_ITEMS = 500;

export interface MemoryHit {
  seq: number;
  kind: MemoryItem["kind"];
  stack: string | null;
  runId: string | null;
  vaultPath: string | null;
  text: string;
  score: number;
  /** Which rankings found it. */
  via: ("keyword" | "vector")[];
}

export interface MemorySearch {
  query: string;
  stack?: string | undefined;
  limit?: number | undefined;
}

export interface SyncReport {
  /** Ledger seq the index is in step with. */
  through: number;
  added: number;
  /** True when the embedder changed (or the schema), and everything was re-derived. */
  rebuilt: boolean;
}

/** FTS5 query text from free text: each word quoted (no operator injection), any word may match (BM25 ranks). */
export function ftsQuery(text: string): string | undefined {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [])].slice(0, 32);
  return words.length > 0 ? words.map((w) => `"${w}"`).join(" OR ") : undefined;
}

/**
 * Memory Pack v1: an index beside the ledger (MAOS_HOME/memory.db), derived from the ledger and the
 * vault and never a source of truth: every item carries its ledger seq and vault path, and `reindex`
 * rebuilds it from them. Keyword search is SQLite FTS5 (BM25); with an embedder, vectors live in a
 * sqlite-vec table and both rankings are fused by reciprocal rank. The embedder's id and dimension are
 * recorded: another model means a rebuild, never a mix of vector spaces.
 */
export class MemoryIndex {
  readonly #db: Database.Database;
  readonly #embedder: Embedder | undefined;
  #dim: number | undefined;
  #rebuildPending = false;
  /** The off-thread keyword search; none for an in-memory index. */
  readonly #reader: KeywordReader | undefined;

  private constructor(db: Database.Database, embedder: Embedder | undefined, file: string) {
    this.#db = db;
    this.#embedder = embedder;
    this.#reader = file === ":memory:" ? undefined : new KeywordReader(file);
  }

  static open(file: string, embedder?: Embedder): MemoryIndex {
    mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    try {
      sqliteVec.load(db);
    } catch (err) {
      // Keyword search needs only FTS5; vectors need the extension.
      if (embedder) {
        db.close();
        throw new CodexError("CONFIG_INVALID", `sqlite-vec could not be loaded: ${(err as Error).message}`, {
          hint: "reinstall dependencies (npm install) on this platform, or unset MAOS_EMBEDDINGS for keyword-only memory",
        });
      }
    }
    const index = new MemoryIndex(db, embedder, file);
    index.#setup();
    return index;
  }

  #meta(key: string): string | undefined {
    return (
      (this.#db.prepare("SELECT value FROM meta WHERE key = ?").pluck().get(key) as string | undefined) ??
      undefined
    );
  }

  #setMeta(key: string, value: string | number | null): void {
    if (value === null) this.#db.prepare("DELETE FROM meta WHERE key = ?").run(key);
    else
      this.#db
        .prepare(
          "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )
        .run(key, String(value));
  }

  #setup(): void {
    const db = this.#db;
    db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const version = Number(this.#meta("schema_version") ?? 0);
    const embedderId = this.#embedder?.id ?? "none";
    if (version !== SCHEMA_VERSION || (this.#meta("embedder") ?? "none") !== embedderId) {
      // Another schema or another vector space: drop everything derived and re-derive on the next sync.
      db.exec("DROP TABLE IF EXISTS items; DROP TABLE IF EXISTS items_fts; DROP TABLE IF EXISTS vec_items");
      this.#rebuildPending = version !== 0;
      this.#setMeta("last_seq", -1);
      this.#setMeta("dim", null);
    }
    db.exec(`
      CREATE TABLE IF NOT EXISTS items (
        id INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL,
        part INTEGER NOT NULL,
        kind TEXT NOT NULL,
        stack TEXT,
        run_id TEXT,
        vault_path TEXT,
        text TEXT NOT NULL,
        UNIQUE (seq, part)
      );
      CREATE INDEX IF NOT EXISTS items_stack ON items (stack);
      CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5(text, content='items', content_rowid='id', tokenize='porter unicode61');
    `);
    this.#setMeta("schema_version", SCHEMA_VERSION);
    this.#setMeta("embedder", embedderId);
    const dim = this.#meta("dim");
    this.#dim = dim === undefined ? undefined : Number(dim);
  }

  /** The recorded embedder and dimension, and how many items the index holds. */
  info(): {
    embedder: string | null;
    label: string | null;
    semantic: boolean;
    dim: number | null;
    items: number;
    through: number;
  } {
    return {
      embedder: this.#embedder?.id ?? null,
      label: this.#embedder?.label ?? null,
      semantic: this.#embedder?.semantic ?? false,
      dim: this.#dim ?? null,
      items: this.#db.prepare("SELECT count(*) FROM items").pluck().get() as number,
      through: this.through(),
    };
  }

  /** The ledger seq the index has read up to (-1: nothing yet). */
  through(): number {
    return Number(this.#meta("last_seq") ?? -1);
  }

  #ensureVec(dim: number): void {
    if (this.#dim === dim) return;
    if (this.#dim !== undefined) {
      throw new CodexError(
        "INTERNAL",
        `the embedder returned ${dim}-dimensional vectors; the index holds ${this.#dim}`,
        {
          hint: "run `maos memory reindex`",
        },
      );
    }
    this.#db.exec(
      `CREATE VIRTUAL TABLE IF NOT EXISTS vec_items USING vec0(embedding float[${dim}] distance_metric=cosine, stack text)`,
    );
    this.#dim = dim;
    this.#setMeta("dim", dim);
  }

  /** Adds items (with their vectors when an embedder is configured); returns how many were new. */
  async add(items: readonly MemoryItem[], through?: number): Promise<number> {
    const vectors =
      this.#embedder && items.length > 0 ? await this.#embedder.embed(items.map((i) => i.text)) : undefined;
    const db = this.#db;
    const insert = db.prepare(
      "INSERT OR IGNORE INTO items (seq, part, kind, stack, run_id, vault_path, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const fts = db.prepare("INSERT INTO items_fts (rowid, text) VALUES (?, ?)");
    if (vectors?.[0]) this.#ensureVec(vectors[0].length);
    const vec = vectors
      ? db.prepare("INSERT INTO vec_items (rowid, embedding, stack) VALUES (?, ?, ?)")
      : undefined;
    let added = 0;
    db.transaction(() => {
      items.forEach((it, i) => {
        const r = insert.run(it.seq, it.part, it.kind, it.stack, it.runId, it.vaultPath, it.text);
        if (r.changes === 0) return;
        added += 1;
        const id = BigInt(r.lastInsertRowid);
        fts.run(id, it.text);
        if (vec && vectors) vec.run(id, vectors[i] as Float32Array, it.stack ?? "");
      });
      if (through !== undefined) this.#setMeta("last_seq", through);
    })();
    return added;
  }

  /**
   * Brings the index in step with the ledger: reads entries after the last one it saw (from a read-only
   * handle on ledger.db) and derives their items from the vault.
   */
  async sync(ledgerPath: string, vaultDir: string): Promise<SyncReport> {
    const rebuilt = this.#rebuildPending;
    this.#rebuildPending = false;
    const ledger = new Database(ledgerPath, { readonly: true, fileMustExist: true });
    let added = 0;
    try {
      const from = this.through();
      const head = ledger.prepare("SELECT max(seq) FROM ledger").pluck().get() as number | null;
      if (head === null || head <= from) return { through: from, added: 0, rebuilt };
      const rows = ledger
        .prepare(
          `SELECT seq, event_type AS eventType, payload FROM ledger WHERE seq > ? AND seq <= ? AND event_type IN (${MEMORY_EVENTS.map(() => "?").join(",")}) ORDER BY seq`,
        )
        .all(from, head, ...MEMORY_EVENTS) as { seq: number; eventType: string; payload: string }[];
      let batch: MemoryItem[] = [];
      for (const row of rows) {
        batch.push(
          ...itemsFromEntry(
            { seq: row.seq, eventType: row.eventType, payload: JSON.parse(row.payload) },
            vaultDir,
          ),
        );
        if (batch.length >= 256) {
          added += await this.add(batch);
          batch = [];
        }
      }
      added += await this.add(batch, head);
      return { through: head, added, rebuilt };
    } finally {
      ledger.close();
    }
  }

  /** Drops every item and re-derives the index from the ledger and the vault. */
  async reindex(ledgerPath: string, vaultDir: string): Promise<SyncReport> {
    this.#db.exec("DELETE FROM items; INSERT INTO items_fts(items_fts) VALUES('delete-all');");
    if (this.#dim !== undefined) this.#db.exec("DROP TABLE IF EXISTS vec_items");
    this.#dim = undefined;
    this.#setMeta("dim", null);
    this.#setMeta("last_seq", -1);
    const r = await this.sync(ledgerPath, vaultDir);
    return { ...r, rebuilt: true };
  }

  async #keyword(q: string, stack: string | undefined, k: number): Promise<number[]> {
    // FTS5's `rank` is BM25; ORDER BY rank LIMIT lets FTS5 keep only the best k instead of sorting all matches.
    const sql = stack
      ? "SELECT items.id FROM items_fts JOIN items ON items.id = items_fts.rowid WHERE items_fts MATCH ? AND items.stack = ? ORDER BY rank LIMIT ?"
      : "SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rank LIMIT ?";
    const params = stack ? [q, stack, k] : [q, k];
    // A large index is searched on the reader's thread (tens to hundreds of ms of BM25); a small one
    // here, where it costs less than the hand-off.
    if (this.#reader && this.#itemCount() > OFF_THREAD_ITEMS) return this.#reader.query(sql, params);
    return this.#db
      .prepare(sql)
      .pluck()
      .all(...params) as number[];
  }

  #itemCount(): number {
    return (this.#db.prepare("SELECT coalesce(max(id), 0) FROM items").pluck().get() as number) ?? 0;
  }

  async #vector(text: string, stack: string | undefined, k: number): Promise<number[]> {
    if (!this.#embedder || this.#dim === undefined) return [];
    const [v] = await this.#embedder.embed([text]);
    if (!v) return [];
    const sql = `SELECT rowid FROM vec_items WHERE embedding MATCH ? AND k = ? ${stack ? "AND stack = ?" : ""} ORDER BY distance`;
    const params = stack ? [v, k, stack] : [v, k];
    return (
      this.#db
        .prepare(sql)
        .pluck()
        .all(...params) as (number | bigint)[]
    ).map(Number);
  }

  /** Keyword (BM25) always; with vectors, both rankings fused by reciprocal rank. */
  async search(s: MemorySearch): Promise<{ mode: "keyword" | "hybrid"; hits: MemoryHit[] }> {
    const limit = s.limit ?? 5;
    const q = ftsQuery(s.query);
    const keyword = q ? await this.#keyword(q, s.stack, Math.max(CANDIDATES, limit)) : [];
    const hybrid = this.#embedder !== undefined && this.#dim !== undefined;
    const vector = hybrid ? await this.#vector(s.query, s.stack, Math.max(CANDIDATES, limit)) : [];
    const fused = new Map<number, { score: number; via: ("keyword" | "vector")[] }>();
    const fuse = (ids: number[], via: "keyword" | "vector") =>
      ids.forEach((id, rank) => {
        const f = fused.get(id) ?? { score: 0, via: [] };
        f.score += 1 / (RRF_K + rank + 1);
        f.via.push(via);
        fused.set(id, f);
      });
    fuse(keyword, "keyword");
    fuse(vector, "vector");
    const top = [...fused.entries()].sort((a, b) => b[1].score - a[1].score || a[0] - b[0]).slice(0, limit);
    const get = this.#db.prepare(
      "SELECT seq, kind, stack, run_id AS runId, vault_path AS vaultPath, text FROM items WHERE id = ?",
    );
    const hits = top.map(([id, f]) => {
      const row = get.get(id) as Omit<MemoryHit, "score" | "via">;
      return {
        ...row,
        text: row.text.length > EXCERPT ? `${row.text.slice(0, EXCERPT)}…` : row.text,
        score: Number(f.score.toFixed(6)),
        via: f.via,
      };
    });
    return { mode: hybrid ? "hybrid" : "keyword", hits };
  }

  /** A stack's lessons, newest first, each with its ledger seq. */
  lessons(stack: string, limit = 20): { seq: number; runId: string | null; text: string }[] {
    return this.#db
      .prepare(
        "SELECT seq, run_id AS runId, text FROM items WHERE kind = 'lesson' AND stack = ? ORDER BY seq DESC, part LIMIT ?",
      )
      .all(stack, limit) as { seq: number; runId: string | null; text: string }[];
  }

  close(): void {
    this.#reader?.close();
    if (this.#db.open) this.#db.close();
  }
}
