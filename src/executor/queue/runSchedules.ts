import type { RunSchedule } from "../../governance/charterRuns.ts";
import type { Stack } from "../../stacks/index.ts";

/**
 * Every scheduled run: the charter's `runs.schedules`, then each stack's own `schedule:`. Both were
 * checked when read (cron fields, time zone, input names); PgRunQueue.setSchedules sets them.
 */
export function scheduledRuns(
  charterSchedules: readonly RunSchedule[],
  stacks: readonly Stack[],
): RunSchedule[] {
  return [
    ...charterSchedules,
    ...stacks.flatMap((s) => (s.schedule ? [{ stack: s.name, ...s.schedule }] : [])),
  ];
}
