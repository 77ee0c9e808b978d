import { chicagoIso } from "../core/timestamps.ts";
import type { LoopStatus } from "./loopLease.ts";
import type { SrrRecord } from "./stopResetRealign.ts";

/**
 * STOP–RESET–REALIGN and the loop in words a person reads. SRR's RUNNING only means "not halted", so it
 * is never shown beside a loop that is not running ("RUNNING · loop not running" read as a contradiction).
 */
export function autonomyInWords(
  srr: SrrRecord,
  loop: LoopStatus,
): { state: "halted" | "on" | "off"; text: string } {
  if (srr.state === "HALTED") {
    const since = srr.since ? ` since ${chicagoIso(new Date(srr.since))}` : "";
    return {
      state: "halted",
      text: `HALTED by STOP–RESET–REALIGN${since} (${srr.reason ?? "see the open incidents"}); ${
        loop.running
          ? `the loop in ${loop.where} keeps its heartbeat but does no autonomous work`
          : "no loop is running"
      }`,
    };
  }
  if (loop.running) {
    // The last heartbeat is the Drift line's; the next one is known only where the loop runs.
    const next = loop.nextHeartbeatAt ? ` (next at ${chicagoIso(new Date(loop.nextHeartbeatAt))})` : "";
    return {
      state: "on",
      text: `on: the loop runs in ${loop.where}, a heartbeat every ${loop.intervalSeconds} s${next}`,
    };
  }
  return { state: "off", text: `off: ${loop.where}` };
}

/** A drift component's line: its points and share of the score, or that it adds nothing. */
export function driftComponentLine(
  c: { name: string; points: number; share: number; detail: string },
  score: number,
): string {
  if (c.points <= 0 || score <= 0) return `• ${c.name}: adds nothing: ${c.detail}`;
  return `• ${c.name}: ${c.points} of the ${score} points (${Math.round(c.share * 100)}%): ${c.detail}`;
}
