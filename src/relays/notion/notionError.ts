import { isHTTPResponseError, isNotionClientError, RequestTimeoutError } from "@notionhq/client";
import { serverWaitMs } from "../../core/retryPolicy.ts";
import { isEgressRefusal } from "../../egress/EgressGuard.ts";
import { DeliveryError, retryableStatus } from "../DeliveryError.ts";

/** Fixes for Notion's refusals, by status: what the operator has to change. */
const HINTS: Record<number, string> = {
  400: "the request was refused as invalid; check the data source's properties match `maos notion setup` (NOTION_LEDGER_DATA_SOURCE_ID)",
  401: "NOTION_TOKEN is not a valid integration token: copy the Internal Integration Secret again",
  403: "the integration lacks a capability: give it read, update and insert content in the integration settings",
  404: "the page or data source is not shared with the integration (••• → Connections → add it), or the id is wrong",
};

/** A @notionhq/client failure as a DeliveryError: retryable for 429, 529, 5xx, timeouts and network errors. */
export function notionDeliveryError(err: unknown, what: string, nowMs: number): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (isHTTPResponseError(err)) {
    return new DeliveryError(`Notion ${what}: ${err.code} (${err.message})`, {
      retryable: retryableStatus(err.status),
      status: err.status,
      waitMs: serverWaitMs(err.headers as Headers, nowMs),
      ...(HINTS[err.status] ? { hint: HINTS[err.status] as string } : {}),
      cause: err,
    });
  }
  if (RequestTimeoutError.isRequestTimeoutError(err)) {
    return new DeliveryError(`Notion ${what}: the request timed out`, { retryable: true, cause: err });
  }
  if (isNotionClientError(err)) {
    return new DeliveryError(`Notion ${what}: ${err.message}`, { retryable: false, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError(`Notion ${what}: ${message}`, {
    // A refused host never becomes allowed by waiting.
    retryable: !isEgressRefusal(err) && !isEgressRefusal((err as { cause?: unknown } | undefined)?.cause),
    cause: err,
  });
}
