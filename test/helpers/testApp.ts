import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type App, type AppOptions, createApp } from "../../src/app/createApp.ts";
import { loadEnv } from "../../src/config/loadEnv.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { createLogger } from "../../src/core/logger.ts";

export const REPO = path.resolve(import.meta.dirname, "../..");

export interface TestApp {
  app: App;
  home: string;
  clock: ManualClock;
  cleanup(): Promise<void>;
}

/**
 * A real app on a temp MAOS_HOME with the repo's stacks and charter, a ManualClock and silent logs.
 * Backoff sleeps (≤ 30 s) pass at once; request timeouts (60 s) only fire when a test advances the clock.
 */
export function testApp(envOverrides: Record<string, string> = {}, opts: AppOptions = {}): TestApp {
  // A test that names its own MAOS_HOME owns that folder; only a folder made here is removed by cleanup.
  const own = envOverrides.MAOS_HOME === undefined;
  const home = envOverrides.MAOS_HOME ?? mkdtempSync(path.join(os.tmpdir(), "maos-test-"));
  const removeHome = () => {
    if (own) rmSync(home, { recursive: true, force: true });
  };
  const clock = new ManualClock("2026-11-21T15:00:00.000Z", { autoAdvance: true, autoAdvanceMaxMs: 30_000 });
  let app: App;
  try {
    const env = loadEnv(
      {
        MAOS_HOME: home,
        MAOS_STACKS: path.join(REPO, "stacks"),
        MAOS_CHARTER: path.join(REPO, "charter.yml"),
        ...envOverrides,
      },
      REPO,
    );
    app = createApp({ env, clock, log: createLogger({ level: "silent" }), random: () => 0.5, ...opts });
  } catch (err) {
    // A test of a refused setting (loadEnv or createApp throws) leaves no folder behind either.
    removeHome();
    throw err;
  }
  return {
    app,
    home,
    clock,
    async cleanup() {
      await app.close();
      removeHome();
    },
  };
}
