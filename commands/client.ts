import type { App } from "../src/app/App.ts";
import { clientCard } from "../src/clients/clientCard.ts";
import { CodexError } from "../src/core/CodexError.ts";
import type { Reply } from "../src/core/Reply.ts";
import { errorReply } from "./replies.ts";

/**
 * The charter permission a client command checks. The card is read-only, for the audience of `status`;
 * a sync writes operational state on demand: its own permission, `client.sync` (operators by default).
 */
export function clientPermission(args: readonly string[]): string {
  return args[0] === "sync" || args[0] === "--sync" ? "client.sync" : "status";
}

/** `maos client --sync` and `/codex client sync`: pulls the matrix now. */
export async function syncClients(app: Pick<App, "clients">): Promise<Reply> {
  const s = await app.clients().sync();
  if (!s.ok)
    return errorReply(
      `client matrix sync failed: ${s.error}; the last good copy (${s.count} clients) is kept`,
    );
  return {
    summary: `client matrix synced: ${s.count} client(s)`,
    parts: [
      {
        kind: "text",
        text: `Synced ${s.count} client(s) from the MASTER CLIENT OPERATIONAL MATRIX at ${s.at}.`,
      },
      ...(s.unknownRoles.length > 0
        ? [
            {
              kind: "context" as const,
              text: `RoleIDs the charter does not define (ignored for approvals): ${s.unknownRoles.join(", ")}`,
            },
          ]
        : []),
    ],
  };
}

/** `/codex client <name>` (a card), `client list`, `client sync`. */
export async function clientReply(app: Pick<App, "clients">, args: readonly string[]): Promise<Reply> {
  const matrix = app.clients();
  const off = matrix.off();
  if (off) {
    return errorReply(
      `the Client Intelligence Layer is off: ${off}. Set NOTION_TOKEN and NOTION_CLIENT_MATRIX_DATA_SOURCE_ID (the MASTER CLIENT OPERATIONAL MATRIX, shared with the integration).`,
    );
  }
  const [first, ...rest] = args;
  if (first === "sync" || first === "--sync") return syncClients(app);
  if ((await matrix.list()).length === 0 && !(await matrix.status())?.ok) await matrix.sync();
  if (first === undefined || first === "list") {
    const all = await matrix.list();
    return {
      summary: `${all.length} client(s) in the matrix`,
      parts: [
        {
          kind: "text",
          text:
            all.length > 0
              ? `*Clients*\n${all.map((c) => `• *${c.name}* · heartbeat ${c.heartbeat ?? "?"} · governance ${c.governance ?? "?"}`).join("\n")}`
              : "The matrix has no clients yet.",
        },
        {
          kind: "context",
          text: `synced ${(await matrix.status())?.lastOkAt ?? "never"} · /codex client <name> shows a card`,
        },
      ],
    };
  }
  const name = [first, ...rest].join(" ");
  const c = await matrix.find(name);
  if (!c) {
    const guess = await matrix.suggest(name);
    throw new CodexError(
      "NOT_FOUND",
      `no client named "${name}" in the matrix${guess ? ` (did you mean "${guess}"?)` : ""}`,
      {
        hint: "list them with /codex client list; sync with /codex client sync if it was just added",
      },
    );
  }
  return clientCard(c, await matrix.status());
}
