import type { Reply } from "../../src/core/Reply.ts";
import type { Outcome, Zod } from "../CommandSpec.ts";

/** A reply of one line, for commands whose result is mostly data. */
export const textReply = (text: string, extra: Partial<Reply> = {}): Reply => ({
  summary: text,
  parts: [{ kind: "text", text }],
  ...extra,
});
export const done = <T>(data: T, reply: Reply, ok = true): Outcome<T> => ({ ok, data, reply });
// Schemas are built when a command runs (zod is slow to load; `maos --help` never pays for it).
export const words = (z: Zod) => z.array(z.string()).default([]);
export const joined = (z: Zod) => words(z).transform((w) => w.join(" "));
