import { Client, LogLevel } from "@notionhq/client";
import type { Logger } from "../../core/logger.ts";

/** The API version with data sources; the relay, the secrets registry and the client matrix all use it. */
export const NOTION_VERSION = "2025-09-03";

/**
 * The Notion client every part shares. Its own retry loop is off (`retry: false`; it would retry 429
 * and 529 by itself): the outbox dispatcher owns the one retry loop, honouring Retry-After. Requests go
 * through `fetch` — the egress guard, paced by the Notion limiter. The SDK's own log lines go to pino.
 */
export function createNotionClient(opts: {
  token: string;
  baseUrl?: string | undefined;
  fetch: typeof fetch;
  log: Logger;
}): Client {
  const log = opts.log.child({ part: "notion" });
  return new Client({
    auth: opts.token,
    notionVersion: NOTION_VERSION,
    ...(opts.baseUrl ? { baseUrl: opts.baseUrl.replace(/\/+$/, "") } : {}),
    fetch: opts.fetch,
    retry: false,
    timeoutMs: 30_000,
    logLevel: LogLevel.WARN,
    logger: (level, message, extraInfo) => {
      const fn =
        level === LogLevel.ERROR
          ? log.error.bind(log)
          : level === LogLevel.WARN
            ? log.warn.bind(log)
            : log.debug.bind(log);
      fn({ notion: extraInfo }, `notion: ${message}`);
    },
  });
}
