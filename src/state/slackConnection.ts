import type { StateApi } from "./StateApi.ts";
import { stateKey } from "./stateKey.ts";

/** Where this deployment's Slack connection stands, as the process that holds it last wrote it. */
export interface SlackConnectionStatus {
  mode: "socket" | "http";
  state: "connecting" | "connected" | "disconnected" | "listening" | "stopped";
  /** When `state` began (UTC ISO). */
  since: string;
  /** The Web API base apps.connections.open / auth.test go to. */
  apiUrl: string;
  /** Consecutive failed attempts (Socket Mode). */
  failures: number;
  /** The last failure, with its fix; kept while connected so status can show what happened. */
  lastError?: string | undefined;
  pid: number;
}

const KEY = stateKey<SlackConnectionStatus>("slack.connection");

/**
 * The connection status lives in state.db, so `maos status` in another process, the App Home and the
 * heartbeat's telemetry all read the same thing the bot wrote.
 */
export async function writeSlackConnection(state: StateApi, s: SlackConnectionStatus): Promise<void> {
  await state.setValue(KEY, s);
}

export async function readSlackConnection(state: StateApi): Promise<SlackConnectionStatus | undefined> {
  return state.getValue<SlackConnectionStatus>(KEY);
}

/** One line for status: mode, state, since, and the last error while not connected. */
export function describeSlackConnection(s: SlackConnectionStatus | undefined): string {
  if (!s) return "not started in this MAOS_HOME (no Slack tokens, or the bot has not run yet)";
  if (s.mode === "http") return `HTTP mode, ${s.state} since ${s.since}`;
  const base = `Socket Mode, ${s.state} since ${s.since}`;
  if (s.state === "connected" || s.state === "stopped") return base;
  return `${base}${s.failures > 0 ? `, ${s.failures} failed attempts` : ""}${s.lastError ? `: ${s.lastError}` : ""}`;
}

interface LastChannel {
  channel: string;
  at: string;
}
const LAST_CHANNEL = stateKey<LastChannel>("slack.lastChannel");

/** The channel `/codex` was last used in: where incidents and halts go while channels.signals is empty. */
export async function writeLastChannel(state: StateApi, channel: string, at: string): Promise<void> {
  await state.setValue(LAST_CHANNEL, { channel, at } satisfies LastChannel);
}

export async function readLastChannel(state: StateApi): Promise<string | undefined> {
  return (await state.getValue<LastChannel>(LAST_CHANNEL))?.channel;
}
