/**
 * A fake Notion API on 127.0.0.1 that the real @notionhq/client talks to (through `baseUrl`). Every
 * request is resolved to its operation in test/fixtures/vendor-specs/notion-openapi.json and validated
 * (path and query parameters, the JSON body with ajv); an invalid request is answered 400
 * `validation_error`, as Notion does, and kept in `problems`. It keeps data sources and pages in memory,
 * answers in Notion's response shapes, and can answer 429/503/529 with Retry-After, or hold responses,
 * on demand. It restates Notion's rules rather than importing src/, so it cannot agree with a bug there.
 */
import { randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  BodyValidator,
  checkParams,
  matchOperation,
  operations,
  readSpec,
  type SpecOperation,
} from "../relays/vendorSpec.ts";
import { type Failure, type FaultControls, FaultPlan } from "./FaultPlan.ts";

export const NOTION_SPEC = "notion-openapi.json";

const SPEC_ID = "notion";
const VERSION = "2025-09-03";

const richText = { $ref: "#/components/schemas/richTextRequest" };
const richTextArray = { type: "array", items: richText, maxItems: 100 };
const textBlock = (type: string, extra: Record<string, unknown> = {}) => ({
  type: "object",
  properties: {
    type: { const: type },
    [type]: {
      type: "object",
      properties: { rich_text: richTextArray, ...extra },
      required: ["rich_text"],
      additionalProperties: false,
    },
  },
  required: [type],
  additionalProperties: false,
});
/** Page property values (the spec leaves `properties` untyped): the shapes Notion documents for each type. */
const propertyValue = {
  oneOf: [
    {
      type: "object",
      properties: { type: { const: "title" }, title: richTextArray },
      required: ["title"],
      additionalProperties: false,
    },
    {
      type: "object",
      properties: { type: { const: "rich_text" }, rich_text: richTextArray },
      required: ["rich_text"],
      additionalProperties: false,
    },
    {
      type: "object",
      properties: {
        type: { const: "select" },
        select: {
          oneOf: [
            { type: "null" },
            {
              type: "object",
              properties: { name: { type: "string", minLength: 1, maxLength: 100 } },
              required: ["name"],
              additionalProperties: false,
            },
          ],
        },
      },
      required: ["select"],
      additionalProperties: false,
    },
    {
      type: "object",
      properties: {
        type: { const: "date" },
        date: {
          oneOf: [
            { type: "null" },
            {
              type: "object",
              properties: {
                start: { type: "string", anyOf: [{ format: "date" }, { format: "date-time" }] },
                end: {
                  oneOf: [
                    { type: "null" },
                    { type: "string", anyOf: [{ format: "date" }, { format: "date-time" }] },
                  ],
                },
                time_zone: { type: ["string", "null"] },
              },
              required: ["start"],
              additionalProperties: false,
            },
          ],
        },
      },
      required: ["date"],
      additionalProperties: false,
    },
    {
      type: "object",
      properties: { type: { const: "number" }, number: { type: ["number", "null"] } },
      required: ["number"],
      additionalProperties: false,
    },
    {
      type: "object",
      properties: {
        type: { const: "url" },
        url: { oneOf: [{ type: "null" }, { type: "string", maxLength: 2000, format: "uri" }] },
      },
      required: ["url"],
      additionalProperties: false,
    },
  ],
};
/** Property schema entries for creating a data source: the same six types; select lists its options. */
const propertySchema = {
  type: "object",
  minProperties: 1,
  maxProperties: 2,
  properties: {
    type: { enum: ["title", "rich_text", "select", "date", "number", "url"] },
    title: { type: "object", maxProperties: 0 },
    rich_text: { type: "object", maxProperties: 0 },
    date: { type: "object", maxProperties: 0 },
    url: { type: "object", maxProperties: 0 },
    number: { type: "object", properties: { format: { type: "string" } }, additionalProperties: false },
    select: {
      type: "object",
      properties: {
        options: {
          type: "array",
          maxItems: 100,
          items: {
            type: "object",
            properties: { name: { type: "string", minLength: 1, maxLength: 100 }, color: { type: "string" } },
            required: ["name"],
            additionalProperties: false,
          },
        },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};

/**
 * The spec with its known gaps patched (test/fixtures/vendor-specs/README.md; the gaps are listed in the vendor specs' own README). Each patch says which gap it
 * closes; none accepts anything the real API refuses.
 */
function notionSpecWithOverlay(): Record<string, unknown> {
  // biome-ignore lint/suspicious/noExplicitAny: patching an untyped JSON document in place.
  const spec = structuredClone(readSpec(NOTION_SPEC)) as Record<string, any>;
  const schemas = spec.components.schemas;
  // Vendor limit the spec omits (tightens): rich-text content holds at most 2000 characters.
  schemas.richTextRequest.properties.text.properties.content.maxLength = 2000;
  // Gap: parentRequest lacks the {type: "data_source_id", data_source_id} parent that @notionhq/client v5 sends.
  schemas.parentRequest.oneOf.push({
    type: "object",
    properties: { type: { const: "data_source_id" }, data_source_id: { type: "string", format: "uuid" } },
    required: ["data_source_id"],
    additionalProperties: false,
  });
  // Gap: blockObjectRequest covers only paragraph and bulleted_list_item (with additionalProperties false);
  // add the other block types the relay writes, in Notion's documented shapes and just as strict.
  schemas.blockObjectRequest.anyOf.push(
    textBlock("heading_1"),
    textBlock("heading_2"),
    textBlock("heading_3"),
    textBlock("numbered_list_item"),
    textBlock("quote"),
    textBlock("code", { language: { enum: ["plain text", "markdown", "json", "shell", "typescript"] } }),
    {
      type: "object",
      properties: { type: { const: "divider" }, divider: { type: "object", maxProperties: 0 } },
      required: ["divider"],
      additionalProperties: false,
    },
  );
  const pages = spec.paths["/v1/pages"].post.requestBody.content["application/json"].schema;
  // Gap: pages.create `children.items` is typed as string; children are block objects (at most 100 per request).
  pages.properties.children = {
    type: "array",
    items: { $ref: "#/components/schemas/blockObjectRequest" },
    maxItems: 100,
  };
  // Gap: page `properties` are not typed at all; values must be one of the documented shapes.
  pages.properties.properties = { type: "object", additionalProperties: propertyValue };
  const append =
    spec.paths["/v1/blocks/{block_id}/children"].patch.requestBody.content["application/json"].schema;
  // Vendor limit the spec omits (tightens): at most 100 blocks per append.
  append.properties.children.maxItems = 100;
  // Gap: POST /v1/databases (create a database with its initial data source, API 2025-09-03) is not in
  // the spec; its documented body: a page parent, a title, and the initial data source's property schema.
  spec.paths["/v1/databases"] = {
    post: {
      operationId: "create-a-database",
      parameters: [{ $ref: "#/components/parameters/notionVersion" }],
      requestBody: {
        content: {
          "application/json": {
            schema: {
              type: "object",
              required: ["parent", "initial_data_source"],
              properties: {
                parent: {
                  type: "object",
                  properties: { type: { const: "page_id" }, page_id: { type: "string", format: "uuid" } },
                  required: ["page_id"],
                  additionalProperties: false,
                },
                title: richTextArray,
                description: richTextArray,
                is_inline: { type: "boolean" },
                initial_data_source: {
                  type: "object",
                  properties: {
                    properties: { type: "object", minProperties: 1, additionalProperties: propertySchema },
                  },
                  required: ["properties"],
                  additionalProperties: false,
                },
              },
              additionalProperties: false,
            },
          },
        },
      },
    },
  };
  return spec;
}

export interface NotionRequest {
  method: string;
  path: string;
  op: string | undefined;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
  problems: string[];
}

export type NotionFailure = Failure<429 | 500 | 502 | 503 | 529>;

export interface FakePage {
  id: string;
  dataSourceId: string;
  /** Property values as sent (request shapes). */
  properties: Record<string, unknown>;
  children: unknown[];
  createdTime: string;
}

export interface FakeDataSource {
  id: string;
  databaseId: string;
  name: string;
  /** Property name → type. */
  schema: Record<string, string>;
  parentPageId: string | undefined;
}

export interface FakeNotionOptions {
  /** The integration token the fake accepts. */
  token: string;
}

export interface FakeNotion extends FaultControls<NotionFailure> {
  url: string;
  requests: NotionRequest[];
  pages: FakePage[];
  dataSources: Map<string, FakeDataSource>;
  /** Every validation problem seen, with the operation; a passing test expects none. */
  problems(): string[];
  /** A data source with rows already in it (the secrets registry, the client matrix). */
  addDataSource(ds: {
    id?: string;
    name: string;
    schema: Record<string, string>;
    rows?: Record<string, unknown>[];
  }): FakeDataSource;
  /** Pages in one data source. */
  pagesIn(dataSourceId: string): FakePage[];
  close(): Promise<void>;
}

const uuid = (): string => randomUUID();

function error(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ object: "error", status, code, message, request_id: uuid() }));
}

