import type { Client } from "@notionhq/client";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { closestMatch } from "../core/closestMatch.ts";
import type { Logger } from "../core/logger.ts";
import { cronSchedule, TickScheduler } from "../core/TickScheduler.ts";
import { utcIso } from "../core/timestamps.ts";
import type { Charter } from "../governance/charter.ts";
import type { RoleMembers } from "../governance/roles.ts";
import type { StateApi } from "../state/StateApi.ts";
import { propertyText } from "./propertyText.ts";

/** One client of the MASTER CLIENT OPERATIONAL MATRIX, as the Client Intelligence Layer keeps it. */
export interface ClientRecord {
  name: string;
  pageId: string;
  url: string | undefined;
  kpis: string | undefined;
  revenue: string | undefined;
  /** Approval authority: the charter RoleIDs that approve for this client (client_role:business_owner). */
  roleIds: string[];
  /** Who holds those roles for this client: Slack user (U…) or user-group (S…) ids. */
  approvers: string[];
  heartbeat: string | undefined;
  deliverables: string | undefined;
  history: string | undefined;
  risks: string | undefined;
  governance: string | undefined;
  /** Every other column, by name. */
  other: Record<string, string>;
  lastEditedUtc: string | undefined;
}

export interface ClientSyncStatus {
  ok: boolean;
  /** When the sync ran (UTC). */
  at: string;
  count: number;
  /** When the matrix last synced successfully (UTC). */
  lastOkAt: string | undefined;
  error?: string;
  /** RoleIDs named in the matrix that the charter does not define. */
  unknownRoles: string[];
}

const STATUS_KEY = "clients.sync";
/** The KPI layer counts as synced when the last good sync is this recent (two default sync periods, plus margin). */
export const KPI_FRESH_MS = 60 * 60_000;

/** Column names are matched loosely: case, spaces and punctuation do not matter. */
const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "");
const COLUMNS: Record<
  Exclude<keyof ClientRecord, "name" | "pageId" | "url" | "other" | "lastEditedUtc">,
  string[]
> = {
  kpis: ["kpis", "kpi"],
  revenue: ["revenuemapping", "revenue"],
  roleIds: ["approvalauthorityroleid", "approvalauthority", "roleid", "roleids", "approvalroleid"],
  approvers: ["approvers", "approvalmembers", "approverids"],
  heartbeat: ["heartbeatstatus", "heartbeat"],
  deliverables: ["deliverables"],
  history: ["history"],
  risks: ["risks", "risk"],
  governance: ["governancestate", "governance"],
};
const ROLE_ID = /^[a-z][a-z0-9_]*(?::[a-z][a-z0-9_]*)?$/;
const MEMBER = /^(?:[UWS][A-Z0-9]{2,}|local:[a-z_][a-z0-9_.-]*)$/;

export function clientKey(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, " ");
}

/** A matrix row (a Notion page object) as a ClientRecord; undefined when it has no name. */
export function clientFromPage(page: {
  id: string;
  url?: string;
  last_edited_time?: string;
  properties?: Record<string, unknown>;
}): ClientRecord | undefined {
  const props = page.properties ?? {};
  let name: string | undefined;
  const byColumn = new Map<string, string>();
  const other: Record<string, string> = {};
  for (const [col, value] of Object.entries(props)) {
    const text = propertyText(value)?.trim();
    if ((value as { type?: string }).type === "title") {
      name = text;
      continue;
    }
    if (text === undefined || text === "") continue;
    const field = Object.entries(COLUMNS).find(([, aliases]) => aliases.includes(norm(col)))?.[0];
    if (field) byColumn.set(field, text);
    else other[col] = text;
  }
  if (!name) return undefined;
  const list = (s: string | undefined) =>
    (s ?? "")
      .split(/[\s,;]+/)
      .map((x) => x.trim())
      .filter(Boolean);
  return {
    name,
    pageId: page.id,
    url: page.url,
    kpis: byColumn.get("kpis"),
    revenue: byColumn.get("revenue"),
    roleIds: list(byColumn.get("roleIds")),
    approvers: list(byColumn.get("approvers")),
    heartbeat: byColumn.get("heartbeat"),
    deliverables: byColumn.get("deliverables"),
    history: byColumn.get("history"),
    risks: byColumn.get("risks"),
    governance: byColumn.get("governance"),
    other,
    lastEditedUtc: page.last_edited_time,
  };
}

