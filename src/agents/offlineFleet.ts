/**
 * The offline drafter on a fleet snapshot (an equipment CSV: unit, class, status, days on rent, hours,
 * next service, inspection): counts, time utilisation by class, service and repair lists, and the
 * recommendations that follow from them. Every number is computed from the rows given; a column that
 * is missing is named as a data gap instead of being guessed.
 */
import { cell } from "./textMeasures.ts";

interface Unit {
  id: string;
  cls: string;
  status: string;
  daysOnRent: number | undefined;
  daysAvailable: number | undefined;
  hours: number | undefined;
  nextService: number | undefined;
  inspection: string | undefined;
}

export interface Fleet {
  units: Unit[];
  /** Which expected fields the snapshot lacks, in words. */
  gaps: string[];
  /** Rows with an empty field the report uses. */
  incomplete: string[];
  target: number;
}

const COLUMNS: [keyof Unit, RegExp][] = [
  ["id", /^(unit[_ ]?id|unit|id|asset|serial)$/],
  ["cls", /class|category|type|model/],
  ["status", /status|state/],
  ["daysOnRent", /on[_ ]?rent|rented/],
  ["daysAvailable", /avail/],
  ["nextService", /next[_ ]?service|service[_ ]?due/],
  ["hours", /hours|hrs|meter/],
  ["inspection", /inspect/],
];

const LABELS: Record<keyof Unit, string> = {
  id: "unit id",
  cls: "equipment class",
  status: "status",
  daysOnRent: "days on rent",
  daysAvailable: "days available",
  hours: "engine hours",
  nextService: "next service (hours)",
  inspection: "annual inspection date",
};

/** Engine hours within which a service counts as coming due (about two weeks of single-shift use). */
const DUE_SOON_HOURS = 100;

const num = (v: string | undefined): number | undefined => {
  if (v === undefined || v.trim() === "") return undefined;
  const n = Number(v.replace(/,/g, ""));
  return Number.isFinite(n) ? n : undefined;
};

/** The fleet in `csv`, or undefined when it is not a fleet snapshot (no header naming a class and a status). */
export function parseFleet(csv: string, target: number): Fleet | undefined {
  const lines = csv
    .trim()
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "");
  const header = lines[0]?.split(",").map((h) => h.trim().toLowerCase());
  if (!header || lines.length < 2) return undefined;
  const index = new Map<keyof Unit, number>();
  for (const [key, re] of COLUMNS) {
    const i = header.findIndex((h, at) => re.test(h) && ![...index.values()].includes(at));
    if (i >= 0) index.set(key, i);
  }
  if (!index.has("cls") || !index.has("status")) return undefined;
  const incomplete: string[] = [];
  const units = lines.slice(1).map((line, row) => {
    const cells = line.split(",").map((c) => c.trim());
    const get = (k: keyof Unit) => {
      const i = index.get(k);
      return i === undefined ? undefined : cells[i];
    };
    const u: Unit = {
      id: get("id") || `row ${row + 2}`,
      cls: (get("cls") || "unclassified").toLowerCase(),
      status: (get("status") || "unknown").toLowerCase(),
      daysOnRent: num(get("daysOnRent")),
      daysAvailable: num(get("daysAvailable")),
      hours: num(get("hours")),
      nextService: num(get("nextService")),
      inspection: get("inspection") || undefined,
    };
    if ([...index.keys()].some((k) => (get(k) ?? "") === "")) incomplete.push(u.id);
    return u;
  });
  const gaps = COLUMNS.filter(([k]) => !index.has(k)).map(([k]) => LABELS[k]);
  return { units, gaps, incomplete, target };
}

const isDown = (u: Unit) => /down|repair|shop|out of service/.test(u.status);
const isOnRent = (u: Unit) => /on rent|rented|out/.test(u.status) && !isDown(u);
const isAvailable = (u: Unit) => /avail|ready|in yard/.test(u.status);
const pct = (n: number) => `${Math.round(n * 100)}%`;

