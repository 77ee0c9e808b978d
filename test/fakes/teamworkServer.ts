/**
 * A fake Teamwork Projects API on 127.0.0.1. Every request is resolved to its operation in
 * test/fixtures/vendor-specs/teamwork-projects-api-v3.requests.oas2.json (Teamwork's document, reduced) and validated (path and query parameters,
 * the JSON body with ajv), with a commented overlay for the spec's known gaps; an invalid request is
 * answered 400 and kept in `problems`. Basic auth (the API key as the user name, any password). It
 * keeps tasks and comments in memory, sends X-Rate-Limit-* headers, and can answer 429 (with
 * Retry-After and X-Rate-Limit-Reset) or 5xx, or hold responses, on demand.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
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

/** Teamwork's Projects API V3 document, reduced to the request side of the operations we call. */
export const TEAMWORK_SPEC = "teamwork-projects-api-v3.requests.oas2.json";

const SPEC_ID = "teamwork";
/** Teamwork's documented budget: about 150 requests per minute. */
const RATE_LIMIT = 150;

/**
 * The spec with its known gaps patched (as the vendor specs' README lists them); patches tighten or correct
 * the wire shapes, never loosen what the spec checks.
 */
function teamworkSpecWithOverlay(): Record<string, unknown> {
  // biome-ignore lint/suspicious/noExplicitAny: patching an untyped JSON document in place.
  const spec = structuredClone(readSpec(TEAMWORK_SPEC)) as Record<string, any>;
  const defs = spec.definitions;
  // Gap: these describe Go wrapper structs; on the wire they are plain values or null.
  defs["payload.NullableDate"] = { type: ["string", "null"], format: "date" };
  defs["payload.NullableTaskPriority"] = {
    oneOf: [{ type: "null" }, { enum: ["none", "low", "medium", "high"] }],
  };
  defs["payload.NullableInt64Slice"] = { type: ["array", "null"], items: { type: "integer" } };
  // Gap: nothing is `required`; Teamwork refuses a task without a name (and without the task object).
  const create = spec.paths["/projects/api/v3/tasklists/{tasklistId}/tasks.json"].post;
  const body = create.parameters.find((p: { in: string }) => p.in === "body");
  body.schema = {
    allOf: [
      { $ref: "#/definitions/task.Request" },
      {
        type: "object",
        required: ["task"],
        properties: {
          task: {
            type: "object",
            required: ["name"],
            properties: { name: { type: "string", minLength: 1 } },
          },
        },
      },
    ],
  };
  // Gap: v3 has no endpoint that creates a comment. Teamwork's documented way is the v1 endpoint
  // POST /tasks/{id}/comments.json with {"comment": {"body", "notify", "isprivate", "content-type"}},
  // answered 201 {"commentId", "STATUS"}; described here as strictly as Teamwork documents it.
  spec.paths["/tasks/{taskId}/comments.json"] = {
    post: {
      operationId: "POST_tasks_{taskId}_comments.json (v1)",
      parameters: [
        { in: "path", name: "taskId", required: true, type: "integer" },
        {
          in: "body",
          name: "comment",
          required: true,
          schema: {
            type: "object",
            required: ["comment"],
            additionalProperties: false,
            properties: {
              comment: {
                type: "object",
                required: ["body"],
                additionalProperties: false,
                properties: {
                  body: { type: "string", minLength: 1 },
                  notify: { type: "string" },
                  isprivate: { type: "boolean" },
                  "content-type": { enum: ["TEXT", "HTML"] },
                },
              },
            },
          },
        },
      ],
    },
  };
  return spec;
}

export interface TeamworkRequest {
  method: string;
  path: string;
  op: string | undefined;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
  problems: string[];
}

/** `retryAfter` is sent as Retry-After, and as X-Rate-Limit-Reset on a 429. */
export type TeamworkFailure = Failure<429 | 500 | 502 | 503>;

export interface FakeTask {
  id: number;
  tasklistId: number;
  name: string;
  description: string | undefined;
  comments: { id: number; body: string }[];
}

export interface FakeTeamwork extends FaultControls<TeamworkFailure> {
  /** The site URL (TEAMWORK_SITE). */
  url: string;
  requests: TeamworkRequest[];
  tasks: FakeTask[];
  problems(): string[];
  close(): Promise<void>;
}

export const TW_CREATE_TASK = "POST_projects_api_v3_tasklists_{tasklistId}_tasks.json";
export const TW_LIST_TASKS = "GET_projects_api_v3_tasklists_{tasklistId}_tasks.json";
export const TW_LIST_COMMENTS = "GET_projects_api_v3_tasks_{taskId}_comments.json";
export const TW_CREATE_COMMENT = "POST_tasks_{taskId}_comments.json (v1)";

