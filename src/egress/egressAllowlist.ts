import type { Env } from "../config/loadEnv.ts";

/** A host the configuration implies, with the port when it is not the scheme's default. */
export interface AllowedHost {
  /** Exact hostname, or `*.domain` for any subdomain. */
  host: string;
  /** Undefined: the scheme's default port (443/80). */
  port: number | undefined;
  /** `https:` or `http:`; a host configured as https is not reachable over plain http. */
  protocol?: string;
  /** Which setting implies it, for status and refusals. */
  why: string;
}

function fromUrl(raw: string | undefined, why: string): AllowedHost | undefined {
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    return {
      host: u.hostname.toLowerCase(),
      port: u.port === "" ? undefined : Number(u.port),
      protocol: u.protocol,
      why,
    };
  } catch {
    return undefined;
  }
}

/** `git@github.com:org/repo.git`, `ssh://…`, `https://…`; a local path implies no host. */
function gitRemoteHost(remote: string | undefined): AllowedHost | undefined {
  if (!remote) return undefined;
  const scp = /^[\w.-]+@([\w.-]+):/.exec(remote);
  if (scp)
    return {
      host: (scp[1] as string).toLowerCase(),
      port: undefined,
      protocol: "ssh:",
      why: "MAOS_VAULT_REMOTE",
    };
  return /^[a-z+]+:\/\//i.test(remote) ? fromUrl(remote, "MAOS_VAULT_REMOTE") : undefined;
}

/**
 * "No third-party relays": the only hosts outbound HTTP may reach are the ones the configuration implies —
 * Slack, Notion, Teamwork, the configured LLM endpoints and the vault remote. An integration that is off
 * implies nothing.
 */
export function egressAllowlist(env: Env): AllowedHost[] {
  const out: (AllowedHost | undefined)[] = [];
  const specs = [env.MAOS_PRIME, env.MAOS_BACKUP].filter((s): s is string => Boolean(s));
  if (env.SLACK_BOT_TOKEN || env.SLACK_APP_TOKEN) {
    out.push(
      { host: "slack.com", port: undefined, protocol: "https:", why: "SLACK_BOT_TOKEN" },
      // files.slack.com (uploads) and the Socket Mode endpoints.
      { host: "*.slack.com", port: undefined, protocol: "https:", why: "SLACK_BOT_TOKEN" },
      fromUrl(env.SLACK_API_URL, "SLACK_API_URL"),
    );
  }
  if (env.NOTION_TOKEN)
    out.push(
      fromUrl(
        env.NOTION_BASE_URL ?? "https://api.notion.com",
        env.NOTION_BASE_URL ? "NOTION_BASE_URL" : "NOTION_TOKEN",
      ),
    );
  if (env.TEAMWORK_SITE) out.push(fromUrl(env.TEAMWORK_SITE, "TEAMWORK_SITE"));
  if (specs.some((s) => s.startsWith("openai:")) || env.OPENAI_API_KEY || env.OPENAI_BASE_URL) {
    out.push(
      fromUrl(
        env.OPENAI_BASE_URL ?? "https://api.openai.com",
        env.OPENAI_BASE_URL ? "OPENAI_BASE_URL" : "MAOS_PRIME/MAOS_BACKUP (openai)",
      ),
    );
  }
  if (specs.some((s) => s.startsWith("anthropic:")) || env.ANTHROPIC_API_KEY || env.ANTHROPIC_BASE_URL) {
    out.push(
      fromUrl(
        env.ANTHROPIC_BASE_URL ?? "https://api.anthropic.com",
        env.ANTHROPIC_BASE_URL ? "ANTHROPIC_BASE_URL" : "MAOS_PRIME/MAOS_BACKUP (anthropic)",
      ),
    );
  }
  if (env.MAOS_EMBEDDINGS?.startsWith("openai:")) {
    const base = env.MAOS_EMBEDDINGS_BASE_URL ?? env.OPENAI_BASE_URL ?? "https://api.openai.com";
    out.push(fromUrl(base, env.MAOS_EMBEDDINGS_BASE_URL ? "MAOS_EMBEDDINGS_BASE_URL" : "MAOS_EMBEDDINGS"));
  }
  out.push(gitRemoteHost(env.MAOS_VAULT_REMOTE));
  const seen = new Set<string>();
  return out.filter((h): h is AllowedHost => {
    if (!h) return false;
    const key = `${h.host}:${h.port ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `host` or `host:port` as the refusal and status show it. */
export function hostLabel(h: { host: string; port: number | undefined }): string {
  return h.port === undefined ? h.host : `${h.host}:${h.port}`;
}
