import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** One searchable piece of memory, with where it came from. */
export interface MemoryItem {
  /** The ledger entry it derives from. */
  seq: number;
  /** Position within that entry's items (chunks, lessons). */
  part: number;
  kind: "output" | "evaluation" | "lesson" | "incident";
  stack: string | null;
  runId: string | null;
  /** Relative to the vault (runs/…/agent.md, codex_wisdom_log.md), or null when only the ledger holds it. */
  vaultPath: string | null;
  text: string;
}

/** The ledger events memory is built from. */
export const MEMORY_EVENTS = [
  "RUN_SEALED",
  "WISDOM_RECORDED",
  "INCIDENT_OPENED",
  "INCIDENT_RESOLVED",
] as const;

/** Chunks of about this many characters, split at paragraph ends: long enough to carry meaning. */
const CHUNK = 1200;

export function chunk(text: string, size = CHUNK): string[] {
  const out: string[] = [];
  let cur = "";
  for (const para of text.split(/\n{2,}/)) {
    if (cur && cur.length + para.length + 2 > size) {
      out.push(cur);
      cur = "";
    }
    if (para.length > size) {
      for (let i = 0; i < para.length; i += size) out.push(para.slice(i, i + size));
    } else {
      cur = cur ? `${cur}\n\n${para}` : para;
    }
  }
  if (cur.trim()) out.push(cur);
  return out.filter((c) => c.trim().length > 0);
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** What a sealed run folder holds that is worth remembering: the agents' outputs and the evaluation. */
function runItems(seq: number, vaultDir: string, relPath: string, runId: string | null): MemoryItem[] {
  const dir = path.join(vaultDir, relPath);
  if (!existsSync(dir)) return [];
  let stack: string | null = null;
  try {
    stack = str((JSON.parse(readFileSync(path.join(dir, "run.json"), "utf8")) as { stack?: unknown }).stack);
  } catch {
    // A folder without run.json still has its outputs.
  }
  const items: MemoryItem[] = [];
  let part = 0;
  const base = { seq, stack, runId };
  for (const file of readdirSync(dir).sort()) {
    if (["run.json", "SEAL.json", "codex_digest_report.md"].includes(file)) continue;
    const vaultPath = `${relPath}/${file}`;
    const raw = readFileSync(path.join(dir, file), "utf8");
    if (file === "codex_evaluation.json") {
      try {
        const e = JSON.parse(raw) as {
          score?: number;
          criteria?: { id: string; score: number; rationale: string }[];
          lessons?: string[];
        };
        const text = [
          `Evaluation score ${e.score ?? "?"}.`,
          ...(e.criteria ?? []).map((c) => `${c.id} ${c.score}: ${c.rationale}`),
          ...(e.lessons ?? []).map((l) => `Lesson: ${l}`),
        ].join("\n");
        items.push({ ...base, part: part++, kind: "evaluation", vaultPath, text });
      } catch {
        // An unreadable evaluation is skipped; `maos vault verify` reports damaged files.
      }
      continue;
    }
    if (!/\.(md|json)$/.test(file)) continue;
    for (const c of chunk(raw)) items.push({ ...base, part: part++, kind: "output", vaultPath, text: c });
  }
  return items;
}

/** The memory items of one ledger entry (none for events memory does not draw on). */
export function itemsFromEntry(
  entry: { seq: number; eventType: string; payload: unknown },
  vaultDir: string,
): MemoryItem[] {
  const p = (entry.payload ?? {}) as Record<string, unknown>;
  const seq = entry.seq;
  switch (entry.eventType) {
    case "RUN_SEALED": {
      const rel = str(p.vaultPath);
      return rel ? runItems(seq, vaultDir, rel, str(p.runId)) : [];
    }
    case "WISDOM_RECORDED": {
      const lessons = Array.isArray(p.lessons)
        ? p.lessons.filter((l): l is string => typeof l === "string")
        : [];
      return lessons.map((text, part) => ({
        seq,
        part,
        kind: "lesson",
        stack: str(p.stack),
        runId: str(p.runId),
        vaultPath: "codex_wisdom_log.md",
        text,
      }));
    }
    case "INCIDENT_OPENED": {
      const report = p.report as { reasons?: unknown } | undefined;
      const reasons = Array.isArray(report?.reasons)
        ? report.reasons.filter((r) => typeof r === "string")
        : [];
      const text = [
        `Incident ${str(p.incidentId) ?? ""} (${str(p.trigger) ?? "?"}): ${str(p.summary) ?? ""}`,
        ...reasons,
      ].join("\n");
      return [{ seq, part: 0, kind: "incident", stack: null, runId: null, vaultPath: null, text }];
    }
    case "INCIDENT_RESOLVED": {
      const note = str(p.resolution) ?? str(p.note);
      if (!note) return [];
      return [
        {
          seq,
          part: 0,
          kind: "incident",
          stack: null,
          runId: null,
          vaultPath: null,
          text: `Incident ${str(p.incidentId) ?? ""} resolved: ${note}`,
        },
      ];
    }
    default:
      return [];
  }
}
