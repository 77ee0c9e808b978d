import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { isStackFileName } from "../stacks/scanStacks.ts";
import type { ConfigDeps } from "./AutonomyDeps.ts";

/** The repository root: where manifest.yml ships. */
const PACKAGE_ROOT = path.resolve(import.meta.dirname, "../..");

/** File label → hex SHA-256 of its bytes. */
export type ConfigHashes = Record<string, string>;

export interface ConfigChange {
  file: string;
  change: "changed" | "added" | "removed";
}

/** The Slack manifest: beside the charter when one is there (a deployment's own), else the shipped one. */
export function manifestPath(app: Pick<ConfigDeps, "env">): string {
  const beside = path.join(path.dirname(app.env.MAOS_CHARTER), "manifest.yml");
  return existsSync(beside) ? beside : path.join(PACKAGE_ROOT, "manifest.yml");
}

/** The files seals cover and SRR freezes: the charter, every stack file and the Slack manifest. */
export function configFiles(app: ConfigDeps): { label: string; path: string }[] {
  const files = [{ label: `charter:${path.basename(app.env.MAOS_CHARTER)}`, path: app.env.MAOS_CHARTER }];
  let stacks: string[] = [];
  try {
    stacks = readdirSync(app.stacksDir).filter(isStackFileName).sort();
  } catch {
    // A missing stacks folder hashes as no stacks; the core-pack check reports it.
  }
  for (const f of stacks) files.push({ label: `stack:${f}`, path: path.join(app.stacksDir, f) });
  files.push({ label: "manifest:manifest.yml", path: manifestPath(app) });
  return files;
}

/** Hashes every config file now; a file that cannot be read hashes as "missing". */
export function configHashes(app: ConfigDeps): ConfigHashes {
  const out: ConfigHashes = {};
  for (const f of configFiles(app)) {
    try {
      out[f.label] = createHash("sha256").update(readFileSync(f.path)).digest("hex");
    } catch {
      out[f.label] = "missing";
    }
  }
  return out;
}

/** What differs between a recorded set of hashes and the current one. */
export function diffHashes(recorded: ConfigHashes, current: ConfigHashes): ConfigChange[] {
  const changes: ConfigChange[] = [];
  for (const [file, hash] of Object.entries(current)) {
    const before = recorded[file];
    if (before === undefined) changes.push({ file, change: "added" });
    else if (before !== hash) changes.push({ file, change: "changed" });
  }
  for (const file of Object.keys(recorded)) {
    if (!(file in current)) changes.push({ file, change: "removed" });
  }
  return changes.sort((a, b) => a.file.localeCompare(b.file));
}
