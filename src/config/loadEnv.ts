import path from "node:path";
import { CodexError } from "../core/CodexError.ts";
import { MIN_SECRET_LENGTH } from "../core/scrubValues.ts";
import { registeredSecretValues } from "../core/secretRegistry.ts";
import { isBindAddress } from "./relayBind.ts";

/** Every variable the process reads, documented in .env.example. Unset optional integrations are "off". */
export interface Env {
  MAOS_HOME: string;
  /** A PostgreSQL database (postgres://user:password@host:port/db): see README "Running more than one replica". */
  DATABASE_URL: string | undefined;
  /** This replica's name in LEADER_ELECTED and the run queue (DATABASE_URL); unset: the host name and pid. */
  MAOS_REPLICA: string | undefined;
  MAOS_CHARTER: string;
  MAOS_STACKS: string;
  PORT: number;
  /** The relay server's bind address; unset: see relayBind (loopback, or every interface in Slack's HTTP mode). */
  MAOS_BIND: string | undefined;
  LOG_LEVEL: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  LOG_LEVEL_SET: boolean;
  MAOS_PRIME: string;
  MAOS_BACKUP: string | undefined;
  MAOS_ENVIRONMENT: string | undefined;
  MAOS_LEDGER_KEY: string | undefined;
  MAOS_VAULT_REMOTE: string | undefined;
  MAOS_VAULT_SIGNING_KEY: string | undefined;
  MAOS_ROLES: string | undefined;
  MAOS_RELAY_TOKEN: string | undefined;
  OPENAI_API_KEY: string | undefined;
  OPENAI_BASE_URL: string | undefined;
  ANTHROPIC_API_KEY: string | undefined;
  ANTHROPIC_BASE_URL: string | undefined;
  SLACK_BOT_TOKEN: string | undefined;
  SLACK_APP_TOKEN: string | undefined;
  SLACK_SIGNING_SECRET: string | undefined;
  SLACK_API_URL: string | undefined;
  NOTION_TOKEN: string | undefined;
  NOTION_BASE_URL: string | undefined;
  /** The "MAOS Activation Ledger" data source (`maos notion setup` prints it): the Notion evidence relay. */
  NOTION_LEDGER_DATA_SOURCE_ID: string | undefined;
  /** The secrets registry data source (Name/Value rows) read into the environment at start-up. */
  NOTION_SECRETS_DATA_SOURCE_ID: string | undefined;
  /** The "MASTER CLIENT OPERATIONAL MATRIX" data source: the Client Intelligence Layer. */
  NOTION_CLIENT_MATRIX_DATA_SOURCE_ID: string | undefined;
  /** Cron (America/Chicago) for the client-matrix sync. */
  MAOS_CLIENT_SYNC_CRON: string;
  TEAMWORK_SITE: string | undefined;
  TEAMWORK_API_KEY: string | undefined;
  TEAMWORK_TASKLIST_ID: string | undefined;
  /** MCP clients over HTTP: `NAME:SHA256HEX[,NAME:SHA256HEX…]`, the SHA-256 of each client's bearer token (src/mcp/mcpClients.ts). */
  MAOS_MCP_TOKENS: string | undefined;
  /** Extra Host names /mcp answers besides localhost, 127.0.0.1 and [::1] (DNS-rebinding protection). */
  MAOS_MCP_ALLOWED_HOSTS: string | undefined;
  /** OAuth authorization servers named in the Protected Resource Metadata document (comma-separated URLs). */
  MAOS_MCP_AUTHORIZATION_SERVERS: string | undefined;
  /** Vector memory: `openai:MODEL` through an OpenAI-compatible /v1/embeddings, or `hash:DIM` (the offline test embedder). */
  MAOS_EMBEDDINGS: string | undefined;
  /** Base URL of the embeddings server when it is not OPENAI_BASE_URL (Ollama, vLLM). */
  MAOS_EMBEDDINGS_BASE_URL: string | undefined;
}

const PROVIDER_SPEC = /^(offline|openai:[^\s]+|anthropic:[^\s]+)$/;

// Plain checks, not zod: every `maos` command reads the environment, and loading zod cost ~70 ms of a
// command's start (`maos stacks list` and `maos ledger tail` must start in 300 ms).
interface VarRule {
  /** The value to keep, or undefined when the text is malformed. */
  check(value: string): unknown;
  fix: string;
}

const matching =
  (pattern: RegExp) =>
  (v: string): string | undefined =>
    pattern.test(v) ? v : undefined;

