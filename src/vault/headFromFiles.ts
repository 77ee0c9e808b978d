import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * HEAD's commit id read straight from a git directory (no process): a detached HEAD, a loose ref, else
 * packed-refs. Undefined when it cannot be read that way (no commit yet, or an unusual layout).
 */
export async function headFromFiles(gitDir: string): Promise<string | undefined> {
  const head = (await readFile(join(gitDir, "HEAD"), "utf8").catch(() => "")).trim();
  if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head)) return head;
  if (!head.startsWith("ref: ")) return undefined;
  const ref = head.slice(5);
  const loose = (await readFile(join(gitDir, ref), "utf8").catch(() => "")).trim();
  if (loose) return loose;
  const packed = await readFile(join(gitDir, "packed-refs"), "utf8").catch(() => "");
  for (const line of packed.split("\n")) {
    const [hash, name] = line.split(" ");
    if (name === ref && hash) return hash;
  }
  return undefined;
}
