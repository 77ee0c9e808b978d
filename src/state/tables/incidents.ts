import { utcIso } from "../../core/timestamps.ts";
import type { TableDeps } from "./table.ts";

export type IncidentStatus = "open" | "resolved";

/** A governance incident as stored; `report` is the JSON the incident service wrote. */
export interface IncidentRow {
  n: number;
  id: string;
  trigger: string;
  summary: string;
  report: unknown;
  correlationId: string;
  approvalId: string | undefined;
  status: IncidentStatus;
  openedBy: string;
  openedAt: string;
  openedSeq: number;
  resolution: string | undefined;
  resolvedBy: string | undefined;
  resolvedAt: string | undefined;
}

export interface NewIncident {
  trigger: string;
  summary: string;
  report: unknown;
  correlationId: string;
  openedBy: string;
  openedSeq: number;
}

interface IncidentDbRow {
  n: number;
  id: string;
  trigger: string;
  summary: string;
  report: string;
  correlation_id: string;
  approval_id: string | null;
  status: IncidentStatus;
  opened_by: string;
  opened_at: string;
  opened_seq: number;
  resolution: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
}

/** `incidents`: governance incidents, `INC-<n>`, open until resolved. */
export class Incidents {
  readonly #t: TableDeps;

  constructor(t: TableDeps) {
    this.#t = t;
  }

  /** Stores a new open incident as `INC-<n>` (n counting from 1, never reused). */
  insert(i: NewIncident): IncidentRow {
    const { db, clock } = this.#t;
    const openedAt = utcIso(clock.now());
    const id = db.transaction(() => {
      const info = db
        .prepare(
          `INSERT INTO incidents (id, trigger, summary, report, correlation_id, status, opened_by, opened_at, opened_seq)
           VALUES ('pending', ?, ?, ?, ?, 'open', ?, ?, ?)`,
        )
        .run(
          i.trigger,
          i.summary,
          JSON.stringify(i.report),
          i.correlationId,
          i.openedBy,
          openedAt,
          i.openedSeq,
        );
      const incidentId = `INC-${info.lastInsertRowid}`;
      db.prepare("UPDATE incidents SET id = ? WHERE n = ?").run(incidentId, info.lastInsertRowid);
      return incidentId;
    })();
    return this.get(id) as IncidentRow;
  }

  get(id: string): IncidentRow | undefined {
    const row = this.#t.db.prepare("SELECT * FROM incidents WHERE id = ?").get(id) as
      | IncidentDbRow
      | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Incidents, newest first, optionally only those in one status. */
  list(opts: { status?: IncidentStatus; limit?: number } = {}): IncidentRow[] {
    const { db } = this.#t;
    const limit = opts.limit ?? 100;
    const rows = (
      opts.status
        ? db
            .prepare("SELECT * FROM incidents WHERE status = ? ORDER BY n DESC LIMIT ?")
            .all(opts.status, limit)
        : db.prepare("SELECT * FROM incidents ORDER BY n DESC LIMIT ?").all(limit)
    ) as IncidentDbRow[];
    return rows.map(fromRow);
  }

  /** The seq of the incident's INCIDENT_OPENED ledger entry, written once it exists. */
  setOpenedSeq(id: string, seq: number): void {
    this.#t.db.prepare("UPDATE incidents SET opened_seq = ? WHERE id = ?").run(seq, id);
  }

  setApproval(id: string, approvalId: string): void {
    this.#t.db.prepare("UPDATE incidents SET approval_id = ? WHERE id = ?").run(approvalId, id);
  }

  /** Records the resolution once: false when the incident was already resolved (a compare-and-set). */
  resolve(id: string, resolution: string, by: string): boolean {
    return (
      this.#t.db
        .prepare(
          "UPDATE incidents SET status = 'resolved', resolution = ?, resolved_by = ?, resolved_at = ? WHERE id = ? AND status = 'open'",
        )
        .run(resolution, by, utcIso(this.#t.clock.now()), id).changes === 1
    );
  }
}

function fromRow(r: IncidentDbRow): IncidentRow {
  return {
    n: r.n,
    id: r.id,
    trigger: r.trigger,
    summary: r.summary,
    report: JSON.parse(r.report) as unknown,
    correlationId: r.correlation_id,
    approvalId: r.approval_id ?? undefined,
    status: r.status,
    openedBy: r.opened_by,
    openedAt: r.opened_at,
    openedSeq: r.opened_seq,
    resolution: r.resolution ?? undefined,
    resolvedBy: r.resolved_by ?? undefined,
    resolvedAt: r.resolved_at ?? undefined,
  };
}