const FAILURE_CODES: Record<number, string> = {
  429: "rate_limited",
  500: "internal_server_error",
  502: "bad_gateway",
  503: "service_unavailable",
  529: "service_overload",
};

/** Request rich text → response rich text (with plain_text, annotations, href). */
function responseRichText(items: unknown): unknown[] {
  return (Array.isArray(items) ? items : []).map((t) => {
    const text = (t as { text?: { content?: string; link?: { url: string } | null } }).text ?? {};
    return {
      type: "text",
      text: { content: text.content ?? "", link: text.link ?? null },
      annotations: {
        bold: false,
        italic: false,
        strikethrough: false,
        underline: false,
        code: false,
        color: "default",
      },
      plain_text: text.content ?? "",
      href: text.link?.url ?? null,
    };
  });
}

function plain(items: unknown): string {
  return (Array.isArray(items) ? items : [])
    .map((t) => (t as { text?: { content?: string } }).text?.content ?? "")
    .join("");
}

function responseProperty(name: string, type: string | undefined, value: unknown): Record<string, unknown> {
  const v = (value ?? {}) as Record<string, unknown>;
  const t = type ?? Object.keys(v).find((k) => k !== "type") ?? "rich_text";
  const id = Buffer.from(name).toString("base64url").slice(0, 8);
  switch (t) {
    case "title":
    case "rich_text":
      return { id, type: t, [t]: responseRichText(v[t]) };
    case "select": {
      const s = v.select as { name?: string } | null | undefined;
      return {
        id,
        type: t,
        select: s?.name ? { id: `opt-${s.name}`, name: s.name, color: "default" } : null,
      };
    }
    default:
      return { id, type: t, [t]: v[t] ?? null };
  }
}

