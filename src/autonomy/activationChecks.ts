import { existsSync } from "node:fs";
import { relayBind } from "../config/relayBind.ts";
import { MIN_TOKEN_CHARS, relayToken } from "../config/relayToken.ts";
import { lastSecretsLoad } from "../secrets/loadNotionSecrets.ts";
import { loadStacks } from "../stacks/loadStacks.ts";
import { readLastChannel } from "../state/slackConnection.ts";
import type { ActivationDeps } from "./Activation.ts";
import { manifestPath } from "./configHashes.ts";

/** Activation's own checks: what is installed, which secrets are set, where Slack signals go. */

export async function corePack(app: ActivationDeps): Promise<{ ok: boolean; detail: string }> {
  const missing: string[] = [];
  const found: string[] = [];
  const charter = app.charter();
  found.push(`charter ${charter.file}`);
  const { stacks, errors } = loadStacks(app.stacksDir);
  if (stacks.length === 0) missing.push(`no valid stack in ${app.stacksDir} (MAOS_STACKS)`);
  else found.push(`${stacks.length} stacks`);
  if (errors.length > 0)
    missing.push(`${errors.length} invalid stack file(s): ${errors.map((e) => e.message).join("; ")}`);
  const manifest = manifestPath(app);
  if (existsSync(manifest)) found.push("manifest.yml");
  else missing.push(`the Slack manifest ${manifest}`);
  try {
    app.ledgerKey();
    found.push("ledger key");
    const head = await (await app.vault()).headCommit();
    found.push(`vault (HEAD ${head?.slice(0, 12) ?? "none"})`);
    found.push(`state.db schema v${await app.state().schemaVersion()}`);
  } catch (err) {
    missing.push(err instanceof Error ? err.message : String(err));
  }
  return missing.length === 0
    ? { ok: true, detail: `present: ${found.join(", ")}` }
    : { ok: false, detail: `missing: ${missing.join("; ")}` };
}

/** Which secrets the configured integrations need, and whether each is set (names only, never values). */
export function secretsLoaded(app: ActivationDeps): { ok: boolean; detail: string } {
  const env = app.env;
  const need: { name: string; set: boolean; why: string }[] = [];
  for (const spec of [env.MAOS_PRIME, env.MAOS_BACKUP]) {
    if (spec?.startsWith("openai:")) {
      need.push({
        name: "OPENAI_API_KEY",
        set: Boolean(env.OPENAI_API_KEY || env.OPENAI_BASE_URL),
        why: spec,
      });
    }
    if (spec?.startsWith("anthropic:"))
      need.push({ name: "ANTHROPIC_API_KEY", set: Boolean(env.ANTHROPIC_API_KEY), why: spec });
  }
  if (env.SLACK_BOT_TOKEN) {
    need.push({
      name: "SLACK_APP_TOKEN or SLACK_SIGNING_SECRET",
      set: Boolean(env.SLACK_APP_TOKEN || env.SLACK_SIGNING_SECRET),
      why: "Slack",
    });
  }
  // On a loopback-only relay, /heartbeat and /status answer this machine without a token.
  const bind = relayBind(app.env);
  const token = relayToken(app);
  if (!bind.loopback || token.value !== undefined) {
    need.push({
      name: token.name,
      set: (token.value?.length ?? 0) >= MIN_TOKEN_CHARS,
      why: `the relay's /heartbeat and /status on ${bind.host} (at least ${MIN_TOKEN_CHARS} characters)`,
    });
  }
  const missing = need.filter((n) => !n.set);
  const loaded = need.filter((n) => n.set).map((n) => n.name);
  const load = lastSecretsLoad();
  const registry = `Notion secrets registry: ${load.status === "loaded" ? load.detail : `${load.status}, ${load.detail}`}`;
  if (load.status === "failed")
    missing.push({ name: "NOTION_SECRETS_DATA_SOURCE_ID", set: false, why: load.detail });
  return missing.length === 0
    ? {
        ok: true,
        detail: `loaded from the environment: ${loaded.join(", ") || "none needed"} (values never shown); ${registry}`,
      }
    : {
        ok: false,
        detail: `not set: ${missing.map((m) => `${m.name} (for ${m.why})`).join(", ")}; ${registry}`,
      };
}

/** Where incidents and halts (and their Approve buttons) go on Slack: channels.signals, or the fallback. */
export async function signalsNote(app: ActivationDeps): Promise<string> {
  if (!app.env.SLACK_BOT_TOKEN) return "";
  const { channels, file } = app.charter();
  if (channels.signals)
    return `; Slack signals (incidents, halts, approvals) go to channels.signals ${channels.signals}`;
  const last = await readLastChannel(app.state());
  return `; channels.signals is empty in ${file}: incidents, halts and their approvals go to the channel where /codex was last used (${last ?? "none yet"}); set channels.signals to a channel id to fix one`;
}
