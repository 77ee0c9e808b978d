import { isIP } from "node:net";
import type { Env } from "./loadEnv.ts";

/** Where the relay server listens, and why there. */
export interface RelayBind {
  host: string;
  /** Only this machine can connect: the token-guarded routes may answer without a token. */
  loopback: boolean;
  /** `MAOS_BIND`, or the default and the reason for it, for logs and activation. */
  source: string;
}

/** 127.0.0.0/8, ::1 and the name localhost. */
export function isLoopbackAddress(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.replace(/^::ffff:/i, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** A value MAOS_BIND may take: an IPv4 or IPv6 address, or localhost. */
export function isBindAddress(value: string): boolean {
  return value.toLowerCase() === "localhost" || isIP(value) !== 0;
}

/**
 * The relay server's bind address. `MAOS_BIND` wins. Otherwise loopback (127.0.0.1), so a fresh install
 * answers `curl http://localhost:8000/heartbeat` on this machine and nothing else can reach it — except
 * in Slack's HTTP mode, whose /slack/events must be reachable from Slack: there every interface
 * (0.0.0.0), and the token-guarded routes need MAOS_RELAY_TOKEN.
 */
export function relayBind(
  env: Pick<Env, "MAOS_BIND" | "SLACK_BOT_TOKEN" | "SLACK_APP_TOKEN" | "SLACK_SIGNING_SECRET">,
): RelayBind {
  if (env.MAOS_BIND) {
    return { host: env.MAOS_BIND, loopback: isLoopbackAddress(env.MAOS_BIND), source: "MAOS_BIND" };
  }
  if (env.SLACK_BOT_TOKEN && !env.SLACK_APP_TOKEN && env.SLACK_SIGNING_SECRET) {
    return {
      host: "0.0.0.0",
      loopback: false,
      source: "the default in Slack's HTTP mode, which Slack must reach",
    };
  }
  return { host: "127.0.0.1", loopback: true, source: "the default: this machine only" };
}