function utilisation(units: Unit[]): number | undefined {
  const onRent = units.reduce((s, u) => s + (u.daysOnRent ?? 0), 0);
  const avail = units.reduce((s, u) => s + (u.daysAvailable ?? 0), 0);
  return avail > 0 ? onRent / avail : undefined;
}

function byClass(f: Fleet): [string, Unit[]][] {
  const map = new Map<string, Unit[]>();
  for (const u of f.units) map.set(u.cls, [...(map.get(u.cls) ?? []), u]);
  return [...map.entries()];
}

function serviceState(u: Unit): "past" | "soon" | undefined {
  if (u.hours === undefined || u.nextService === undefined) return undefined;
  if (u.hours >= u.nextService) return "past";
  return u.nextService - u.hours <= DUE_SOON_HOURS ? "soon" : undefined;
}

function summary(f: Fleet): string {
  const u = utilisation(f.units);
  const down = f.units.filter(isDown).length;
  const onRent = f.units.filter(isOnRent).length;
  const avail = f.units.filter(isAvailable).length;
  return [
    `${f.units.length} units in ${byClass(f).length} classes: ${onRent} on rent, ${avail} available, ${down} down for repair.`,
    u === undefined
      ? "Time utilisation cannot be computed: the snapshot has no days on rent and days available."
      : `Fleet time utilisation is ${pct(u)} (days on rent / days available), against a ${f.target}% target.`,
  ].join(" ");
}

