import { CodexError } from "../../core/CodexError.ts";
import { utcIso } from "../../core/timestamps.ts";
import type { TableDeps } from "./table.ts";

export type ApprovalStatus = "open" | "approved" | "rejected" | "consumed";

/** One approval request as stored. `decidedBy*` describe the decision currently in force, if any. */
export interface ApprovalRecord {
  id: string;
  kind: string;
  subjectId: string;
  /** actorIdentity() of the requester, as written to the ledger. */
  requestedBy: string;
  /** `source:id` of the requester, for the self-approval rule. */
  requestedByKey: string;
  prompt: string;
  correlationId: string;
  channel: string | undefined;
  ts: string | undefined;
  status: ApprovalStatus;
  decidedBy: string | undefined;
  decidedByKey: string | undefined;
  decidedVia: string | undefined;
  createdAt: string;
  decidedAt: string | undefined;
  consumedAt: string | undefined;
}

export interface NewApproval {
  kind: string;
  subjectId: string;
  requestedBy: string;
  requestedByKey: string;
  prompt: string;
  correlationId?: string;
  channel?: string | undefined;
  ts?: string | undefined;
}

/** A row of `approvals` as the database returns it (both backends). */
export interface ApprovalRow {
  id: string;
  kind: string;
  subject_id: string;
  requested_by: string;
  requested_by_key: string;
  prompt: string;
  correlation_id: string;
  channel: string | null;
  ts: string | null;
  status: ApprovalStatus;
  decided_by: string | null;
  decided_by_key: string | null;
  decided_via: string | null;
  created_at: string;
  decided_at: string | null;
  consumed_at: string | null;
}

/** `approvals` and `approval_messages`: approval requests, their decisions, the messages carrying their buttons. */
export class Approvals {
  readonly #t: TableDeps;

  constructor(t: TableDeps) {
    this.#t = t;
  }

  /** Stores a new open request and returns it with its id (`APR-<n>`, n counting from 1). */
  insert(a: NewApproval): ApprovalRecord {
    const { db, clock } = this.#t;
    const createdAt = utcIso(clock.now());
    const insert = db.transaction(() => {
      // AUTOINCREMENT never reuses a number, so an id is never given twice.
      const info = db
        .prepare(
          `INSERT INTO approvals (id, kind, subject_id, requested_by, requested_by_key, prompt, correlation_id,
             channel, ts, status, created_at)
           VALUES ('pending', ?, ?, ?, ?, ?, '', ?, ?, 'open', ?)`,
        )
        .run(
          a.kind,
          a.subjectId,
          a.requestedBy,
          a.requestedByKey,
          a.prompt,
          a.channel ?? null,
          a.ts ?? null,
          createdAt,
        );
      const id = `APR-${info.lastInsertRowid}`;
      db.prepare("UPDATE approvals SET id = ?, correlation_id = ? WHERE n = ?").run(
        id,
        a.correlationId ?? id,
        info.lastInsertRowid,
      );
      return id;
    });
    return this.#mustGet(insert());
  }

  get(id: string): ApprovalRecord | undefined {
    const row = this.#t.db.prepare("SELECT * FROM approvals WHERE id = ?").get(id) as ApprovalRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  findByMessage(channel: string, ts: string): ApprovalRecord | undefined {
    const { db } = this.#t;
    const row = db.prepare("SELECT * FROM approvals WHERE channel = ? AND ts = ?").get(channel, ts) as
      | ApprovalRow
      | undefined;
    if (row) return fromRow(row);
    const extra = db
      .prepare("SELECT approval_id FROM approval_messages WHERE channel = ? AND ts = ?")
      .get(channel, ts) as { approval_id: string } | undefined;
    return extra ? this.get(extra.approval_id) : undefined;
  }

  /** Another message carrying an approval's buttons (a command's reply beside the signals post). */
  addMessage(id: string, channel: string, ts: string): void {
    this.#t.db
      .prepare("INSERT OR IGNORE INTO approval_messages (channel, ts, approval_id) VALUES (?, ?, ?)")
      .run(channel, ts, id);
  }

