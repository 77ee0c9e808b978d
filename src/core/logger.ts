import pino from "pino";
import { MIN_SECRET_LENGTH, scrubValues } from "./scrubValues.ts";

export type Logger = pino.Logger;

/** Field paths pino blanks out wherever they appear, two levels deep. */
const REDACT = [
  "token",
  "apiKey",
  "authorization",
  "password",
  "secret",
  "*.token",
  "*.apiKey",
  "*.authorization",
  "*.password",
  "*.secret",
  "headers.authorization",
  "*.headers.authorization",
];

/**
 * Logs go to stderr so that `--json` output on stdout stays one clean document. Known secret values
 * are scrubbed from every line, whatever field they hide in.
 */
export function createLogger(opts: {
  level: string;
  secrets?: string[];
  destination?: NodeJS.WritableStream;
}): Logger {
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= MIN_SECRET_LENGTH);
  const scrub = (line: string) => scrubValues(line, secrets);
  const dest = opts.destination ?? process.stderr;
  const stream = secrets.length === 0 ? dest : { write: (line: string) => dest.write(scrub(line)) };
  return pino(
    { level: opts.level, redact: { paths: REDACT, censor: "[REDACTED]" }, base: { app: "maos-codex" } },
    stream as pino.DestinationStream,
  );
}