function classTable(f: Fleet): string {
  const rows = byClass(f).map(([cls, us]) => {
    const u = utilisation(us);
    const flag = u === undefined ? "no data" : u * 100 < f.target ? "under target" : "at or over target";
    const avail = us.filter(isAvailable).length;
    return `| ${cell(cls)} | ${us.length} | ${us.filter(isOnRent).length} | ${avail} | ${us.filter(isDown).length} | ${u === undefined ? "—" : pct(u)} | ${flag}${avail === 0 ? "; none available" : ""} |`;
  });
  return [
    `| Class | Units | On rent | Available | Down | Time utilisation | vs ${f.target}% |`,
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

function gapsText(f: Fleet): string {
  const lines = [
    ...f.gaps.map((g) => `- No ${g} column: the figures that need it are not reported.`),
    ...(f.incomplete.length ? [`- Rows with an empty field: ${f.incomplete.join(", ")}.`] : []),
    "- No rental rates or revenue: utilisation is by time only, not by dollars.",
    "- No branch or location column: transfers are suggested by class, not by yard.",
  ];
  return lines.join("\n");
}

function serviceDue(f: Fleet): string {
  const due = f.units.filter((u) => serviceState(u) !== undefined);
  if (due.length === 0) return `No unit is past or within ${DUE_SOON_HOURS} hours of its service interval.`;
  return [
    "| Unit | Class | Engine hours | Next service at | State |",
    "|---|---|---|---|---|",
    ...due.map(
      (u) =>
        `| ${cell(u.id)} | ${cell(u.cls)} | ${u.hours} | ${u.nextService} | ${serviceState(u) === "past" ? `past due by ${(u.hours ?? 0) - (u.nextService ?? 0)} h` : `due in ${(u.nextService ?? 0) - (u.hours ?? 0)} h`} |`,
    ),
  ].join("\n");
}

function downUnits(f: Fleet): string {
  const down = f.units.filter(isDown);
  if (down.length === 0) return "No unit is down for repair in this snapshot.";
  return down
    .map(
      (u) =>
        `- ${u.id} (${u.cls}): ${u.status}${serviceState(u) === "past" ? `, and past its service interval (${u.hours} h of ${u.nextService} h)` : ""}.`,
    )
    .join("\n");
}

function inspections(f: Fleet): string[] {
  return f.units
    .filter((u) => u.inspection)
    .sort((a, b) => (a.inspection ?? "").localeCompare(b.inspection ?? ""))
    .slice(0, 3)
    .map((u) => `${u.id} (${u.cls}) annual inspection due ${u.inspection}`);
}

function actions(f: Fleet): string {
  const lines = [
    ...f.units
      .filter(isDown)
      .map((u) => `- ${u.id}: finish the repair and return it to the available line. Owner: shop.`),
    ...f.units
      .filter((u) => serviceState(u) === "past" && !isDown(u))
      .map((u) =>
        isOnRent(u)
          ? `- ${u.id}: past its service interval while on rent; schedule a field service. Owner: vendor.`
          : `- ${u.id}: service before its next rental. Owner: shop.`,
      ),
    ...f.units
      .filter((u) => serviceState(u) === "soon")
      .map((u) => `- ${u.id}: book its service at the next return. Owner: branch.`),
    ...inspections(f).map((i) => `- ${i}: book the inspector. Owner: branch.`),
  ];
  return lines.length ? lines.join("\n") : "- No service, repair or inspection action is due.";
}

function headlines(f: Fleet): string {
  const u = utilisation(f.units);
  return [
    `1. Fleet time utilisation: ${u === undefined ? "not computable from this snapshot" : `${pct(u)} against a ${f.target}% target`}.`,
    `2. Units available now: ${f.units.filter(isAvailable).length} of ${f.units.length}.`,
    `3. Units down for repair: ${f.units.filter(isDown).length}.`,
  ].join("\n");
}

function recommendations(f: Fleet): string {
  const classes = byClass(f);
  const lines: string[] = [];
  for (const [cls, us] of classes) {
    const u = utilisation(us);
    const avail = us.filter(isAvailable).length;
    if (avail === 0)
      lines.push(`- ${cls}: none available; re-rent or transfer one in before turning work away.`);
    else if (u !== undefined && u * 100 < f.target)
      lines.push(
        `- ${cls}: ${pct(u)} utilised with ${avail} available; offer ${avail === 1 ? "it" : `the ${avail} idle units`} for transfer to a busier branch, and review for sale if it stays under ${f.target}% next period.`,
      );
    else if (u !== undefined && u >= 0.85 && avail <= 1)
      lines.push(
        `- ${cls}: ${pct(u)} utilised with ${avail} available; price a purchase or a re-rent for peak weeks.`,
      );
  }
  const first = f.units.filter((u) => isDown(u) || serviceState(u) === "past").map((u) => u.id);
  if (first.length) lines.push(`- Service first: ${first.join(", ")} (down or past the interval).`);
  return lines.length ? lines.join("\n") : "- No class needs a transfer, a purchase or a sale this period.";
}

function maintenance(f: Fleet): string {
  const past = f.units.filter((u) => serviceState(u) === "past").map((u) => u.id);
  const soon = f.units.filter((u) => serviceState(u) === "soon").map((u) => u.id);
  return [
    `- Past the service interval: ${past.length ? past.join(", ") : "none"}.`,
    `- Within ${DUE_SOON_HOURS} hours of it: ${soon.length ? soon.join(", ") : "none"}.`,
    `- Down for repair: ${
      f.units
        .filter(isDown)
        .map((u) => u.id)
        .join(", ") || "none"
    }.`,
    ...inspections(f).map((i) => `- ${i}.`),
  ].join("\n");
}

const SECTIONS: [RegExp, (f: Fleet) => string][] = [
  [/fleet summary|^summary$/, summary],
  [/utili[sz]ation/, classTable],
  [/data gaps?|gaps/, gapsText],
  [/service due/, serviceDue],
  [/down units?/, downUnits],
  [/^actions?$/, actions],
  [/headlines?/, headlines],
  [/recommendations?/, recommendations],
  [/maintenance/, maintenance],
];

/** The body of a required section about the fleet, or undefined when the title is not one of them. */
export function fleetSection(title: string, f: Fleet): string | undefined {
  const key = title.trim().toLowerCase();
  return SECTIONS.find(([re]) => re.test(key))?.[1](f);
}
