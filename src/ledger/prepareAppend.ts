import { randomUUID } from "node:crypto";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { chicagoIso, utcIso } from "../core/timestamps.ts";
import { assertEntryText, assertLevel, canonicalPayload, type LedgerAppend } from "./ledgerEntry.ts";
import type { AppendOptions, Prepared } from "./ledgerTypes.ts";

/** Validates and stamps an append now, so the entry carries the time it was requested. */
export function prepareAppend(e: LedgerAppend, opts: AppendOptions, clock: Clock): Prepared {
  assertEntryText("eventType", e.eventType);
  assertEntryText("actor", e.actor);
  assertEntryText("correlationId", e.correlationId);
  assertEntryText("sealVersion", e.sealVersion, { nullable: true });
  const level = e.level ?? "info";
  assertLevel(level);
  const payloadJson = canonicalPayload(e.payload === undefined ? {} : e.payload);
  const outbox = opts.outbox ?? [];
  for (const o of outbox) {
    if (typeof o.sink !== "string" || o.sink === "" || typeof o.body !== "string") {
      throw new CodexError("INTERNAL", "an outbox row needs a sink name and a text body", {
        hint: "pass { sink, body } with body as JSON text",
      });
    }
  }
  const now = clock.now();
  return {
    id: randomUUID(),
    timestampUtc: utcIso(now),
    timestampCt: chicagoIso(now),
    eventType: e.eventType,
    level,
    actorIdentity: e.actor,
    payloadJson,
    correlationId: e.correlationId,
    sealVersion: e.sealVersion ?? null,
    outbox,
  };
}
