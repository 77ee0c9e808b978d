import { randomUUID } from "node:crypto";
import type { CommandContext } from "../../commands/CommandSpec.ts";
import { mcpDenial, recordRefusal } from "../../commands/permissions.ts";
import type { App } from "../app/App.ts";
import { type Actor, actorIdentity } from "../core/Actor.ts";
import { isCodexError } from "../core/CodexError.ts";
import { scrubValues } from "../core/scrubValues.ts";
import { redactSecrets } from "../governance/guardrails.ts";

/** Who is calling over MCP, and how. */
export interface McpCaller {
  actor: Actor;
  /** The configured client name (HTTP) or `stdio`. */
  client: string;
  transport: "http" | "stdio";
}

/** One MCP session's view of the app: the caller, and the calls still running (for a clean shutdown). */
export interface McpSession {
  app: App;
  caller: McpCaller;
  inflight: Set<Promise<unknown>>;
  /** Runs after every call (the session sends resources/updated for what the call changed). */
  afterCall?: () => Promise<void>;
}

export type CallOutcome = "ok" | "error" | "refused" | "cancelled";

/** What a governed handler produces: data for structured output, text for the content, and how it went. */
export interface Answer {
  data: Record<string, unknown>;
  text: string;
  outcome?: CallOutcome;
}

export interface Governed {
  ok: boolean;
  outcome: CallOutcome;
  data?: Record<string, unknown>;
  text: string;
}

export function commandContext(s: McpSession): CommandContext {
  return { app: s.app, actor: s.caller.actor };
}

/** Secret values and the charter's secret and PII patterns, scrubbed from everything MCP returns. */
export function scrubOutput(app: Pick<App, "charter" | "secrets">, text: string): string {
  return scrubValues(redactSecrets(text, app.charter().guardrails), app.secrets);
}

function scrubData(
  app: Pick<App, "charter" | "secrets">,
  data: Record<string, unknown>,
): Record<string, unknown> {
  const json = JSON.stringify(data);
  const clean = scrubOutput(app, json);
  return clean === json ? data : (JSON.parse(clean) as Record<string, unknown>);
}

/**
 * Every MCP tool call, resource read and prompt: the charter's permission check (a refusal is a
 * GOVERNANCE_REFUSAL entry), the handler, the secret scrubber on what goes back, and one MCP_REQUEST
 * ledger entry with the tool, the actor and the outcome. It never throws: errors become answers.
 */
export async function governedCall(
  s: McpSession,
  kind: "tool" | "resource" | "prompt",
  name: string,
  permission: string,
  handler: () => Promise<Answer>,
): Promise<Governed> {
  const { app, caller } = s;
  const ctx = commandContext(s);
  const actor = actorIdentity(caller.actor);
  const t0 = app.clock.monotonic();
  const record = async (outcome: CallOutcome, extra: Record<string, unknown> = {}) => {
    await app.ledger().append({
      eventType: "MCP_REQUEST",
      level: outcome === "ok" ? "info" : "warn",
      actor,
      correlationId: randomUUID(),
      payload: {
        [kind]: name,
        permission,
        client: caller.client,
        transport: caller.transport,
        outcome,
        ms: Math.round(app.clock.monotonic() - t0),
        ...extra,
      },
    });
  };
  const refuse = async (reason: string, needed: string[]): Promise<Governed> => {
    await recordRefusal(app.ledger(), actor, {
      command: permission,
      [kind]: name,
      needed,
      via: "mcp",
      client: caller.client,
    });
    await record("refused");
    return { ok: false, outcome: "refused", text: scrubOutput(app, reason) };
  };

  const denied = mcpDenial(ctx.app, ctx.actor, permission, `${kind} ${name}`);
  if (denied) return refuse(denied.reason, denied.needed);
  const work = (async (): Promise<Governed> => {
    try {
      const answer = await handler();
      const outcome = answer.outcome ?? "ok";
      await record(outcome);
      return {
        ok: outcome === "ok",
        outcome,
        data: scrubData(app, answer.data),
        text: scrubOutput(app, answer.text),
      };
    } catch (err) {
      if (isCodexError(err) && (err.code === "REFUSED" || err.code === "PERMISSION_DENIED")) {
        return refuse(`refused: ${err.message}${err.hint ? ` (fix: ${err.hint})` : ""}`, []);
      }
      if (isCodexError(err)) {
        await record("error", { code: err.code });
        return {
          ok: false,
          outcome: "error",
          text: scrubOutput(app, `${err.code}: ${err.message}${err.hint ? `\nfix: ${err.hint}` : ""}`),
        };
      }
      app.log.error({ err, [kind]: name, actor }, "mcp: request failed unexpectedly");
      await record("error", { code: "INTERNAL" });
      return {
        ok: false,
        outcome: "error",
        text: `${kind} ${name} failed on an unexpected error; the details are in the server log.`,
      };
    }
  })();
  s.inflight.add(work);
  try {
    return await work;
  } finally {
    s.inflight.delete(work);
    await s.afterCall?.();
  }
}
