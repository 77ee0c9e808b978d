import { type ErrorCode, isCodexError } from "../core/CodexError.ts";

/** Exit 2 means "you asked for something malformed": bad usage, an invalid stack or configuration. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set([
  "USAGE",
  "STACK_INVALID",
  "STACK_NOT_FOUND",
  "CONFIG_INVALID",
  "CHARTER_INVALID",
  "INPUT_REFUSED",
]);

export function exitCodeFor(err: unknown): number {
  return isCodexError(err) && USAGE_CODES.has(err.code) ? 2 : 1;
}
