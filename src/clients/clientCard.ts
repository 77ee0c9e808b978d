import type { Reply } from "../core/Reply.ts";
import type { ClientRecord, ClientSyncStatus } from "./ClientMatrix.ts";

/** `/codex client <name>`: the client's card from the last synced matrix. */
export function clientCard(c: ClientRecord, sync: ClientSyncStatus | undefined): Reply {
  const field = (label: string, value: string | undefined) => ({
    label,
    value: value && value.length > 0 ? value : "—",
  });
  const extra = Object.entries(c.other);
  return {
    summary: `client ${c.name}: heartbeat ${c.heartbeat ?? "?"}, governance ${c.governance ?? "?"}`,
    parts: [
      { kind: "header", text: `Client: ${c.name}` },
      {
        kind: "fields",
        fields: [
          field("Heartbeat", c.heartbeat),
          field("Governance state", c.governance),
          field("Approval authority (RoleID)", c.roleIds.join(", ")),
          field(
            "Approvers",
            c.approvers
              .map((a) => (/^[UW]/.test(a) ? `<@${a}>` : /^S/.test(a) ? `<!subteam^${a}>` : a))
              .join(", "),
          ),
          field("Revenue mapping", c.revenue),
        ],
      },
      { kind: "text", text: `*KPIs*\n${c.kpis ?? "none recorded"}` },
      { kind: "text", text: `*Deliverables*\n${c.deliverables ?? "none recorded"}` },
      { kind: "text", text: `*Risks*\n${c.risks ?? "none recorded"}` },
      { kind: "text", text: `*History*\n${c.history ?? "none recorded"}` },
      ...(extra.length > 0
        ? [{ kind: "text" as const, text: `*Other*\n${extra.map(([k, v]) => `• ${k}: ${v}`).join("\n")}` }]
        : []),
      {
        kind: "context",
        text: `From the MASTER CLIENT OPERATIONAL MATRIX${c.url ? ` (${c.url})` : ""} · synced ${sync?.lastOkAt ?? "never"}${sync && !sync.ok ? ` · last sync failed: ${sync.error}` : ""}`,
      },
    ],
  };
}
