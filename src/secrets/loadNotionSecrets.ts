import type { Client } from "@notionhq/client";
import type { Env } from "../config/loadEnv.ts";
import { CodexError, isCodexError } from "../core/CodexError.ts";
import type { Logger } from "../core/logger.ts";
import { MIN_SECRET_LENGTH } from "../core/scrubValues.ts";
import { registerSecretValues } from "../core/secretRegistry.ts";

/** Registry column names, as the seed's "Notion Registry → env loader" reads them. */
export const NAME_PROPERTY = "Name";
export const VALUE_PROPERTY = "Value";

/** One registry row: an environment variable name and a non-empty single value. */
const rowSchema = (z: typeof import("zod").z) =>
  z.object({
    name: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, {
      error: "expected an environment variable name such as OPENAI_API_KEY",
    }),
    value: z
      .string()
      .min(1, { error: "the value is empty" })
      .max(16_384, { error: "the value is over 16 KiB" }),
  });

/** The registry must not repoint the registry itself or move the runtime's files. */
const PROTECTED = new Set(["NOTION_TOKEN", "NOTION_BASE_URL", "NOTION_SECRETS_DATA_SOURCE_ID", "MAOS_HOME"]);

export interface SecretsLoad {
  status: "loaded" | "off" | "failed";
  /** Names set from the registry (never values). */
  loaded: string[];
  /** Names the environment already set: the environment wins. */
  kept: string[];
  /** Rows refused, by name (or row number) and reason. */
  refused: { row: string; reason: string }[];
  detail: string;
}

let last: SecretsLoad = {
  status: "off",
  loaded: [],
  kept: [],
  refused: [],
  detail: "not configured (NOTION_SECRETS_DATA_SOURCE_ID not set)",
};

/** What the last load did, for activation and status. */
export function lastSecretsLoad(): SecretsLoad {
  return last;
}

function plainText(prop: unknown): string | undefined {
  const p = prop as
    | { type?: string; title?: { plain_text?: string }[]; rich_text?: { plain_text?: string }[] }
    | undefined;
  const items = p?.type === "title" ? p.title : p?.type === "rich_text" ? p.rich_text : undefined;
  return items?.map((t) => t.plain_text ?? "").join("");
}

export interface LoadSecretsOptions {
  /** The environment to fill (process.env by default); variables already set win. */
  source?: NodeJS.ProcessEnv;
  log?: Logger;
  /** The fetch under the egress guard (tests: Node's own). */
  fetch?: typeof fetch;
  /** A prepared client (tests); built from the environment otherwise. */
  client?: Client;
}

/**
 * The seed's activation step 2, "Load Secrets": when NOTION_TOKEN and NOTION_SECRETS_DATA_SOURCE_ID are
 * set, reads every `Name`/`Value` row of that data source into the environment. Variables already set
 * win; each row is validated with zod and the merged environment with loadEnv; every value becomes a
 * known secret, scrubbed from logs, the ledger, the vault and Slack. A registry that cannot be read is
 * reported (status "failed") and start-up goes on with the environment alone.
 */