export async function startFakeNotion(opts: FakeNotionOptions): Promise<FakeNotion> {
  const spec = notionSpecWithOverlay();
  const ops = operations(spec, SPEC_ID);
  const bodies = new BodyValidator("openapi3", spec, SPEC_ID);
  const requests: NotionRequest[] = [];
  const pages: FakePage[] = [];
  const dataSources = new Map<string, FakeDataSource>();
  const faults = new FaultPlan<NotionFailure>(() => requests.map((r) => r.op));
  let seq = 0;

  const pageObject = (p: FakePage) => {
    const ds = dataSources.get(p.dataSourceId);
    const properties: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(p.properties))
      properties[name] = responseProperty(name, ds?.schema[name], value);
    return {
      object: "page",
      id: p.id,
      created_time: p.createdTime,
      last_edited_time: p.createdTime,
      archived: false,
      in_trash: false,
      parent: { type: "data_source_id", data_source_id: p.dataSourceId, database_id: ds?.databaseId },
      properties,
      url: `https://www.notion.so/${p.id.replaceAll("-", "")}`,
    };
  };

  const addDataSource: FakeNotion["addDataSource"] = (d) => {
    const ds: FakeDataSource = {
      id: d.id ?? uuid(),
      databaseId: uuid(),
      name: d.name,
      schema: d.schema,
      parentPageId: undefined,
    };
    dataSources.set(ds.id, ds);
    for (const row of d.rows ?? []) {
      pages.push({
        id: uuid(),
        dataSourceId: ds.id,
        properties: row,
        children: [],
        createdTime: new Date(Date.UTC(2026, 0, 1, 0, 0, seq++)).toISOString(),
      });
    }
    return ds;
  };

  /** The filters the relay uses: `{property, <type>: {equals}}`, and `and`/`or` of them. */
  const matches = (p: FakePage, filter: Record<string, unknown> | undefined): boolean => {
    if (!filter) return true;
    if (Array.isArray(filter.and)) return filter.and.every((f) => matches(p, f as Record<string, unknown>));
    if (Array.isArray(filter.or)) return filter.or.some((f) => matches(p, f as Record<string, unknown>));
    const prop = String(filter.property);
    const value = p.properties[prop] as Record<string, unknown> | undefined;
    for (const t of ["title", "rich_text"]) {
      const cond = filter[t] as { equals?: string; contains?: string } | undefined;
      if (cond) {
        const text = plain(value?.[t]);
        if (cond.equals !== undefined) return text === cond.equals;
        if (cond.contains !== undefined) return text.includes(cond.contains);
      }
    }
    const num = filter.number as { equals?: number } | undefined;
    if (num?.equals !== undefined) return value?.number === num.equals;
    const sel = filter.select as { equals?: string } | undefined;
    if (sel?.equals !== undefined) return (value?.select as { name?: string } | null)?.name === sel.equals;
    return false;
  };

  const handle = async (
    res: ServerResponse,
    body: unknown,
    op: SpecOperation,
    params: Record<string, string>,
  ) => {
    const json = (status: number, data: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(data));
    };
    // biome-ignore lint/suspicious/noExplicitAny: validated against the spec above.
    const b = (body ?? {}) as Record<string, any>;
    switch (op.id) {
      case "get-self":
        return json(200, { object: "user", id: uuid(), type: "bot", name: "MAOS Codex", bot: {} });
      case "create-a-database": {
        const schema: Record<string, string> = {};
        for (const [name, s] of Object.entries(
          b.initial_data_source.properties as Record<string, Record<string, unknown>>,
        )) {
          schema[name] = String(s.type ?? Object.keys(s)[0]);
        }
        if (Object.values(schema).filter((t) => t === "title").length !== 1) {
          return error(res, 400, "validation_error", "A data source needs exactly one title property.");
        }
        const ds = addDataSource({ name: plain(b.title) || "Untitled", schema });
        ds.parentPageId = b.parent.page_id;
        return json(200, {
          object: "database",
          id: ds.databaseId,
          title: responseRichText(b.title),
          parent: { type: "page_id", page_id: b.parent.page_id },
          data_sources: [{ id: ds.id, name: ds.name }],
        });
      }
      case "retrieve-a-data-source": {
        const ds = dataSources.get(params.data_source_id as string);
        if (!ds) return missingDataSource(res, params.data_source_id);
        const properties: Record<string, unknown> = {};
        for (const [name, type] of Object.entries(ds.schema))
          properties[name] = { id: name, name, type, [type]: {} };
        return json(200, {
          object: "data_source",
          id: ds.id,
          title: [{ type: "text", plain_text: ds.name, text: { content: ds.name } }],
          properties,
          parent: { type: "database_id", database_id: ds.databaseId },
        });
      }
      case "query-data-source": {
        const ds = dataSources.get(params.data_source_id as string);
        if (!ds) return missingDataSource(res, params.data_source_id);
        const size = Math.min(Number(b.page_size ?? 100), 100);
        const all = pages.filter((p) => p.dataSourceId === ds.id && matches(p, b.filter));
        const start = b.start_cursor ? all.findIndex((p) => p.id === b.start_cursor) : 0;
        const slice = all.slice(Math.max(0, start), Math.max(0, start) + size);
        const next = all[Math.max(0, start) + size];
        return json(200, {
          object: "list",
          type: "page_or_data_source",
          results: slice.map(pageObject),
          has_more: next !== undefined,
          next_cursor: next?.id ?? null,
        });
      }
      case "post-page": {
        const dsId = b.parent?.data_source_id as string | undefined;
        const ds = dsId ? dataSources.get(dsId) : undefined;
        if (!ds)
          return error(
            res,
            404,
            "object_not_found",
            `Could not find data_source with ID: ${dsId}. Make sure the relevant pages and databases are shared with your integration.`,
          );
        for (const name of Object.keys(b.properties ?? {})) {
          if (!ds.schema[name])
            return error(res, 400, "validation_error", `${name} is not a property that exists.`);
        }
        const page: FakePage = {
          id: uuid(),
          dataSourceId: ds.id,
          properties: b.properties ?? {},
          children: [...(b.children ?? [])],
          createdTime: new Date().toISOString(),
        };
        pages.push(page);
        return json(200, pageObject(page));
      }
      case "patch-block-children": {
        const page = pages.find((p) => p.id === params.block_id);
        if (!page)
          return error(res, 404, "object_not_found", `Could not find block with ID: ${params.block_id}.`);
        page.children.push(...(b.children as unknown[]));
        return json(200, { object: "list", results: b.children, has_more: false, next_cursor: null });
      }
      case "get-block-children": {
        const page = pages.find((p) => p.id === params.block_id);
        if (!page)
          return error(res, 404, "object_not_found", `Could not find block with ID: ${params.block_id}.`);
        return json(200, { object: "list", results: page.children, has_more: false, next_cursor: null });
      }
      default:
        return error(res, 400, "invalid_request_url", `the fake does not implement ${op.id}`);
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const raw = Buffer.concat(chunks).toString("utf8");
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
        const rec: NotionRequest = {
          method: req.method ?? "GET",
          path: url.pathname,
          op: undefined,
          query: Object.fromEntries(url.searchParams),
          body: undefined,
          headers,
          problems: [],
        };
        requests.push(rec);
        if (headers.authorization !== `Bearer ${opts.token}`) {
          rec.problems.push("Authorization is not the integration's bearer token");
          return error(res, 401, "unauthorized", "API token is invalid.");
        }
        if (headers["notion-version"] !== VERSION) {
          rec.problems.push(`Notion-Version is ${headers["notion-version"]}, not ${VERSION}`);
          return error(res, 400, "missing_version", `Notion-Version header must be ${VERSION}`);
        }
        const m = matchOperation(ops, rec.method, url.pathname);
        if (!m) {
          rec.problems.push(`no operation for ${rec.method} ${url.pathname} in the spec`);
          return error(res, 400, "invalid_request_url", "Invalid request URL.");
        }
        rec.op = m.op.id;
        try {
          rec.body = raw === "" ? undefined : JSON.parse(raw);
        } catch {
          rec.problems.push("body is not JSON");
          return error(res, 400, "invalid_json", "Error parsing JSON body.");
        }
        rec.problems.push(...checkParams(m, url.searchParams));
        if (m.op.bodyRef) {
          if (rec.body === undefined && m.op.bodyRequired) rec.problems.push("body is required");
          if (rec.body !== undefined) rec.problems.push(...bodies.validate(m.op.bodyRef, rec.body));
        } else if (rec.body !== undefined && rec.method === "GET") {
          rec.problems.push("a GET has a body");
        }
        faults.arrived();
        const failure = faults.failureFor(m.op.id);
        if (failure) {
          const h: Record<string, string> =
            failure.retryAfter !== undefined ? { "retry-after": String(failure.retryAfter) } : {};
          return error(
            res,
            failure.status,
            FAILURE_CODES[failure.status] ?? "internal_server_error",
            `fake ${failure.status}`,
            h,
          );
        }
        if (rec.problems.length > 0) return error(res, 400, "validation_error", rec.problems.join("; "));
        // Applied now, answered later: the client cannot know whether it worked.
        if (faults.holdIfHeld(m.op.id, res, (r) => handle(r, rec.body, m.op, m.pathParams))) return;
        await handle(res, rec.body, m.op, m.pathParams);
      })().catch((err: unknown) => {
        if (!res.headersSent) error(res, 500, "internal_server_error", String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    pages,
    dataSources,
    problems: () =>
      requests.flatMap((r) => r.problems.map((p) => `${r.method} ${r.path} (${r.op ?? "?"}): ${p}`)),
    count: faults.count,
    fail: faults.fail,
    clearFailures: faults.clearFailures,
    hold: faults.hold,
    release: faults.release,
    dropHeld: faults.dropHeld,
    waitFor: faults.waitFor,
    addDataSource,
    pagesIn: (id) => pages.filter((p) => p.dataSourceId === id),
    close: () =>
      new Promise<void>((resolve) => {
        faults.forgetHeld();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Notion's answer for a data source the integration cannot see (not shared with it, or deleted). */
function missingDataSource(res: ServerResponse, id: unknown): void {
  error(res, 404, "object_not_found", `Could not find data_source with ID: ${String(id)}.`);
}
