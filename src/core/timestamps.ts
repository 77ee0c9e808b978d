/** The seed makes America/Chicago mandatory beside UTC in every log, seal and timestamp. */
export const CHICAGO = "America/Chicago";

const chicagoParts = new Intl.DateTimeFormat("en-US", {
  timeZone: CHICAGO,
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  fractionalSecondDigits: 3,
  timeZoneName: "longOffset",
});

/** ISO 8601 UTC with milliseconds: 2026-11-21T15:00:00.000Z */
export function utcIso(date: Date): string {
  return date.toISOString();
}

/** ISO 8601 in Chicago with its offset: 2026-11-21T09:00:00.000-06:00 */
export function chicagoIso(date: Date): string {
  const p: Record<string, string> = {};
  for (const part of chicagoParts.formatToParts(date)) p[part.type] = part.value;
  // longOffset renders as "GMT-06:00" ("GMT" alone at a zero offset, which Chicago never has).
  const offset = (p.timeZoneName ?? "GMT").replace("GMT", "") || "+00:00";
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}.${p.fractionalSecond}${offset}`;
}

/** Compact UTC stamp for folder names: 20261121T150000Z */
export function compactUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}
