import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { memoryReindex, memorySearch } from "../../commands/memory.ts";
import { run } from "../../commands/run.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { hashEmbedder } from "../../src/memory/Embedder.ts";
import { MemoryIndex } from "../../src/memory/MemoryIndex.ts";
import { memoryHealth } from "../../src/memory/memoryHealth.ts";
import { memoryPath } from "../../src/memory/openMemory.ts";
import { FAKE_EMBEDDING_DIM, startFakeOpenAI } from "../fakes/openaiServer.ts";
import { testApp } from "../helpers/testApp.ts";

const actor: Actor = { source: "cli", id: "local:tester" };

test("memory: keyword search cites ledger seqs and vault paths, the next run's prompts carry it, reindex rebuilds it", async () => {
  const t = testApp();
  try {
    const first = await run(
      { stack: "marketing_ops", inputs: { event: "Midwest Builders Expo" } },
      actor,
      t.app,
    );
    const r = await memorySearch(t.app, { query: "Midwest Builders Expo campaign" });
    assert.equal(r.mode, "keyword");
    assert.equal(r.vectors, null);
    assert.ok(r.hits.length > 0);
    assert.equal(r.through, t.app.ledger().head().seq);
    for (const h of r.hits) {
      const entry = t.app
        .ledger()
        .tail(t.app.ledger().size())
        .find((e) => e.seq === h.seq);
      assert.ok(entry && ["RUN_SEALED", "WISDOM_RECORDED"].includes(entry.eventType), `seq ${h.seq}`);
      if (h.vaultPath?.startsWith("runs/"))
        assert.ok(readFileSync(path.join(t.home, "vault", h.vaultPath), "utf8"));
    }
    const lessons = await memorySearch(t.app, { query: "lesson", stack: "marketing_ops", limit: 50 });
    assert.ok(lessons.hits.every((h) => h.stack === "marketing_ops"));

    const second = await run(
      { stack: "marketing_ops", inputs: { event: "Midwest Builders Expo" } },
      actor,
      t.app,
    );
    assert.ok(second.memoryUsed.length > 0, "the second run's agents got memory");
    assert.ok(second.memoryUsed.every((m) => m.seq <= t.app.ledger().head().seq));
    const digest = readFileSync(path.join(second.vault.path, "codex_digest_report.md"), "utf8");
    assert.match(digest, /## Memory used\n\n- ledger seq \d+ /);
    assert.equal(first.memoryUsed.length, 0);

    await memorySearch(t.app, { query: "catch up" });
    const before = t.app.memory().info().items;
    const re = await memoryReindex(t.app);
    assert.equal(re.items, before);
    assert.equal(re.through, t.app.ledger().head().seq);

    const health = await memoryHealth(t.app.memory(), t.app.ledgerPath(), t.home, t.app.ledger().head().seq);
    assert.equal(health.ok, true, health.detail);
    assert.match(health.detail, /in step with the ledger/);
  } finally {
    await t.cleanup();
  }
});

test("memory: hybrid search over an OpenAI-compatible /v1/embeddings; another model means a rebuild, never a mix", async () => {
  const fake = await startFakeOpenAI();
  const t = testApp({
    MAOS_EMBEDDINGS: "openai:text-embedding-3-small",
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: "sk-fake-embeddings-key-000000000000",
  });
  try {
    await run({ stack: "marketing_ops", inputs: { event: "Midwest Builders Expo" } }, actor, t.app);
    const r = await memorySearch(t.app, { query: "Midwest Builders Expo" });
    assert.equal(r.mode, "hybrid");
    assert.match(r.vectors ?? "", /^openai:text-embedding-3-small via 127\.0\.0\.1:\d+$/);
    assert.ok(r.hits.some((h) => h.via.includes("vector")));
    assert.ok(
      r.hits.some((h) => h.via.length === 2),
      "fused: found by both rankings",
    );
    assert.ok(fake.requests.some((q) => q.path === "/v1/embeddings"));
    const info = t.app.memory().info();
    assert.equal(info.dim, FAKE_EMBEDDING_DIM);
    assert.equal(info.embedder, "openai:text-embedding-3-small");
    const items = info.items;
    t.app.memory().close();

    // The same file under the offline test embedder: the recorded model differs, so it is rebuilt.
    const other = MemoryIndex.open(memoryPath(t.home), hashEmbedder(32));
    try {
      assert.equal(other.info().items, 0);
      assert.equal(other.info().through, -1);
      const sync = await other.sync(t.app.ledgerPath(), path.join(t.home, "vault"));
      assert.equal(sync.rebuilt, true);
      assert.equal(other.info().dim, 32);
      assert.equal(other.info().items, items);
      assert.match(other.info().label ?? "", /not semantic/);
      assert.equal((await other.search({ query: "Midwest" })).mode, "hybrid");
    } finally {
      other.close();
    }
  } finally {
    await t.cleanup();
    await fake.close();
  }
});

test("memory: 100 items with the offline embedder rank the item that shares the query's words first", async () => {
  const t = testApp();
  const index = MemoryIndex.open(path.join(t.home, "bench-memory.db"), hashEmbedder(64));
  try {
    const items = Array.from({ length: 100 }, (_, i) => ({
      seq: i + 1,
      part: 0,
      kind: "lesson" as const,
      stack: i % 2 ? "marketing_ops" : "field_estimator",
      runId: null,
      vaultPath: "codex_wisdom_log.md",
      text:
        i === 42
          ? "Name the booth number and the demo time in every invitation"
          : `Generic lesson number ${i} about tone`,
    }));
    await index.add(items, 100);
    const r = await index.search({ query: "booth number demo invitation", limit: 3 });
    assert.equal(r.hits[0]?.seq, 43);
    assert.deepEqual(r.hits[0]?.via, ["keyword", "vector"]);
    const filtered = await index.search({ query: "booth", stack: "field_estimator", limit: 3 });
    assert.ok(filtered.hits.every((h) => h.stack === "field_estimator"));
  } finally {
    index.close();
    await t.cleanup();
  }
});