export async function loadNotionSecrets(opts: LoadSecretsOptions = {}): Promise<SecretsLoad> {
  const source = opts.source ?? process.env;
  const token = source.NOTION_TOKEN?.trim();
  const dataSourceId = source.NOTION_SECRETS_DATA_SOURCE_ID?.trim();
  if (!token || !dataSourceId) {
    last = {
      status: "off",
      loaded: [],
      kept: [],
      refused: [],
      detail: `not configured (${!token ? "NOTION_TOKEN" : "NOTION_SECRETS_DATA_SOURCE_ID"} not set); secrets come from the environment`,
    };
    return last;
  }
  // The token is a secret from the first moment, before any request could log it.
  registerSecretValues([token]);
  // Loaded only when a registry is configured: every `maos` command starts here, and most never need them.
  const [{ z }, { loadEnv }, { createLogger }, { EgressGuard }, { egressAllowlist }, { createNotionClient }] =
    await Promise.all([
      import("zod"),
      import("../config/loadEnv.ts"),
      import("../core/logger.ts"),
      import("../egress/EgressGuard.ts"),
      import("../egress/egressAllowlist.ts"),
      import("../relays/notion/createNotionClient.ts"),
    ]);
  const env: Env = loadEnv(source);
  const log = opts.log;
  const client =
    opts.client ??
    createNotionClient({
      token,
      baseUrl: env.NOTION_BASE_URL,
      fetch: new EgressGuard({ allowed: egressAllowlist(env), ...(opts.fetch ? { fetch: opts.fetch } : {}) })
        .fetch,
      log: log ?? createLogger({ level: "silent" }),
    });
  const rows: { row: string; name: string | undefined; value: string | undefined }[] = [];
  try {
    let cursor: string | undefined;
    let n = 0;
    do {
      const res = await client.dataSources.query({
        data_source_id: dataSourceId,
        page_size: 100,
        ...(cursor ? { start_cursor: cursor } : {}),
      });
      for (const page of res.results) {
        n++;
        const props = (page as { properties?: Record<string, unknown> }).properties ?? {};
        rows.push({
          row: `row ${n}`,
          name: plainText(props[NAME_PROPERTY])?.trim(),
          value: plainText(props[VALUE_PROPERTY]),
        });
      }
      cursor = res.has_more ? (res.next_cursor ?? undefined) : undefined;
    } while (cursor);
  } catch (err) {
    const status = (err as { status?: number } | undefined)?.status;
    last = {
      status: "failed",
      loaded: [],
      kept: [],
      refused: [],
      detail: `the Notion secrets registry (NOTION_SECRETS_DATA_SOURCE_ID) could not be read${status ? ` (HTTP ${status})` : ""}: ${err instanceof Error ? err.message : String(err)}; ${
        status === 401
          ? "check NOTION_TOKEN"
          : status === 404
            ? "share the data source with the integration (••• → Connections) and check the id"
            : status
              ? "Notion refused or failed the query; the environment is used as it is"
              : "Notion did not answer: check NOTION_BASE_URL and the network"
      }`,
    };
    log?.warn({ status }, `secrets registry: ${last.detail}`);
    return last;
  }

  const loaded: string[] = [];
  const kept: string[] = [];
  const refused: { row: string; reason: string }[] = [];
  const seen = new Set<string>();
  // Every value in the registry is a secret, even on a row that is refused below or that the
  // environment overrides: none of them may leak.
  registerSecretValues(rows.map((r) => r.value ?? "").filter((v) => v.length >= MIN_SECRET_LENGTH));
  const schema = rowSchema(z);
  for (const r of rows) {
    const parsed = schema.safeParse({ name: r.name ?? "", value: r.value ?? "" });
    if (!parsed.success) {
      refused.push({
        row: r.name || r.row,
        reason: parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; "),
      });
      continue;
    }
    const { name, value } = parsed.data;
    if (seen.has(name)) {
      refused.push({ row: name, reason: "listed twice; the first row wins" });
      continue;
    }
    seen.add(name);
    if (PROTECTED.has(name)) {
      refused.push({ row: name, reason: "the registry may not set this variable" });
      continue;
    }
    if (source[name] !== undefined && source[name]?.trim() !== "") {
      kept.push(name);
      continue;
    }
    source[name] = value;
    loaded.push(name);
  }
  try {
    loadEnv(source);
  } catch (err) {
    if (!isCodexError(err)) throw err;
    throw new CodexError(
      "CONFIG_INVALID",
      `a value from the Notion secrets registry is malformed:\n${err.message}`,
      {
        hint: "fix the row in the registry data source (NOTION_SECRETS_DATA_SOURCE_ID), or set the variable in the environment (it wins)",
      },
    );
  }
  last = {
    status: "loaded",
    loaded,
    kept,
    refused,
    detail: `${loaded.length} loaded from the Notion registry${loaded.length ? ` (${loaded.join(", ")})` : ""}${kept.length ? `; ${kept.length} kept from the environment (${kept.join(", ")})` : ""}${refused.length ? `; ${refused.length} refused (${refused.map((r) => `${r.row}: ${r.reason}`).join("; ")})` : ""}`,
  };
  log?.info({ loaded, kept, refused: refused.map((r) => r.row) }, "secrets registry loaded");
  return last;
}
