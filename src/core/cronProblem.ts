import { CronPattern } from "croner";

/**
 * Why a cron expression with its time zone cannot be used, or undefined when it can: five fields (the
 * queue fires at most once a minute), a pattern croner reads, and a zone the runtime knows.
 */
export function cronProblem(cron: string, timezone: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `expected five cron fields (minute hour day month weekday), got ${fields.length}: "${cron}"`;
  }
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    return `unknown time zone "${timezone}" (use an IANA name such as America/Chicago or UTC)`;
  }
  try {
    new CronPattern(cron, timezone);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^CronPattern: /, "") : String(err);
    return `not a valid cron expression (minute hour day month weekday): ${why}`;
  }
  return undefined;
}
