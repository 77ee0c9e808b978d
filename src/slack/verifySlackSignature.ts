// The default import (not `{ timingSafeEqual }`): calls go through the module object, so a test can
// observe that the comparison really is the constant-time one.
import crypto from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { CodexError } from "../core/CodexError.ts";

/** Slack's documented replay window: a request more than 5 minutes from now, either way, is refused. */
export const SLACK_SIGNATURE_TOLERANCE_SECONDS = 300;

export type SlackSignatureFailure = "missing_headers" | "stale_timestamp" | "bad_signature" | "malformed";
export type SlackSignatureResult = { ok: true } | { ok: false; reason: SlackSignatureFailure };

export interface VerifySlackSignatureOptions {
  signingSecret: string;
  /** The X-Slack-Request-Timestamp header (Unix seconds). */
  timestamp: string | undefined;
  /** The X-Slack-Signature header: `v0=` and 64 hex digits. */
  signature: string | undefined;
  /** The body exactly as received, before any parsing. */
  rawBody: string | Buffer;
  /** Now, in Unix seconds, read from the injected Clock by the caller. */
  nowSeconds: number;
  toleranceSeconds?: number;
}

/**
 * Checks a request from Slack: HMAC-SHA256 with the signing secret over `v0:{timestamp}:{raw body}`,
 * hex-encoded behind `v0=`. Time comes in as `nowSeconds` so tests and replays use an injected clock
 * (Bolt's HTTPReceiver reads Date.now() itself and only refuses old timestamps, not future ones).
 */
export function verifySlackSignature(opts: VerifySlackSignatureOptions): SlackSignatureResult {
  if (!opts.signingSecret) {
    throw new CodexError(
      "CONFIG_INVALID",
      "The Slack signing secret is empty, so requests cannot be verified.",
      {
        hint: "Set SLACK_SIGNING_SECRET to the app's Signing Secret (Basic Information > App Credentials).",
      },
    );
  }
  const { timestamp, signature } = opts;
  if (!timestamp || !signature) return { ok: false, reason: "missing_headers" };
  // At most 12 digits keeps the number exact and rejects signs, decimals and exponents.
  if (!/^\d{1,12}$/.test(timestamp) || !signature.startsWith("v0="))
    return { ok: false, reason: "malformed" };

  const tolerance = opts.toleranceSeconds ?? SLACK_SIGNATURE_TOLERANCE_SECONDS;
  if (Math.abs(opts.nowSeconds - Number(timestamp)) > tolerance)
    return { ok: false, reason: "stale_timestamp" };

  const hmac = crypto.createHmac("sha256", opts.signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(opts.rawBody);
  const expected = Buffer.from(`v0=${hmac.digest("hex")}`, "utf8");
  const given = Buffer.from(signature, "utf8");
  // timingSafeEqual throws on unequal lengths; the length of a signature is no secret.
  if (given.length !== expected.length) return { ok: false, reason: "bad_signature" };
  return crypto.timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: "bad_signature" };
}

/**
 * The two signing headers from a Node request, ready for verifySlackSignature. A header sent twice
 * arrives as an array and counts as missing: Slack sends each once.
 */
export function slackSignatureHeaders(headers: IncomingHttpHeaders): {
  timestamp: string | undefined;
  signature: string | undefined;
} {
  const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : undefined);
  return {
    timestamp: one(headers["x-slack-request-timestamp"]),
    signature: one(headers["x-slack-signature"]),
  };
}
