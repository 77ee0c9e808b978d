import { readFile } from "node:fs/promises";
import path from "node:path";
import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import { incidentShow } from "../../commands/incident.ts";
import { lessonsFor } from "../../commands/memory.ts";
import { listStacks } from "../../commands/stacks.ts";
import { CodexError } from "../core/CodexError.ts";
import { safeRelPath } from "../vault/safeRelPath.ts";
import { canonicalEntryText } from "./canonicalEntry.ts";
import { commandContext, governedCall, type McpSession } from "./governedCall.ts";

/** The resources that change and can be subscribed to. */
export const STATUS_URI = "maos://status";
export const LEDGER_HEAD_URI = "maos://ledger/head";
export const SUBSCRIBABLE = [STATUS_URI, LEDGER_HEAD_URI] as const;

type Read = (
  uri: URL,
  vars: Record<string, string | string[]>,
) => Promise<{ text: string; mimeType: string }>;

const one = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? "") : (v ?? ""));

function governedRead(s: McpSession, permission: string, read: Read) {
  return async (uri: URL, vars: Record<string, string | string[]>): Promise<ReadResourceResult> => {
    let body: { text: string; mimeType: string } | undefined;
    const g = await governedCall(s, "resource", uri.href, permission, async () => {
      body = await read(uri, vars);
      return { data: {}, text: body.text };
    });
    if (!g.ok || !body) throw new CodexResourceError(g.text);
    return { contents: [{ uri: uri.href, mimeType: body.mimeType, text: g.text }] };
  };
}

/** A fixed resource's read: no URI variables. */
function governedStatic(s: McpSession, permission: string, read: Read) {
  const r = governedRead(s, permission, read);
  return (uri: URL) => r(uri, {});
}

/** A refused or failed read: the SDK turns it into a JSON-RPC error carrying this message. */
class CodexResourceError extends Error {}

const json = (v: unknown) => ({ text: JSON.stringify(v, null, 2), mimeType: "application/json" });

