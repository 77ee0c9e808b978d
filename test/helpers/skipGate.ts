/**
 * A node:test reporter that makes a skipped test fail the gate (`npm test`). A test may skip only when it
 * names an environment it truly cannot have, with a reason that starts with `needs environment:` (a
 * missing system tool, a Node older than 22 to test the launcher with, …); those are listed loudly at
 * the end. Any other skip (a bare `skip: true`, a missing file the repository should carry) is listed
 * as a failure and sets the exit code to 1. Runs beside the spec reporter:
 *   node --test --test-reporter=spec --test-reporter-destination=stdout \
 *     --test-reporter=./test/helpers/skipGate.ts --test-reporter-destination=stderr …
 */
import type { TestEvent } from "node:test/reporters";

export const ALLOWED_SKIP = /^needs environment:/;

interface Skip {
  name: string;
  where: string;
  reason: string;
}

export default async function* skipGate(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const skips: Skip[] = [];
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const skip = (event.data as { skip?: string | boolean }).skip;
    if (skip === undefined || skip === false) continue;
    const d = event.data as { name: string; file?: string; line?: number };
    skips.push({
      name: d.name,
      where: d.file ? `${d.file}${d.line ? `:${d.line}` : ""}` : "?",
      reason: typeof skip === "string" ? skip : "(no reason given)",
    });
  }
  const allowed = skips.filter((s) => ALLOWED_SKIP.test(s.reason));
  const refused = skips.filter((s) => !ALLOWED_SKIP.test(s.reason));
  const lines: string[] = [];
  if (allowed.length > 0) {
    lines.push(`\n!!! ${allowed.length} test(s) SKIPPED: this machine lacks what they need`);
    for (const s of allowed) lines.push(`!!!   ${s.name} (${s.where}): ${s.reason}`);
  }
  if (refused.length > 0) {
    process.exitCode = 1;
    lines.push(
      `\n✖ ${refused.length} test(s) skipped without naming an environment they cannot have; a skipped test fails the gate`,
    );
    for (const s of refused) lines.push(`✖   ${s.name} (${s.where}): ${s.reason}`);
    lines.push(
      "✖   Make the test run here, or skip only with a reason that starts with 'needs environment:' (test/helpers/skipGate.ts).",
    );
  }
  if (lines.length > 0) yield `${lines.join("\n")}\n`;
}
