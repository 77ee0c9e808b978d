import { utcIso } from "../../core/timestamps.ts";
import { payloadOf } from "../../ledger/events.ts";
import type { LedgerEntry } from "../../ledger/Ledger.ts";
import type { AutonomyDeps } from "../AutonomyDeps.ts";
import { autonomyInWords } from "../autonomyWords.ts";
import type { LoopStatus } from "../loopLease.ts";
import type { SrrRecord } from "../stopResetRealign.ts";
import type { RelayStatus } from "../Telemetry.ts";

/** What the views read of the kernel. */
export interface AutonomySource {
  srr(): SrrRecord;
  loopStatus(): LoopStatus;
  relayStatus(): RelayStatus;
  lastHeartbeat(): LedgerEntry | undefined;
  governanceCheck(): { ok: boolean; detail: string };
}

export type ViewDeps = Pick<AutonomyDeps, "clock" | "state" | "ledger">;

/** The full state as JSON (GET /status, `maos status --json`, the MCP status resource). */
export function autonomyStateJson(kernel: AutonomySource, deps: ViewDeps): Record<string, unknown> {
  const srr = kernel.srr();
  const last = kernel.lastHeartbeat();
  const seal = deps.state().latestSeal<{ commit: string; file: string }>();
  const ledger = deps.ledger();
  return {
    status: "ok",
    at: utcIso(deps.clock.now()),
    environment: ledger.environment,
    srr: { state: srr.state, since: srr.since, ...(srr.reason ? { reason: srr.reason } : {}) },
    loop: kernel.loopStatus(),
    relay: kernel.relayStatus(),
    drift: last ? (payloadOf(last, "HEARTBEAT").drift ?? null) : null,
    lastHeartbeat: last
      ? {
          seq: last.seq,
          at: last.timestampUtc,
          atCt: last.timestampCt,
          ageSeconds: Math.round((deps.clock.now().getTime() - Date.parse(last.timestampUtc)) / 1000),
          signals: payloadOf(last, "HEARTBEAT"),
        }
      : null,
    incidents: deps
      .state()
      .listIncidents({ status: "open" })
      .map((i) => ({
        id: i.id,
        trigger: i.trigger,
        summary: i.summary,
        openedAt: i.openedAt,
        approvalId: i.approvalId ?? null,
      })),
    seal: seal
      ? {
          version: seal.version,
          sealedAt: seal.sealedAt,
          commit: seal.record.commit,
          file: seal.record.file,
        }
      : null,
    governance: kernel.governanceCheck(),
    ledger: { size: ledger.size(), head: ledger.head().hash },
  };
}

/** The App Home's autonomy section, as lines of mrkdwn. */
export function autonomyHomeSummary(kernel: AutonomySource, deps: Pick<ViewDeps, "state">): string {
  const loop = kernel.loopStatus();
  const srr = kernel.srr();
  const last = kernel.lastHeartbeat();
  if (!loop.running && !last) return "not running yet (start it with `/codex activate`)";
  const lines: string[] = [];
  const words = autonomyInWords(srr, loop);
  lines.push(`${words.state === "halted" ? "🛑" : words.state === "on" ? "▶️" : "⏸️"} ${words.text}`);
  if (last) {
    const d = payloadOf(last, "HEARTBEAT").drift;
    lines.push(
      `Last heartbeat ${last.timestampCt} (seq ${last.seq}) · drift ${d?.score ?? "?"} (${d?.band ?? "?"})`,
    );
  }
  const open = deps.state().listIncidents({ status: "open" });
  lines.push(open.length > 0 ? `Open incidents: ${open.map((i) => i.id).join(", ")}` : "No open incidents");
  const seal = deps.state().latestSeal();
  lines.push(seal ? `Last seal MVP_${seal.version} (${seal.sealedAt})` : "No MVP seal yet");
  return lines.join("\n");
}
