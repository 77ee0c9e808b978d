import { CodexError } from "../../../core/CodexError.ts";
import { utcIso } from "../../../core/timestamps.ts";
import {
  type ApprovalRecord,
  type ApprovalRow,
  type ApprovalStatus,
  fromRow,
  type NewApproval,
} from "../../tables/approvals.ts";
import { type PgTableDeps, q } from "./pgTable.ts";

/**
 * `approvals` and `approval_messages` on PostgreSQL. Every decision is one conditional UPDATE
 * (`WHERE status = from … RETURNING`): of two replicas deciding the same request at once, the second
 * waits for the first's row lock, finds the status moved on, and loses.
 */
export class PgApprovals {
  readonly #t: PgTableDeps;

  constructor(t: PgTableDeps) {
    this.#t = t;
  }

  /** Stores a new open request as `APR-<n>`: one statement, n from the table's sequence (never reused). */
  async insert(a: NewApproval): Promise<ApprovalRecord> {
    const r = await q<ApprovalRow>(
      this.#t,
      `WITH s AS (SELECT nextval(pg_get_serial_sequence('approvals', 'n')) AS n)
       INSERT INTO approvals (n, id, kind, subject_id, requested_by, requested_by_key, prompt, correlation_id,
         channel, ts, status, created_at)
       SELECT s.n, 'APR-' || s.n, $1, $2, $3, $4, $5, COALESCE($6, 'APR-' || s.n), $7, $8, 'open', $9 FROM s
       RETURNING *`,
      [
        a.kind,
        a.subjectId,
        a.requestedBy,
        a.requestedByKey,
        a.prompt,
        a.correlationId ?? null,
        a.channel ?? null,
        a.ts ?? null,
        utcIso(this.#t.clock.now()),
      ],
    );
    return fromRow(r.rows[0] as ApprovalRow);
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const r = await q<ApprovalRow>(this.#t, "SELECT * FROM approvals WHERE id = $1", [id]);
    return r.rows[0] ? fromRow(r.rows[0]) : undefined;
  }

  async findByMessage(channel: string, ts: string): Promise<ApprovalRecord | undefined> {
    const own = await q<ApprovalRow>(this.#t, "SELECT * FROM approvals WHERE channel = $1 AND ts = $2", [
      channel,
      ts,
    ]);
    if (own.rows[0]) return fromRow(own.rows[0]);
    const extra = await q<ApprovalRow>(
      this.#t,
      "SELECT a.* FROM approval_messages m JOIN approvals a ON a.id = m.approval_id WHERE m.channel = $1 AND m.ts = $2",
      [channel, ts],
    );
    return extra.rows[0] ? fromRow(extra.rows[0]) : undefined;
  }

  /** Another message carrying an approval's buttons (a command's reply beside the signals post). */
  async addMessage(id: string, channel: string, ts: string): Promise<void> {
    await q(
      this.#t,
      "INSERT INTO approval_messages (channel, ts, approval_id) VALUES ($1, $2, $3) ON CONFLICT (channel, ts) DO NOTHING",
      [channel, ts, id],
    );
  }

  /** Every message that carries an approval's buttons: its first, then the others (one snapshot). */
  async messages(id: string): Promise<{ channel: string; ts: string }[]> {
    const r = await q<{ channel: string; ts: string }>(
      this.#t,
      `SELECT channel, ts FROM (
         SELECT channel, ts, 0 AS o, 0::bigint AS n FROM approvals
           WHERE id = $1 AND channel IS NOT NULL AND channel <> '' AND ts IS NOT NULL AND ts <> ''
         UNION ALL
         SELECT channel, ts, 1 AS o, n FROM approval_messages WHERE approval_id = $1
       ) m ORDER BY o, n`,
      [id],
    );
    return r.rows;
  }

  /** Requests in a status (all when omitted), newest first. */
  async list(opts: { status?: ApprovalStatus; limit?: number } = {}): Promise<ApprovalRecord[]> {
    const limit = opts.limit ?? 100;
    const r = await (opts.status
      ? q<ApprovalRow>(this.#t, "SELECT * FROM approvals WHERE status = $1 ORDER BY n DESC LIMIT $2", [
          opts.status,
          limit,
        ])
      : q<ApprovalRow>(this.#t, "SELECT * FROM approvals ORDER BY n DESC LIMIT $1", [limit]));
    return r.rows.map(fromRow);
  }

  /** The approval's own message (the one whose reactions count first). */
  async attachMessage(id: string, channel: string, ts: string): Promise<ApprovalRecord> {
    const r = await q<ApprovalRow>(
      this.#t,
      "UPDATE approvals SET channel = $1, ts = $2 WHERE id = $3 RETURNING *",
      [channel, ts, id],
    );
    if (!r.rows[0]) throw notFound(id);
    return fromRow(r.rows[0]);
  }

  /**
   * Moves a request from `from` to `to` only if it is still in `from` (a compare-and-set, so two
   * deciders, on any replicas, cannot both win). The updated record, or undefined when the status had moved on.
   */
  async transition(
    id: string,
    from: ApprovalStatus,
    to: ApprovalStatus,
    decision: { by?: string; byKey?: string; via?: string } = {},
  ): Promise<ApprovalRecord | undefined> {
    const now = utcIso(this.#t.clock.now());
    const r = await (to === "open"
      ? q<ApprovalRow>(
          this.#t,
          "UPDATE approvals SET status = 'open', decided_by = NULL, decided_by_key = NULL, decided_via = NULL, decided_at = NULL WHERE id = $1 AND status = $2 RETURNING *",
          [id, from],
        )
      : to === "consumed"
        ? q<ApprovalRow>(
            this.#t,
            "UPDATE approvals SET status = 'consumed', consumed_at = $1 WHERE id = $2 AND status = $3 RETURNING *",
            [now, id, from],
          )
        : q<ApprovalRow>(
            this.#t,
            "UPDATE approvals SET status = $1, decided_by = $2, decided_by_key = $3, decided_via = $4, decided_at = $5 WHERE id = $6 AND status = $7 RETURNING *",
            [to, decision.by ?? null, decision.byKey ?? null, decision.via ?? null, now, id, from],
          ));
    return r.rows[0] ? fromRow(r.rows[0]) : undefined;
  }
}

function notFound(id: string): CodexError {
  return new CodexError("NOT_FOUND", `approval ${id} does not exist`, {
    hint: "list open approvals with /codex status, or check the id",
  });
}
