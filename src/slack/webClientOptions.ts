import type { webApi } from "@slack/bolt";
import { CodexError } from "../core/CodexError.ts";

/** A hung call would hold its channel's queue in ChannelRateLimiter; Slack answers well within this. */
export const SLACK_CALL_TIMEOUT_MS = 15_000;

/**
 * Options for @slack/web-api's WebClient (Bolt's `clientOptions`), with one predictable retry loop:
 * - `rejectRateLimitedCalls: true`: on a 429 the client throws WebAPIRateLimitedError (`retryAfter` in
 *   seconds) instead of pausing its queue and sleeping on a real timer; ChannelRateLimiter waits it out
 *   through the injected Clock and retries the same call.
 * - `retryConfig: { retries: 0 }`: the client's p-retry loop (by default 10 retries over ~30 minutes,
 *   with real-time backoff) is off, so a network error surfaces at once.
 * `apiUrl` (SLACK_API_URL) points the client at a proxy, or at the fake in tests; WebClient appends
 * method names to it, so it must end in "/".
 */
export function slackWebClientOptions(
  opts: { apiUrl?: string | undefined; timeoutMs?: number } = {},
): webApi.WebClientOptions {
  const options: webApi.WebClientOptions = {
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: opts.timeoutMs ?? SLACK_CALL_TIMEOUT_MS,
  };
  if (opts.apiUrl !== undefined && opts.apiUrl !== "") options.slackApiUrl = normalizeApiUrl(opts.apiUrl);
  return options;
}

function normalizeApiUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw badUrl(raw, cause);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw badUrl(raw);
  return url.href.endsWith("/") ? url.href : `${url.href}/`;
}

function badUrl(raw: string, cause?: unknown): CodexError {
  return new CodexError("CONFIG_INVALID", `SLACK_API_URL is not an http(s) URL: "${raw}".`, {
    hint: "Set SLACK_API_URL to the Web API base, e.g. https://slack.com/api/, or unset it to use Slack's.",
    cause,
  });
}
