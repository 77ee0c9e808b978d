/**
 * A Notion page property value (API response shape) as plain text: rich text and titles joined, selects
 * by name, multi-selects and people comma-separated, numbers, dates (start → end), urls, emails,
 * checkboxes and formulas. Unknown types give undefined.
 */
export function propertyText(prop: unknown): string | undefined {
  const p = prop as Record<string, unknown> | undefined;
  if (!p || typeof p.type !== "string") return undefined;
  const v = p[p.type];
  const rich = (items: unknown) =>
    (Array.isArray(items) ? items : [])
      .map((t) => String((t as { plain_text?: unknown }).plain_text ?? ""))
      .join("");
  switch (p.type) {
    case "title":
    case "rich_text":
      return rich(v);
    case "select":
    case "status":
      return (v as { name?: string } | null)?.name;
    case "multi_select":
      return (Array.isArray(v) ? v : []).map((o) => String((o as { name?: unknown }).name ?? "")).join(", ");
    case "people":
      return (Array.isArray(v) ? v : [])
        .map((o) => String((o as { name?: unknown; id?: unknown }).name ?? (o as { id?: unknown }).id ?? ""))
        .join(", ");
    case "number":
      return typeof v === "number" ? String(v) : undefined;
    case "checkbox":
      return v === true ? "yes" : "no";
    case "date": {
      const d = v as { start?: string; end?: string | null } | null;
      return d?.start ? (d.end ? `${d.start} → ${d.end}` : d.start) : undefined;
    }
    case "url":
    case "email":
    case "phone_number":
      return typeof v === "string" ? v : undefined;
    case "formula": {
      const f = v as { type?: string } & Record<string, unknown>;
      const x = f?.type ? f[f.type] : undefined;
      return x === null || x === undefined ? undefined : String(x);
    }
    default:
      return undefined;
  }
}
