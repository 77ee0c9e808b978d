import { scrubValues } from "../core/scrubValues.ts";
import type { EvidenceDraft, EvidenceItem } from "./EvidencePublisher.ts";

export const SINKS = ["slack", "notion", "teamwork"] as const;
export type SinkName = (typeof SINKS)[number];

/** An evidence item as a sink gets it: JSON, time as ISO text, secrets already scrubbed. */
export type StoredEvidenceItem = Omit<EvidenceItem, "occurredAt"> & { occurredAt: string };

/**
 * An item as the outbox row stores it: without `ledgerSeq`, which is the row's `ledger_seq` (the
 * causing entry, written in the same transaction, so its seq is not known when the body is made).
 */
export type QueuedEvidenceItem = Omit<StoredEvidenceItem, "ledgerSeq">;

/** One outbox row's body: the item and what every sink needs to deliver it idempotently. */
export interface EvidenceBody {
  v: 1;
  /** The idempotency key each sink writes beside the item (Notion "Evidence ID", a Teamwork marker). */
  key: string;
  environment: string;
  /** The seal version in force when it was queued: names the Teamwork task when the item has none. */
  sealVersion: string;
  item: StoredEvidenceItem;
  /**
   * The newest signed ledger checkpoint (C2SP note text) covering the item's entry, attached at delivery
   * (never stored in the row): every sink keeps a copy the ledger file cannot take back with it, which an
   * auditor can later pass to `maos ledger verify --checkpoint`.
   */
  checkpoint?: string;
}

/** The body as stored in the row. */
export type QueuedEvidenceBody = Omit<EvidenceBody, "item" | "checkpoint"> & { item: QueuedEvidenceItem };

/** The checkpoint note's size and root lines (the tree it signs). */
function noteFacts(note: string): { size: string; root: string } {
  const lines = note.split("\n");
  return { size: lines[1] ?? "?", root: lines[2] ?? "?" };
}

/** One line naming the checkpoint, for messages people act on (the note itself goes in the metadata). */
export function checkpointLine(note: string): string {
  const { size, root } = noteFacts(note);
  return `🔏 Signed ledger checkpoint: size ${size}, root \`${root.slice(0, 12)}…\` (the whole note is in this message's metadata; \`maos ledger checkpoint\` prints the latest)`;
}

/** Slack message metadata carrying the signed note verbatim, so Slack keeps a copy an auditor can read back. */
export function checkpointMetadata(note: string): {
  event_type: string;
  event_payload: { size: number; note: string };
} {
  return {
    event_type: "maos_ledger_checkpoint",
    event_payload: { size: Number(noteFacts(note).size), note },
  };
}

/** The checkpoint as sinks show it: a heading line, then the signed note verbatim (its bytes are what is signed). */
export function checkpointMarkdown(note: string): string {
  const { size } = noteFacts(note);
  return `Signed ledger checkpoint (size ${size}); save it as a file to check the ledger later with \`maos ledger verify --checkpoint FILE\`:\n\`\`\`\n${note.trimEnd()}\n\`\`\``;
}

/** Every string in `value`, deep, with each known secret value replaced; shapes are kept. */
export function scrubDeep<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return scrubValues(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object" && !(v instanceof Date)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}

export function storeItem(item: EvidenceDraft, secrets: readonly string[]): QueuedEvidenceItem {
  const { occurredAt, ...rest } = item;
  return scrubDeep({ ...rest, occurredAt: occurredAt.toISOString() }, secrets);
}

/**
 * A row's body with its item's `ledgerSeq` filled from the row's `ledgerSeq`. Rows queued before the
 * causing entry carried its rows (beside an EVIDENCE_QUEUED entry) hold their own `ledgerSeq`: it wins.
 */
export function parseBody(text: string, ledgerSeq: number): EvidenceBody {
  const body = JSON.parse(text) as QueuedEvidenceBody & { item: { ledgerSeq?: unknown } };
  if (body?.v !== 1 || typeof body.key !== "string" || typeof body.item !== "object" || body.item === null) {
    throw new Error("not a version 1 evidence body");
  }
  const own = body.item.ledgerSeq;
  return { ...body, item: { ...body.item, ledgerSeq: typeof own === "number" ? own : ledgerSeq } };
}
