import { hash } from "node:crypto";
import canonicalize from "canonicalize";
import { CodexError } from "../core/CodexError.ts";

export const LEVELS = ["debug", "info", "warn", "error", "critical"] as const;
export type Level = (typeof LEVELS)[number];

export interface LedgerAppend {
  eventType: string;
  level?: Level;
  actor: string;
  payload?: unknown;
  correlationId: string;
  sealVersion?: string | null;
}

export interface LedgerEntry {
  seq: number;
  id: string;
  timestampUtc: string;
  timestampCt: string;
  eventType: string;
  level: Level;
  actorIdentity: string;
  payload: unknown;
  correlationId: string;
  sealVersion: string | null;
  environment: string;
  prevHash: string;
  entryHash: string;
}

/** prev_hash of the genesis entry. */
export const ZERO_HASH = "0".repeat(64);

/**
 * RFC 8785 canonical JSON of one entry's hashed fields, built by concatenation. The keys are fixed and
 * already in RFC 8785 (UTF-16 code unit) order, strings serialise exactly as JSON.stringify does, and
 * `payloadJson` is already canonical text, so this equals `canonicalize({...})` of the same fields (a test
 * holds it to that) at a fraction of the cost. The writer and the verifier both call this one function.
 */
export function canonicalEntry(
  seq: number,
  id: string,
  timestampUtc: string,
  timestampCt: string,
  eventType: string,
  level: string,
  actorIdentity: string,
  payloadJson: string,
  correlationId: string,
  sealVersion: string | null,
  environment: string,
  prevHash: string,
): string {
  return (
    `{"actor_identity":${JSON.stringify(actorIdentity)},"correlation_id":${JSON.stringify(correlationId)}` +
    `,"environment":${JSON.stringify(environment)},"event_type":${JSON.stringify(eventType)}` +
    `,"id":${JSON.stringify(id)},"level":${JSON.stringify(level)},"payload":${payloadJson}` +
    `,"prev_hash":${JSON.stringify(prevHash)},"seal_version":${sealVersion === null ? "null" : JSON.stringify(sealVersion)}` +
    `,"seq":${seq},"timestamp_ct":${JSON.stringify(timestampCt)},"timestamp_utc":${JSON.stringify(timestampUtc)}}`
  );
}

/** The top-level keys of a canonical entry, in RFC 8785 order (the order canonicalEntry writes them). */
export const ENTRY_KEYS = [
  "actor_identity",
  "correlation_id",
  "environment",
  "event_type",
  "id",
  "level",
  "payload",
  "prev_hash",
  "seal_version",
  "seq",
  "timestamp_ct",
  "timestamp_utc",
] as const;

/** The canonical text's object, as the writer makes it. */
interface CanonicalFields {
  actor_identity: string;
  correlation_id: string;
  environment: string;
  event_type: string;
  id: string;
  level: Level;
  payload: unknown;
  prev_hash: string;
  seal_version: string | null;
  seq: number;
  timestamp_ct: string;
  timestamp_utc: string;
}

/** A stored entry read back from its canonical text (the hashed bytes) and its entry_hash. */
export function entryFromCanonical(canonical: string, storedHash: string): LedgerEntry {
  const c = JSON.parse(canonical) as CanonicalFields;
  return {
    seq: c.seq,
    id: c.id,
    timestampUtc: c.timestamp_utc,
    timestampCt: c.timestamp_ct,
    eventType: c.event_type,
    level: c.level,
    actorIdentity: c.actor_identity,
    payload: c.payload,
    correlationId: c.correlation_id,
    sealVersion: c.seal_version,
    environment: c.environment,
    prevHash: c.prev_hash,
    entryHash: storedHash,
  };
}

/**
 * The exact check of deep verification: the text parses to exactly ENTRY_KEYS with the writer's types,
 * and canonicalEntry of those values (payload re-canonicalised) gives the same text back. Returns the
 * problem, or undefined.
 */
export function canonicalProblem(canonical: string): string | undefined {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(canonical);
  } catch {
    return "canonical bytes are not valid JSON";
  }
  if (typeof c !== "object" || c === null || Array.isArray(c)) return "canonical bytes are not a JSON object";
  const keys = Object.keys(c);
  if (keys.length !== ENTRY_KEYS.length || keys.some((k, i) => k !== ENTRY_KEYS[i])) {
    return "canonical bytes do not hold exactly the entry fields";
  }
  const text = (k: string) => typeof c[k] === "string" && (c[k] as string).length > 0;
  const texts = ["actor_identity", "correlation_id", "environment", "event_type", "id", "prev_hash"];
  if (!texts.every(text) || !text("timestamp_ct") || !text("timestamp_utc")) {
    return "canonical bytes hold a field that is not a non-empty string";
  }
  if (!(LEVELS as readonly unknown[]).includes(c.level)) return "canonical bytes hold an unknown level";
  if (c.seal_version !== null && !text("seal_version")) return "canonical bytes hold a bad seal_version";
  if (!Number.isSafeInteger(c.seq) || (c.seq as number) < 0) return "canonical bytes hold a bad seq";
  let payloadJson: string | undefined;
  try {
    payloadJson = canonicalize(c.payload);
  } catch {
    payloadJson = undefined;
  }
  const rebuilt =
    payloadJson === undefined
      ? undefined
      : canonicalEntry(
          c.seq as number,
          c.id as string,
          c.timestamp_utc as string,
          c.timestamp_ct as string,
          c.event_type as string,
          c.level as string,
          c.actor_identity as string,
          payloadJson,
          c.correlation_id as string,
          c.seal_version as string | null,
          c.environment as string,
          c.prev_hash as string,
        );
  if (rebuilt === canonical) return undefined;
  const payloadAt = canonical.indexOf(',"payload":') + 11;
  return payloadJson !== undefined && canonical.startsWith(payloadJson, payloadAt)
    ? "canonical bytes are not RFC 8785 canonical JSON"
    : "payload is not RFC 8785 canonical JSON";
}

