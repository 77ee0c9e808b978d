/** The seed makes America/Chicago mandatory beside UTC in every log, seal and timestamp. */
export const CHICAGO = "America/Chicago";

// Built on first use: loading the time-zone data costs tens of ms at start-up, and a command that
// writes nothing (`maos ledger tail`) never needs it.
let chicagoFormat: Intl.DateTimeFormat | undefined;
const chicagoParts = () =>
  (chicagoFormat ??= new Intl.DateTimeFormat("en-US", {
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
  }));

/** ISO 8601 UTC with milliseconds: 2026-11-21T15:00:00.000Z */
export function utcIso(date: Date): string {
  return date.toISOString();
}

const HOUR_MS = 3_600_000;
/** The UTC hour the cached offset is for, and the offset ("-06:00") and its milliseconds. */
let offsetHour = Number.NaN;
let offsetText = "";
let offsetMs = 0;

/**
 * ISO 8601 in Chicago with its offset: 2026-11-21T09:00:00.000-06:00. Every ledger entry carries one, so
 * the offset is looked up once per UTC hour (Chicago changes offset only on the hour) and the rest is
 * arithmetic; Intl's formatToParts costs tens of µs a call. Dates outside years 1900–9999 take the slow path.
 */
export function chicagoIso(date: Date): string {
  const ms = date.getTime();
  if (!(ms >= -2_208_988_800_000 && ms < 253_402_300_800_000)) return chicagoIsoIntl(date);
  const hour = Math.floor(ms / HOUR_MS);
  if (hour !== offsetHour) {
    const full = chicagoIsoIntl(date);
    const m = /([+-])(\d\d):(\d\d)$/.exec(full);
    if (!m) return full;
    offsetHour = hour;
    offsetText = m[0];
    offsetMs = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
  }
  return `${new Date(ms + offsetMs).toISOString().slice(0, 23)}${offsetText}`;
}

/** chicagoIso through Intl, for any date. */
export function chicagoIsoIntl(date: Date): string {
  const p: Record<string, string> = {};
  for (const part of chicagoParts().formatToParts(date)) p[part.type] = part.value;
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