export async function startFakeTeamwork(opts: { apiKey: string; tasklistId: number }): Promise<FakeTeamwork> {
  const spec = teamworkSpecWithOverlay();
  const ops = operations(spec, SPEC_ID);
  const bodies = new BodyValidator("swagger2", spec, SPEC_ID);
  const requests: TeamworkRequest[] = [];
  const tasks: FakeTask[] = [];
  const faults = new FaultPlan<TeamworkFailure>(() => requests.map((r) => r.op));
  let nextId = 1000;
  let used = 0;

  const rateHeaders = (): Record<string, string> => ({
    "x-rate-limit-limit": String(RATE_LIMIT),
    "x-rate-limit-remaining": String(Math.max(0, RATE_LIMIT - used)),
    "x-rate-limit-reset": "60",
  });

  const handle = (
    res: ServerResponse,
    op: SpecOperation,
    params: Record<string, string>,
    query: URLSearchParams,
    body: unknown,
  ) => {
    const json = (status: number, data: unknown) => {
      res.writeHead(status, { "content-type": "application/json", ...rateHeaders() });
      res.end(JSON.stringify(data));
    };
    // biome-ignore lint/suspicious/noExplicitAny: validated against the spec above.
    const b = (body ?? {}) as Record<string, any>;
    switch (op.id) {
      case TW_CREATE_TASK: {
        const tasklistId = Number(params.tasklistId);
        if (tasklistId !== opts.tasklistId)
          return json(404, { errors: [{ title: "Not found", detail: "task list not found" }] });
        const task: FakeTask = {
          id: nextId++,
          tasklistId,
          name: b.task.name,
          description: b.task.description,
          comments: [],
        };
        tasks.push(task);
        return json(201, {
          task: {
            id: task.id,
            name: task.name,
            description: task.description ?? "",
            tasklistId,
            status: "new",
          },
          affected: {},
        });
      }
      case TW_LIST_TASKS: {
        const tasklistId = Number(params.tasklistId);
        const term = query.get("searchTerm");
        const found = tasks.filter((t) => t.tasklistId === tasklistId && (!term || t.name.includes(term)));
        return json(200, {
          tasks: found.map((t) => ({ id: t.id, name: t.name, tasklistId: t.tasklistId, status: "new" })),
          meta: { page: { count: found.length, hasMore: false } },
        });
      }
      case "GET_projects_api_v3_tasks_{taskId}.json": {
        const task = tasks.find((t) => t.id === Number(params.taskId));
        if (!task) return json(404, { errors: [{ title: "Not found" }] });
        return json(200, {
          task: {
            id: task.id,
            name: task.name,
            description: task.description ?? "",
            tasklistId: task.tasklistId,
          },
        });
      }
      case TW_LIST_COMMENTS: {
        const task = tasks.find((t) => t.id === Number(params.taskId));
        if (!task) return json(404, { errors: [{ title: "Not found" }] });
        const term = query.get("searchTerm");
        const found = task.comments.filter((c) => !term || c.body.includes(term));
        return json(200, {
          comments: found.map((c) => ({ id: c.id, body: c.body, objectId: task.id, objectType: "task" })),
          meta: { page: { count: found.length, hasMore: false } },
        });
      }
      case TW_CREATE_COMMENT: {
        const task = tasks.find((t) => t.id === Number(params.taskId));
        if (!task) return json(404, { MESSAGE: "Task not found", STATUS: "Error" });
        const comment = { id: nextId++, body: String(b.comment.body) };
        task.comments.push(comment);
        return json(201, { commentId: String(comment.id), STATUS: "OK" });
      }
      default:
        return json(400, { errors: [{ title: `the fake does not implement ${op.id}` }] });
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const raw = Buffer.concat(chunks).toString("utf8");
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      const rec: TeamworkRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        op: undefined,
        query: Object.fromEntries(url.searchParams),
        body: undefined,
        headers,
        problems: [],
      };
      requests.push(rec);
      used++;
      const reply = (status: number, data: unknown, extra: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...rateHeaders(), ...extra });
        res.end(JSON.stringify(data));
      };
      const auth = headers.authorization ?? "";
      const user = auth.startsWith("Basic ")
        ? Buffer.from(auth.slice(6), "base64").toString("utf8").split(":")[0]
        : undefined;
      if (user !== opts.apiKey) {
        rec.problems.push("Authorization is not Basic auth with the API key as the user name");
        return reply(401, { errors: [{ title: "Unauthorized" }] });
      }
      const m = matchOperation(ops, rec.method, url.pathname);
      if (!m) {
        rec.problems.push(`no operation for ${rec.method} ${url.pathname} in the spec`);
        return reply(404, { errors: [{ title: "Not found" }] });
      }
      rec.op = m.op.id;
      try {
        rec.body = raw === "" ? undefined : JSON.parse(raw);
      } catch {
        rec.problems.push("body is not JSON");
        return reply(400, { errors: [{ title: "Bad request", detail: "invalid JSON" }] });
      }
      rec.problems.push(...checkParams(m, url.searchParams));
      if (m.op.bodyRef) {
        if (rec.body === undefined && m.op.bodyRequired) rec.problems.push("body is required");
        if (rec.body !== undefined) rec.problems.push(...bodies.validate(m.op.bodyRef, rec.body));
      }
      faults.arrived();
      const failure = faults.failureFor(m.op.id);
      if (failure) {
        const extra: Record<string, string> = {};
        if (failure.retryAfter !== undefined) extra["retry-after"] = String(failure.retryAfter);
        if (failure.status === 429) {
          extra["x-rate-limit-remaining"] = "0";
          extra["x-rate-limit-reset"] = String(failure.retryAfter ?? 60);
        }
        return reply(
          failure.status,
          { errors: [{ title: failure.status === 429 ? "Too Many Requests" : "Service Unavailable" }] },
          extra,
        );
      }
      if (rec.problems.length > 0)
        return reply(400, { errors: rec.problems.map((p) => ({ title: "Bad request", detail: p })) });
      // Applied now, answered later: the client cannot know whether it worked.
      if (faults.holdIfHeld(m.op.id, res, (r) => handle(r, m.op, m.pathParams, url.searchParams, rec.body))) {
        return;
      }
      handle(res, m.op, m.pathParams, url.searchParams, rec.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    tasks,
    problems: () =>
      requests.flatMap((r) => r.problems.map((p) => `${r.method} ${r.path} (${r.op ?? "?"}): ${p}`)),
    count: faults.count,
    fail: faults.fail,
    clearFailures: faults.clearFailures,
    hold: faults.hold,
    release: faults.release,
    dropHeld: faults.dropHeld,
    waitFor: faults.waitFor,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