  /** Every message that carries an approval's buttons: its first, then the others. */
  messages(id: string): { channel: string; ts: string }[] {
    const a = this.get(id);
    const first = a?.channel && a.ts ? [{ channel: a.channel, ts: a.ts }] : [];
    const more = this.#t.db
      .prepare("SELECT channel, ts FROM approval_messages WHERE approval_id = ? ORDER BY rowid")
      .all(id) as { channel: string; ts: string }[];
    return [...first, ...more];
  }

  /** Requests in a status (all when omitted), newest first. */
  list(opts: { status?: ApprovalStatus; limit?: number } = {}): ApprovalRecord[] {
    const { db } = this.#t;
    const limit = opts.limit ?? 100;
    const rows = (
      opts.status
        ? db
            .prepare("SELECT * FROM approvals WHERE status = ? ORDER BY n DESC LIMIT ?")
            .all(opts.status, limit)
        : db.prepare("SELECT * FROM approvals ORDER BY n DESC LIMIT ?").all(limit)
    ) as ApprovalRow[];
    return rows.map(fromRow);
  }

  /** The approval's own message (the one whose reactions count first). */
  attachMessage(id: string, channel: string, ts: string): ApprovalRecord {
    this.#t.db.prepare("UPDATE approvals SET channel = ?, ts = ? WHERE id = ?").run(channel, ts, id);
    return this.#mustGet(id);
  }

  /**
   * Moves a request from `from` to `to` only if it is still in `from` (a compare-and-set, so two
   * deciders cannot both win). Returns the updated record, or undefined when the status had moved on.
   */
  transition(
    id: string,
    from: ApprovalStatus,
    to: ApprovalStatus,
    decision: { by?: string; byKey?: string; via?: string } = {},
  ): ApprovalRecord | undefined {
    const { db, clock } = this.#t;
    const now = utcIso(clock.now());
    let changes: number;
    if (to === "open") {
      changes = db
        .prepare(
          "UPDATE approvals SET status = 'open', decided_by = NULL, decided_by_key = NULL, decided_via = NULL, decided_at = NULL WHERE id = ? AND status = ?",
        )
        .run(id, from).changes;
    } else if (to === "consumed") {
      changes = db
        .prepare("UPDATE approvals SET status = 'consumed', consumed_at = ? WHERE id = ? AND status = ?")
        .run(now, id, from).changes;
    } else {
      changes = db
        .prepare(
          "UPDATE approvals SET status = ?, decided_by = ?, decided_by_key = ?, decided_via = ?, decided_at = ? WHERE id = ? AND status = ?",
        )
        .run(to, decision.by ?? null, decision.byKey ?? null, decision.via ?? null, now, id, from).changes;
    }
    return changes === 1 ? this.#mustGet(id) : undefined;
  }

  #mustGet(id: string): ApprovalRecord {
    const a = this.get(id);
    if (!a) {
      throw new CodexError("NOT_FOUND", `approval ${id} does not exist`, {
        hint: "list open approvals with /codex status, or check the id",
      });
    }
    return a;
  }
}

export function fromRow(r: ApprovalRow): ApprovalRecord {
  return {
    id: r.id,
    kind: r.kind,
    subjectId: r.subject_id,
    requestedBy: r.requested_by,
    requestedByKey: r.requested_by_key,
    prompt: r.prompt,
    correlationId: r.correlation_id,
    channel: r.channel ?? undefined,
    ts: r.ts ?? undefined,
    status: r.status,
    decidedBy: r.decided_by ?? undefined,
    decidedByKey: r.decided_by_key ?? undefined,
    decidedVia: r.decided_via ?? undefined,
    createdAt: r.created_at,
    decidedAt: r.decided_at ?? undefined,
    consumedAt: r.consumed_at ?? undefined,
  };
}