/** An http(s) URL with its `//` (not "http:host"); tabs and newlines go, as the URL parser drops them. */
function httpUrl(v: string): string | undefined {
  if (!/^https?:\/\//i.test(v)) return undefined;
  const parsed = URL.parse(v);
  if (!parsed || !/^https?:$/.test(parsed.protocol)) return undefined;
  return v.replace(/[\t\n\r]/g, "");
}

const url: VarRule = {
  check: httpUrl,
  fix: "set it to an http(s) URL such as http://127.0.0.1:11434/v1, or unset it",
};
const provider: VarRule = {
  check: matching(PROVIDER_SPEC),
  fix: "use offline, openai:MODEL or anthropic:MODEL (for example openai:gpt-4o-mini)",
};

/** A Notion id: 32 hex digits, with or without the dashes of a UUID. */
const notionId: VarRule = {
  check: matching(/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i),
  fix: "use the data source id (32 hex digits; `maos notion setup` prints the ledger's, and a data source's ••• menu copies it)",
};

const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

const RULES: Partial<Record<keyof Env, VarRule>> = {
  PORT: {
    check: (v) => {
      const n = Number(v);
      return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
    },
    fix: "use a TCP port number from 1 to 65535 (0 picks a free port)",
  },
  MAOS_BIND: {
    check: (v) => (isBindAddress(v) ? v : undefined),
    fix: "use an IP address to listen on: 127.0.0.1 (this machine only), 0.0.0.0 (every interface), or one interface's address",
  },
  LOG_LEVEL: {
    check: (v) => (LOG_LEVELS.has(v) ? v : undefined),
    fix: "use one of fatal, error, warn, info, debug, trace, silent",
  },
  MAOS_PRIME: provider,
  MAOS_BACKUP: provider,
  OPENAI_BASE_URL: url,
  ANTHROPIC_BASE_URL: url,
  SLACK_API_URL: url,
  NOTION_BASE_URL: url,
  TEAMWORK_SITE: url,
  DATABASE_URL: {
    check: (v) => (/^postgres(ql)?:\/\//.test(v) && URL.canParse(v) ? v : undefined),
    fix: "use a PostgreSQL URL such as postgres://maos:PASSWORD@db.internal:5432/maos",
  },
  SLACK_BOT_TOKEN: {
    check: matching(/^xoxb-/),
    fix: "use the Bot User OAuth Token (it starts with xoxb-) from the app's OAuth & Permissions page",
  },
  SLACK_APP_TOKEN: {
    check: matching(/^xapp-/),
    fix: "use an app-level token with connections:write (it starts with xapp-), or unset it for HTTP mode",
  },
  TEAMWORK_TASKLIST_ID: { check: matching(/^\d+$/), fix: "use the numeric id of the task list" },
  NOTION_LEDGER_DATA_SOURCE_ID: notionId,
  NOTION_SECRETS_DATA_SOURCE_ID: notionId,
  NOTION_CLIENT_MATRIX_DATA_SOURCE_ID: notionId,
  MAOS_MCP_TOKENS: {
    check: matching(/^\s*[A-Za-z0-9_.-]+:[0-9a-fA-F]{64}\s*(,\s*[A-Za-z0-9_.-]+:[0-9a-fA-F]{64}\s*)*$/),
    fix: 'list NAME:SHA256 pairs separated by commas, the SHA-256 of each client\'s token in hex (printf %s "$TOKEN" | sha256sum)',
  },
  MAOS_MCP_ALLOWED_HOSTS: {
    check: matching(/^[A-Za-z0-9.:[\]-]+(\s*,\s*[A-Za-z0-9.:[\]-]+)*$/),
    fix: "list host names separated by commas, e.g. codex.example.com,10.0.0.5",
  },
  MAOS_MCP_AUTHORIZATION_SERVERS: {
    check: (v) =>
      v.split(",").every((u) => URL.canParse(u.trim()) && /^https?:/.test(u.trim())) ? v : undefined,
    fix: "list authorization-server URLs separated by commas, e.g. https://auth.example.com",
  },
  MAOS_EMBEDDINGS: {
    check: matching(/^(openai:[^\s]+|hash:\d{1,4})$/),
    fix: "use openai:MODEL (any OpenAI-compatible /v1/embeddings, e.g. openai:text-embedding-3-small) or hash:DIM for the offline test embedder",
  },
  MAOS_EMBEDDINGS_BASE_URL: url,
  MAOS_CLIENT_SYNC_CRON: {
    check: (v) => {
      const fields = v.trim().split(/\s+/).length;
      return fields >= 5 && fields <= 6 ? v : undefined;
    },
    fix: 'use a cron expression such as "*/15 * * * *" (read in America/Chicago)',
  },
};

/**
 * Reads and validates the environment once, at the edge. A set but malformed variable stops start-up
 * with a message naming the variable and the fix; unset optional ones mean "off".
 */
export function loadEnv(source: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Env {
  const raw = (name: keyof Env): string | undefined => {
    const v = source[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const problems: string[] = [];
  const read = <T>(name: keyof Env): T | undefined => {
    const v = raw(name);
    const rule = RULES[name];
    if (v === undefined || !rule) return v as T | undefined;
    const checked = rule.check(v);
    if (checked !== undefined) return checked as T;
    problems.push(`${name} is set but malformed: ${rule.fix}`);
    return undefined;
  };
  const abs = (p: string) => path.resolve(cwd, p);

  const env: Env = {
    MAOS_HOME: abs(raw("MAOS_HOME") ?? "./data"),
    DATABASE_URL: read<string>("DATABASE_URL"),
    MAOS_REPLICA: raw("MAOS_REPLICA"),
    MAOS_CHARTER: abs(raw("MAOS_CHARTER") ?? "./charter.yml"),
    MAOS_STACKS: abs(raw("MAOS_STACKS") ?? "./stacks"),
    PORT: read<number>("PORT") ?? 8000,
    MAOS_BIND: read<string>("MAOS_BIND"),
    LOG_LEVEL: read<Env["LOG_LEVEL"]>("LOG_LEVEL") ?? "info",
    LOG_LEVEL_SET: raw("LOG_LEVEL") !== undefined,
    MAOS_PRIME: read<string>("MAOS_PRIME") ?? "offline",
    MAOS_BACKUP: read<string>("MAOS_BACKUP"),
    MAOS_ENVIRONMENT: raw("MAOS_ENVIRONMENT"),
    MAOS_LEDGER_KEY: raw("MAOS_LEDGER_KEY"),
    MAOS_VAULT_REMOTE: raw("MAOS_VAULT_REMOTE"),
    MAOS_VAULT_SIGNING_KEY: raw("MAOS_VAULT_SIGNING_KEY"),
    MAOS_ROLES: raw("MAOS_ROLES"),
    MAOS_RELAY_TOKEN: raw("MAOS_RELAY_TOKEN"),
    OPENAI_API_KEY: raw("OPENAI_API_KEY"),
    OPENAI_BASE_URL: read<string>("OPENAI_BASE_URL"),
    ANTHROPIC_API_KEY: raw("ANTHROPIC_API_KEY"),
    ANTHROPIC_BASE_URL: read<string>("ANTHROPIC_BASE_URL"),
    SLACK_BOT_TOKEN: read<string>("SLACK_BOT_TOKEN"),
    SLACK_APP_TOKEN: read<string>("SLACK_APP_TOKEN"),
    SLACK_SIGNING_SECRET: raw("SLACK_SIGNING_SECRET"),
    SLACK_API_URL: read<string>("SLACK_API_URL"),
    NOTION_TOKEN: raw("NOTION_TOKEN"),
    NOTION_BASE_URL: read<string>("NOTION_BASE_URL"),
    NOTION_LEDGER_DATA_SOURCE_ID: read<string>("NOTION_LEDGER_DATA_SOURCE_ID"),
    NOTION_SECRETS_DATA_SOURCE_ID: read<string>("NOTION_SECRETS_DATA_SOURCE_ID"),
    NOTION_CLIENT_MATRIX_DATA_SOURCE_ID: read<string>("NOTION_CLIENT_MATRIX_DATA_SOURCE_ID"),
    MAOS_CLIENT_SYNC_CRON: read<string>("MAOS_CLIENT_SYNC_CRON") ?? "*/15 * * * *",
    TEAMWORK_SITE: read<string>("TEAMWORK_SITE"),
    TEAMWORK_API_KEY: raw("TEAMWORK_API_KEY"),
    TEAMWORK_TASKLIST_ID: read<string>("TEAMWORK_TASKLIST_ID"),
    MAOS_MCP_TOKENS: read<string>("MAOS_MCP_TOKENS"),
    MAOS_MCP_ALLOWED_HOSTS: read<string>("MAOS_MCP_ALLOWED_HOSTS"),
    MAOS_MCP_AUTHORIZATION_SERVERS: read<string>("MAOS_MCP_AUTHORIZATION_SERVERS"),
    MAOS_EMBEDDINGS: read<string>("MAOS_EMBEDDINGS"),
    MAOS_EMBEDDINGS_BASE_URL: read<string>("MAOS_EMBEDDINGS_BASE_URL"),
  };
  if (problems.length > 0) {
    throw new CodexError("CONFIG_INVALID", problems.join("\n"), {
      hint: "fix the variable in your environment or .env file (see .env.example)",
    });
  }
  return env;
}

/** Values that must never appear in logs, the ledger, the vault or Slack. */
export function secretValues(env: Env): string[] {
  return [
    env.OPENAI_API_KEY,
    env.ANTHROPIC_API_KEY,
    env.SLACK_BOT_TOKEN,
    env.SLACK_APP_TOKEN,
    env.SLACK_SIGNING_SECRET,
    env.NOTION_TOKEN,
    env.TEAMWORK_API_KEY,
    env.MAOS_LEDGER_KEY,
    env.MAOS_RELAY_TOKEN,
    env.DATABASE_URL,
    databasePassword(env.DATABASE_URL),
    // Values the Notion secrets registry loaded: every one is a secret, whatever its name.
    ...registeredSecretValues(),
  ].filter((v): v is string => typeof v === "string" && v.length >= MIN_SECRET_LENGTH);
}

/** The password inside DATABASE_URL, a secret of its own wherever it shows up without the URL. */
function databasePassword(url: string | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const password = decodeURIComponent(new URL(url).password);
  return password === "" ? undefined : password;
}