export interface ClientMatrixOptions {
  /** The shared Notion client, or undefined when NOTION_TOKEN is not set. */
  notion: () => Client | undefined;
  dataSourceId: string | undefined;
  state: () => StateApi;
  charter: () => Charter;
  clock: Clock;
  log: Logger;
  /** MAOS_CLIENT_SYNC_CRON. */
  cron: string;
  /** After every good sync: the approval roles changed. */
  onSynced?: (clients: ClientRecord[]) => void;
}

/**
 * The Client Intelligence Layer: syncs the "MASTER CLIENT OPERATIONAL MATRIX" Notion data source into
 * state.db (on a schedule read in America/Chicago, and on demand), answers `/codex client <name>`, and
 * turns each client's approval authority (RoleID + approvers) into charter role members.
 */
export class ClientMatrix {
  readonly #o: ClientMatrixOptions;
  #schedule: TickScheduler | undefined;

  constructor(opts: ClientMatrixOptions) {
    this.#o = opts;
  }

  /** Why the layer is off, or undefined when it is configured. */
  off(): string | undefined {
    if (!this.#o.notion()) return "NOTION_TOKEN is not set";
    if (!this.#o.dataSourceId) return "NOTION_CLIENT_MATRIX_DATA_SOURCE_ID is not set";
    return undefined;
  }

  /** Reads every row of the matrix and replaces the local copy; a failure keeps the last good copy. */
  async sync(): Promise<ClientSyncStatus> {
    const { state, clock, log } = this.#o;
    const off = this.off();
    if (off) {
      throw new CodexError("CONFIG_INVALID", `the client matrix is off: ${off}`, {
        hint: "set NOTION_TOKEN and NOTION_CLIENT_MATRIX_DATA_SOURCE_ID (share the matrix with the integration)",
      });
    }
    const client = this.#o.notion() as Client;
    const previous = await this.status();
    const at = utcIso(clock.now());
    try {
      const clients: ClientRecord[] = [];
      let cursor: string | undefined;
      do {
        const res = await client.dataSources.query({
          data_source_id: this.#o.dataSourceId as string,
          page_size: 100,
          ...(cursor ? { start_cursor: cursor } : {}),
        });
        for (const page of res.results) {
          const c = clientFromPage(page as never);
          if (c) clients.push(c);
        }
        cursor = res.has_more ? (res.next_cursor ?? undefined) : undefined;
      } while (cursor);
      await state().replaceClients(
        clients.map((c) => ({ key: clientKey(c.name), name: c.name, pageId: c.pageId, record: c })),
      );
      const roles = Object.keys(this.#o.charter().roles);
      const unknownRoles = [...new Set(clients.flatMap((c) => c.roleIds))].filter((r) => !roles.includes(r));
      const status: ClientSyncStatus = { ok: true, at, count: clients.length, lastOkAt: at, unknownRoles };
      await state().setValue(STATUS_KEY, status);
      log.info({ clients: clients.length, unknownRoles }, "client matrix synced");
      this.#o.onSynced?.(clients);
      return status;
    } catch (err) {
      const status: ClientSyncStatus = {
        ok: false,
        at,
        count: (await this.list()).length,
        lastOkAt: previous?.lastOkAt,
        error: err instanceof Error ? err.message : String(err),
        unknownRoles: previous?.unknownRoles ?? [],
      };
      await state().setValue(STATUS_KEY, status);
      log.warn({ error: status.error }, "client matrix sync failed; keeping the last good copy");
      return status;
    }
  }

  async status(): Promise<ClientSyncStatus | undefined> {
    return this.#o.state().getValue<ClientSyncStatus>(STATUS_KEY);
  }

  async list(): Promise<ClientRecord[]> {
    return (await this.#o.state().listClients<ClientRecord>()).map((r) => r.record);
  }

  /** A client by name: exact (case-insensitive), else the one whose name starts with or contains it. */
  async find(name: string): Promise<ClientRecord | undefined> {
    const key = clientKey(name);
    const all = await this.list();
    const exact = all.find((c) => clientKey(c.name) === key);
    if (exact) return exact;
    const partial = all.filter((c) => clientKey(c.name).startsWith(key) || clientKey(c.name).includes(key));
    return partial.length === 1 ? partial[0] : undefined;
  }

  /** The nearest client name, for "did you mean". */
  async suggest(name: string): Promise<string | undefined> {
    return closestMatch(
      name,
      (await this.list()).map((c) => c.name),
    );
  }

  /**
   * Role members from the matrix's approval authority: each client's approvers are members of each of
   * its RoleIDs that the charter defines (others are reported by status, never invented).
   */
  async roleMembers(clientName?: string): Promise<RoleMembers> {
    const clients = clientName
      ? [await this.find(clientName)].filter((c): c is ClientRecord => c !== undefined)
      : await this.list();
    return this.roleMembersOf(clients);
  }

  /** roleMembers over these clients (the matrix as read or just synced). */
  roleMembersOf(clients: readonly ClientRecord[]): RoleMembers {
    const roles = this.#o.charter().roles;
    const out: RoleMembers = {};
    for (const c of clients) {
      for (const role of c.roleIds) {
        if (!ROLE_ID.test(role) || !roles[role]) continue;
        const members = c.approvers.filter((m) => MEMBER.test(m));
        out[role] = [...new Set([...(out[role] ?? []), ...members])];
      }
    }
    return out;
  }

  /** The seal v3 condition "KPI layer synced": a good sync within KPI_FRESH_MS, with at least one client. */
  async kpiLayer(): Promise<{ ok: boolean; detail: string }> {
    const off = this.off();
    if (off) return { ok: false, detail: `not configured (${off})` };
    const s = await this.status();
    if (!s?.lastOkAt)
      return {
        ok: false,
        detail: `never synced${s?.error ? ` (last try: ${s.error})` : ""}: run maos client --sync`,
      };
    const age = this.#o.clock.now().getTime() - Date.parse(s.lastOkAt);
    const fresh = age <= KPI_FRESH_MS;
    const count = (await this.list()).length;
    const ok = fresh && count > 0 && s.ok;
    return {
      ok,
      detail: `${count} client(s) synced ${Math.round(age / 60_000)} min ago (limit ${KPI_FRESH_MS / 60_000} min)${s.ok ? "" : `; the last sync failed: ${s.error}`}${count === 0 ? "; the matrix is empty" : ""}`,
    };
  }

  /** Syncs now and then on MAOS_CLIENT_SYNC_CRON (America/Chicago), through the injected Clock. */
  start(): void {
    if (this.#schedule || this.off()) return;
    const run = async () => {
      await this.sync().catch((err: unknown) => this.#o.log.warn({ err }, "client matrix sync failed"));
    };
    this.#schedule = new TickScheduler({
      clock: this.#o.clock,
      next: cronSchedule(this.#o.cron),
      onTick: run,
      lateToleranceMs: 60_000,
      maxSleepMs: 60_000,
      fireImmediately: true,
    });
    this.#schedule.start();
  }

  /** Resolves when no scheduled sync is running. */
  async idle(): Promise<void> {
    await this.#schedule?.idle();
  }

  async stop(): Promise<void> {
    await this.#schedule?.stop();
    this.#schedule = undefined;
  }
}