/**
 * entry_hash = SHA-256(0x00 || canonical bytes): the RFC 6962 leaf hash of the entry. Using the leaf hash as
 * the chain hash means the Merkle tree needs no second hash per entry. "\0" is the single byte 0x00 in UTF-8.
 */
export function entryHash(canonical: string): string {
  return hash("sha256", `\0${canonical}`, "hex");
}

/**
 * RFC 8785 text of a payload, refusing what JSON cannot carry faithfully: functions, symbols, bigint,
 * NaN/Infinity, undefined (except as an object member, dropped as JSON does), lone surrogates, cycles and
 * non-plain objects (Date, Map, class instances), which would not read back as what was written.
 */
export function canonicalPayload(value: unknown): string {
  // Every append pays this: one pass that checks and writes; anything it is unsure of takes the checked
  // path below, which reports the exact problem.
  const fast = simpleCanonical(value, 0);
  if (fast !== undefined) return fast;
  assertJsonSafe(value, "payload", new Set(), 0);
  const text = canonicalize(value);
  if (text === undefined) throw notJson("payload", "undefined");
  return text;
}

/** SQLite's JSON functions (the generated columns) refuse nesting deeper than 1000; stay well inside it. */
const MAX_PAYLOAD_DEPTH = 500;

/**
 * RFC 8785 text of a value assertJsonSafe would accept, as canonicalize writes it (keys in UTF-16 code unit
 * order, strings and numbers as JSON.stringify writes them, undefined members dropped), or undefined for
 * anything else: a lone surrogate, a non-finite number, undefined or a hole in an array, a non-plain
 * object, a function, nesting at MAX_PAYLOAD_DEPTH (which also ends a cycle).
 */
function simpleCanonical(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case "string":
      return value.isWellFormed() ? JSON.stringify(value) : undefined;
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (depth >= MAX_PAYLOAD_DEPTH) return undefined;
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          const text = v === undefined ? undefined : simpleCanonical(v, depth + 1);
          if (text === undefined) return undefined;
          out += i === 0 ? text : `,${text}`;
        }
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return undefined;
      let out = "{";
      for (const k of Object.keys(value).sort()) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue;
        const text = k.isWellFormed() ? simpleCanonical(v, depth + 1) : undefined;
        if (text === undefined) return undefined;
        out += `${out.length === 1 ? "" : ","}${JSON.stringify(k)}:${text}`;
      }
      return `${out}}`;
    }
    default:
      return undefined;
  }
}

function assertJsonSafe(value: unknown, path: string, seen: Set<object>, depth: number): void {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) throw notJson(path, "a string with a lone surrogate");
      return;
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw notJson(path, String(value));
      return;
    case "object": {
      if (value === null) return;
      if (depth >= MAX_PAYLOAD_DEPTH) throw notJson(path, `nesting deeper than ${MAX_PAYLOAD_DEPTH} levels`);
      if (seen.has(value)) throw notJson(path, "a circular reference");
      seen.add(value);
      if (Array.isArray(value)) {
        value.forEach((v, i) => {
          if (v === undefined) throw notJson(`${path}[${i}]`, "undefined");
          assertJsonSafe(v, `${path}[${i}]`, seen, depth + 1);
        });
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          throw notJson(path, `a ${value.constructor?.name ?? "non-plain"} object`);
        }
        for (const [k, v] of Object.entries(value)) {
          if (!k.isWellFormed()) throw notJson(path, "a key with a lone surrogate");
          if (v !== undefined) assertJsonSafe(v, `${path}.${k}`, seen, depth + 1);
        }
      }
      seen.delete(value);
      return;
    }
    default:
      throw notJson(path, typeof value);
  }
}

function notJson(path: string, what: string): CodexError {
  return new CodexError("INTERNAL", `ledger ${path} is not JSON-safe: it holds ${what}`, {
    hint: "pass only plain objects, arrays, strings, finite numbers, booleans and null (convert dates to ISO strings, bigint to strings)",
  });
}

/** Checks the caller-supplied text fields; they are hashed, so they must be well-formed strings. */
export function assertEntryText(field: string, value: unknown, opts: { nullable?: boolean } = {}): void {
  if (opts.nullable && (value === null || value === undefined)) return;
  if (typeof value !== "string" || value.length === 0 || !value.isWellFormed()) {
    throw new CodexError("INTERNAL", `ledger ${field} must be a non-empty well-formed string`, {
      hint: `pass ${field} as a non-empty string`,
      details: { field, type: typeof value },
    });
  }
}

export function assertLevel(level: unknown): asserts level is Level {
  if (!(LEVELS as readonly unknown[]).includes(level)) {
    throw new CodexError(
      "INTERNAL",
      `ledger level ${JSON.stringify(level)} is not one of ${LEVELS.join("|")}`,
      {
        hint: `use one of ${LEVELS.join(", ")}`,
      },
    );
  }
}
