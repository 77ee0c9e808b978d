import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type App, createApp } from "../../src/app/createApp.ts";
import { loadEnv } from "../../src/config/loadEnv.ts";
import { ManualClock } from "../../src/core/clock.ts";

export const REPO = path.resolve(import.meta.dirname, "../..");

/** A real app over the repo's stacks and charter, with its state in a fresh temp MAOS_HOME. */
export function testApp(env: Record<string, string> = {}): {
  app: App;
  home: string;
  cleanup(): Promise<void>;
} {
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-cmd-"));
  const app = createApp({
    env: loadEnv({
      MAOS_HOME: home,
      MAOS_STACKS: path.join(REPO, "stacks"),
      MAOS_CHARTER: path.join(REPO, "charter.yml"),
      LOG_LEVEL: "silent",
      ...env,
    }),
    clock: new ManualClock(),
  });
  return {
    app,
    home,
    async cleanup() {
      await app.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
