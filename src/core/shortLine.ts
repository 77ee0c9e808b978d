/**
 * A value as a listing shows it: its first line, cut at `max` characters, and how many lines it has
 * when more than one. The equipment stack's default inventory is a 13-line CSV; `stacks list` names
 * the inputs, it does not reprint them.
 */
export function shortLine(value: string, max = 40): string {
  const lines = value.replace(/\n+$/, "").split("\n");
  const first = lines[0] ?? "";
  const cut = first.length > max ? `${first.slice(0, max).trimEnd()}…` : first;
  return lines.length > 1 ? `${cut} (${lines.length} lines)` : cut;
}