/** Registers the charter, stacks, checkpoint, ledger entries, sealed vault files, incidents and lessons. */
export function registerResources(server: McpServer, s: McpSession): void {
  const { app } = s;
  server.registerResource(
    "charter",
    "maos://charter",
    {
      title: "The governance charter",
      description: "charter.yml as loaded (MAOS_CHARTER)",
      mimeType: "text/yaml",
    },
    governedStatic(s, "status", async () => ({
      text: await readFile(app.charter().file, "utf8"),
      mimeType: "text/yaml",
    })),
  );
  server.registerResource(
    "status",
    STATUS_URI,
    {
      title: "Status",
      description: "SRR state, loop, drift, incidents, seal (subscribable)",
      mimeType: "application/json",
    },
    governedStatic(s, "status", async () => json(await app.autonomy().stateJson())),
  );
  server.registerResource(
    "ledger-head",
    LEDGER_HEAD_URI,
    {
      title: "Ledger head",
      description: "size, head seq and hash, Merkle root (subscribable)",
      mimeType: "application/json",
    },
    governedStatic(s, "ledger", async () => {
      const l = app.ledger();
      return json({ size: l.size(), head: l.head(), root: l.root() });
    }),
  );
  server.registerResource(
    "checkpoint",
    "maos://ledger/checkpoint",
    {
      title: "Latest signed checkpoint",
      description: "the ledger's latest C2SP signed note (size and Merkle root)",
      mimeType: "text/plain",
    },
    governedStatic(s, "ledger", async () => {
      const c = app.ledger().latestCheckpoint();
      if (!c)
        throw new CodexError("NOT_FOUND", "the ledger has no signed checkpoint yet", { hint: "run a stack" });
      return { text: c.note, mimeType: "text/plain" };
    }),
  );
  server.registerResource(
    "ledger-entry",
    new ResourceTemplate("maos://ledger/entries/{seq}", { list: undefined }),
    {
      title: "Ledger entry",
      description: "one entry's exact canonical bytes (what its hash covers)",
      mimeType: "application/json",
    },
    governedRead(s, "ledger", async (_uri, v) => {
      const seq = Number(one(v.seq));
      if (!Number.isInteger(seq) || seq < 0)
        throw new CodexError("USAGE", `"${one(v.seq)}" is not a ledger seq`);
      return { text: canonicalEntryText(app, seq), mimeType: "application/json" };
    }),
  );
  server.registerResource(
    "stack",
    new ResourceTemplate("maos://stacks/{name}", {
      list: async () => ({
        resources: listStacks(app).stacks.map((st) => ({
          uri: `maos://stacks/${st.name}`,
          name: st.name,
          description: st.goal,
          mimeType: "text/yaml",
        })),
      }),
      complete: {
        name: (value) =>
          listStacks(app)
            .stacks.map((x) => x.name)
            .filter((n) => n.startsWith(value)),
      },
    }),
    { title: "Stack", description: "a stack's YAML file", mimeType: "text/yaml" },
    governedRead(s, "stacks", async (_uri, v) => {
      const st = listStacks(app).stacks.find((x) => x.name === one(v.name));
      if (!st) throw new CodexError("STACK_NOT_FOUND", `no stack named "${one(v.name)}" in ${app.stacksDir}`);
      return { text: await readFile(st.file, "utf8"), mimeType: "text/yaml" };
    }),
  );
  server.registerResource(
    "sealed-file",
    new ResourceTemplate("maos://vault/runs/{folder}/{file}", {
      list: async () => {
        const runs = await (await app.vault()).listRuns();
        return {
          resources: runs.slice(-50).map((r) => ({
            uri: `maos://vault/runs/${encodeURIComponent(r.folder.split("/").at(-1) ?? r.folder)}/SEAL.json`,
            name: `${r.stack} run ${r.runId.slice(0, 8)}: SEAL.json`,
            mimeType: "application/json",
          })),
        };
      },
    }),
    { title: "Sealed vault file", description: "a file of a sealed run folder (SEAL.json lists them)" },
    governedRead(s, "ledger", async (_uri, v) => {
      const folder = decodeURIComponent(one(v.folder));
      const file = decodeURIComponent(one(v.file));
      const rel = safeRelPath(`runs/${folder}/${file}`, "the vault");
      const text = await readFile(path.join((await app.vault()).dir, rel), "utf8").catch(() => {
        throw new CodexError("NOT_FOUND", `the vault has no ${rel}`);
      });
      return { text, mimeType: file.endsWith(".json") ? "application/json" : "text/markdown" };
    }),
  );
  server.registerResource(
    "incident",
    new ResourceTemplate("maos://incidents/{id}", {
      list: async () => ({
        resources: (await app.autonomy().incidents.list(undefined, 50)).map((i) => ({
          uri: `maos://incidents/${i.id}`,
          name: `${i.id}: ${i.summary}`,
          mimeType: "application/json",
        })),
      }),
    }),
    {
      title: "Incident",
      description: "an incident's report, approval and resolution",
      mimeType: "application/json",
    },
    governedRead(s, "incident", async (_uri, v) =>
      json((await incidentShow(commandContext(s), one(v.id).toUpperCase())).data),
    ),
  );
  server.registerResource(
    "lessons",
    new ResourceTemplate("maos://lessons/{stack}", {
      list: async () => ({
        resources: listStacks(app).stacks.map((st) => ({
          uri: `maos://lessons/${st.name}`,
          name: `${st.name} lessons`,
          mimeType: "application/json",
        })),
      }),
      complete: {
        stack: (value) =>
          listStacks(app)
            .stacks.map((x) => x.name)
            .filter((n) => n.startsWith(value)),
      },
    }),
    {
      title: "Lessons",
      description: "a stack's lessons from earlier runs, each with its ledger seq",
      mimeType: "application/json",
    },
    governedRead(s, "memory", async (_uri, v) => json(await lessonsFor(app, one(v.stack)))),
  );
}
