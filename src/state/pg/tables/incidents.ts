import { utcIso } from "../../../core/timestamps.ts";
import type { IncidentRow, IncidentStatus, NewIncident } from "../../tables/incidents.ts";
import { num, type PgTableDeps, q } from "./pgTable.ts";

interface IncidentDbRow {
  n: string;
  id: string;
  trigger: string;
  summary: string;
  report: string;
  correlation_id: string;
  approval_id: string | null;
  status: IncidentStatus;
  opened_by: string;
  opened_at: string;
  opened_seq: string;
  resolution: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
}

/** `incidents` on PostgreSQL: governance incidents, `INC-<n>`, open until resolved. */
export class PgIncidents {
  readonly #t: PgTableDeps;

  constructor(t: PgTableDeps) {
    this.#t = t;
  }

  /** Stores a new open incident as `INC-<n>`: one statement, n from the table's sequence (never reused). */
  async insert(i: NewIncident): Promise<IncidentRow> {
    const r = await q<IncidentDbRow>(
      this.#t,
      `WITH s AS (SELECT nextval(pg_get_serial_sequence('incidents', 'n')) AS n)
       INSERT INTO incidents (n, id, trigger, summary, report, correlation_id, status, opened_by, opened_at, opened_seq)
       SELECT s.n, 'INC-' || s.n, $1, $2, $3, $4, 'open', $5, $6, $7 FROM s
       RETURNING *`,
      [
        i.trigger,
        i.summary,
        JSON.stringify(i.report),
        i.correlationId,
        i.openedBy,
        utcIso(this.#t.clock.now()),
        i.openedSeq,
      ],
    );
    return fromRow(r.rows[0] as IncidentDbRow);
  }

  async get(id: string): Promise<IncidentRow | undefined> {
    const r = await q<IncidentDbRow>(this.#t, "SELECT * FROM incidents WHERE id = $1", [id]);
    return r.rows[0] ? fromRow(r.rows[0]) : undefined;
  }

  /** Incidents, newest first, optionally only those in one status. */
  async list(opts: { status?: IncidentStatus; limit?: number } = {}): Promise<IncidentRow[]> {
    const limit = opts.limit ?? 100;
    const r = await (opts.status
      ? q<IncidentDbRow>(this.#t, "SELECT * FROM incidents WHERE status = $1 ORDER BY n DESC LIMIT $2", [
          opts.status,
          limit,
        ])
      : q<IncidentDbRow>(this.#t, "SELECT * FROM incidents ORDER BY n DESC LIMIT $1", [limit]));
    return r.rows.map(fromRow);
  }

  /** The seq of the incident's INCIDENT_OPENED ledger entry, written once it exists. */
  async setOpenedSeq(id: string, seq: number): Promise<void> {
    await q(this.#t, "UPDATE incidents SET opened_seq = $1 WHERE id = $2", [seq, id]);
  }

  async setApproval(id: string, approvalId: string): Promise<void> {
    await q(this.#t, "UPDATE incidents SET approval_id = $1 WHERE id = $2", [approvalId, id]);
  }

  /** Records the resolution once: false when it was already resolved (a compare-and-set, one across replicas). */
  async resolve(id: string, resolution: string, by: string): Promise<boolean> {
    const r = await q(
      this.#t,
      "UPDATE incidents SET status = 'resolved', resolution = $1, resolved_by = $2, resolved_at = $3 WHERE id = $4 AND status = 'open'",
      [resolution, by, utcIso(this.#t.clock.now()), id],
    );
    return r.rowCount === 1;
  }
}

function fromRow(r: IncidentDbRow): IncidentRow {
  return {
    n: num(r.n),
    id: r.id,
    trigger: r.trigger,
    summary: r.summary,
    report: JSON.parse(r.report) as unknown,
    correlationId: r.correlation_id,
    approvalId: r.approval_id ?? undefined,
    status: r.status,
    openedBy: r.opened_by,
    openedAt: r.opened_at,
    openedSeq: num(r.opened_seq),
    resolution: r.resolution ?? undefined,
    resolvedBy: r.resolved_by ?? undefined,
    resolvedAt: r.resolved_at ?? undefined,
  };
}
