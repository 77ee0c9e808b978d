import type { ErrorClass } from "./AttemptRecord.ts";
import { ProviderError } from "./ProviderError.ts";
import { redactSecrets } from "./redactSecrets.ts";

/** The class an HTTP status falls in; undefined for a success status. */
export function classifyStatus(status: number): ErrorClass {
  if (status === 400) return "bad_request";
  if (status === 401 || status === 403) return "auth";
  if (status === 408) return "request_timeout";
  if (status === 409) return "conflict";
  if (status === 422) return "unprocessable";
  if (status === 429) return "rate_limited";
  // 529 is Anthropic's "overloaded"; every 5xx is the server's trouble, not the request's.
  if (status >= 500 && status <= 599) return "server_error";
  return "unknown";
}

interface HeadersLike {
  get(name: string): string | null;
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (headers && typeof (headers as HeadersLike).get === "function") {
    return (headers as HeadersLike).get(name) ?? undefined;
  }
  return undefined;
}

/**
 * Turns anything a provider call threw into a ProviderError. Both official SDKs throw APIError subclasses
 * with `status` and `headers`, and connection errors named APIConnectionError / APIConnectionTimeoutError /
 * APIUserAbortError, so they are recognised by shape and name rather than by importing either SDK.
 * `secrets` are scrubbed from the message.
 */
export function classifyError(err: unknown, secrets: readonly (string | undefined)[] = []): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as {
    name?: unknown;
    message?: unknown;
    status?: unknown;
    headers?: unknown;
    code?: unknown;
    apiMessage?: unknown;
  };
  // The SDKs' error classes do not set `name`, so the class is read from the constructor.
  const ctor = (err as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  const name =
    typeof ctor === "string" && ctor !== "Error" ? ctor : typeof e?.name === "string" ? e.name : "";
  let raw = typeof e?.message === "string" && e.message ? e.message : String(err);
  // undici's word for a body cut off mid-read; say it in words people read in the thread.
  if (raw === "terminated") raw = "the connection closed before the answer was complete";
  // Anthropic's message is the whole JSON body; its apiMessage is the human part.
  if (typeof e?.apiMessage === "string" && typeof e.status === "number") raw = `${e.status} ${e.apiMessage}`;
  const message = redactSecrets(raw, secrets);
  if (typeof e?.status === "number") {
    const retryAfter = headerOf(e.headers, "retry-after");
    const retryAfterMs = headerOf(e.headers, "retry-after-ms");
    return new ProviderError(classifyStatus(e.status), message, {
      status: e.status,
      ...(retryAfter === undefined ? {} : { retryAfter }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      cause: err,
    });
  }
  if (name === "APIConnectionTimeoutError" || name === "TimeoutError") {
    return new ProviderError("timeout", message, { cause: err });
  }
  // The hub aborts a request only when its own timeout fires.
  if (name === "APIUserAbortError" || name === "AbortError") {
    return new ProviderError("timeout", message, { cause: err });
  }
  if (name === "APIConnectionError" || (err instanceof TypeError && /fetch failed/i.test(raw))) {
    return new ProviderError("network", message, { cause: err });
  }
  // A body cut off mid-read (a stream the connection dropped) surfaces as undici's TypeError
  // "terminated", whose cause carries the socket's code.
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof e?.code === "string" ? e.code : typeof cause?.code === "string" ? cause.code : "";
  if (/^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|UND_ERR_)/.test(code)) {
    return new ProviderError("network", message, { cause: err });
  }
  return new ProviderError("unknown", message, { cause: err });
}
