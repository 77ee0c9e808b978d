// A process whose only pending work is a memory search on the reader's thread (a CLI run waiting on its
// recall): it must print the answer, not exit while the search is in flight. Used by largeIndex.test.ts.
import { MemoryIndex } from "../../src/memory/MemoryIndex.ts";

const index = MemoryIndex.open(process.argv[2] ?? "");
setImmediate(async () => {
  const r = await index.search({ query: process.argv[3] ?? "", stack: "marketing_ops" });
  process.stdout.write(`${r.hits[0]?.text ?? "(none)"}\n`);
  index.close();
});
