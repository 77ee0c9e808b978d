import type { EvidenceItem } from "../autonomy/EvidencePublisher.ts";
import { scrubValues } from "../core/scrubValues.ts";

export const SINKS = ["slack", "notion", "teamwork"] as const;
export type SinkName = (typeof SINKS)[number];

/** An evidence item as the outbox stores it: JSON, time as ISO text, secrets already scrubbed. */
export type StoredEvidenceItem = Omit<EvidenceItem, "occurredAt"> & { occurredAt: string };

/** One outbox row's body: the item and what every sink needs to deliver it idempotently. */
export interface EvidenceBody {
  v: 1;
  /** The idempotency key each sink writes beside the item (Notion "Evidence ID", a Teamwork marker). */
  key: string;
  environment: string;
  /** The seal version in force when it was queued: names the Teamwork task when the item has none. */
  sealVersion: string;
  item: StoredEvidenceItem;
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

export function storeItem(item: EvidenceItem, secrets: readonly string[]): StoredEvidenceItem {
  const { occurredAt, ...rest } = item;
  return scrubDeep({ ...rest, occurredAt: occurredAt.toISOString() }, secrets);
}

export function parseBody(text: string): EvidenceBody {
  const body = JSON.parse(text) as EvidenceBody;
  if (body?.v !== 1 || typeof body.key !== "string" || typeof body.item !== "object") {
    throw new Error("not a version 1 evidence body");
  }
  return body;
}
