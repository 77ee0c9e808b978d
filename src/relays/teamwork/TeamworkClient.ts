import type { Clock } from "../../core/clock.ts";
import { serverWaitMs } from "../../core/retryPolicy.ts";
import { isEgressRefusal } from "../../egress/EgressGuard.ts";
import { DeliveryError, retryableStatus } from "../DeliveryError.ts";

export interface TeamworkClientOptions {
  /** TEAMWORK_SITE, e.g. https://yourcompany.teamwork.com */
  site: string;
  apiKey: string;
  /** The egress-checked, rate-limited fetch. */
  fetch: typeof fetch;
  clock: Clock;
}

export interface TeamworkTask {
  id: number;
  name: string;
  description?: string;
}

const HINTS: Record<number, string> = {
  401: "TEAMWORK_API_KEY was refused: use the API key from your Teamwork profile (Edit My Details → API & Mobile)",
  403: "the API key's user may not add tasks or comments in that task list: give them access to the project",
  404: "TEAMWORK_TASKLIST_ID (or a task) was not found on TEAMWORK_SITE: copy the id from the task list's URL",
};

/**
 * Teamwork Projects REST with `fetch` (there is no official Node SDK): Basic auth with the API key as the
 * user name. Tasks through API v3; comments through v1's POST /tasks/{id}/comments.json, since v3 has no
 * endpoint that creates one. Every non-2xx answer becomes a DeliveryError carrying the server's wait.
 */
export class TeamworkClient {
  readonly #o: TeamworkClientOptions;
  readonly #auth: string;

  constructor(opts: TeamworkClientOptions) {
    this.#o = opts;
    // Any password works; "x" is what Teamwork's own examples use.
    this.#auth = `Basic ${Buffer.from(`${opts.apiKey}:x`).toString("base64")}`;
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.#o.site.endsWith("/") ? this.#o.site : `${this.#o.site}/`);
    let res: Response;
    try {
      res = await this.#o.fetch(url, {
        method,
        headers: {
          authorization: this.#auth,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new DeliveryError(
        `Teamwork ${method} ${url.pathname}: ${err instanceof Error ? err.message : String(err)}`,
        {
          retryable: !isEgressRefusal(err),
          cause: err,
        },
      );
    }
    const text = await res.text();
    if (!res.ok) {
      throw new DeliveryError(
        `Teamwork ${method} ${url.pathname} answered ${res.status}: ${text.slice(0, 300)}`,
        {
          retryable: retryableStatus(res.status),
          status: res.status,
          waitMs: serverWaitMs(res.headers, this.#o.clock.now().getTime()),
          ...(HINTS[res.status] ? { hint: HINTS[res.status] as string } : {}),
        },
      );
    }
    try {
      return (text === "" ? {} : JSON.parse(text)) as T;
    } catch (cause) {
      throw new DeliveryError(
        `Teamwork ${method} ${url.pathname} answered ${res.status} with a body that is not JSON`,
        {
          retryable: true,
          cause,
        },
      );
    }
  }

  async createTask(tasklistId: string, task: { name: string; description: string }): Promise<TeamworkTask> {
    const res = await this.#request<{ task?: TeamworkTask }>(
      "POST",
      `projects/api/v3/tasklists/${encodeURIComponent(tasklistId)}/tasks.json`,
      { task: { name: task.name, description: task.description } },
    );
    if (typeof res.task?.id !== "number") {
      throw new DeliveryError("Teamwork created a task but its answer has no task id", { retryable: true });
    }
    return res.task;
  }

  /** Tasks in a list whose name contains `term` (Teamwork's searchTerm). */
  async findTasks(tasklistId: string, term: string): Promise<TeamworkTask[]> {
    const q = new URLSearchParams({ searchTerm: term, pageSize: "50" });
    const res = await this.#request<{ tasks?: TeamworkTask[] }>(
      "GET",
      `projects/api/v3/tasklists/${encodeURIComponent(tasklistId)}/tasks.json?${q}`,
    );
    return res.tasks ?? [];
  }

  async getTask(taskId: number): Promise<TeamworkTask> {
    const res = await this.#request<{ task?: TeamworkTask }>("GET", `projects/api/v3/tasks/${taskId}.json`);
    if (!res.task)
      throw new DeliveryError(`Teamwork task ${taskId} answered without a task`, { retryable: true });
    return res.task;
  }

  /** Comments on a task whose body contains `term`. */
  async findComments(taskId: number, term: string): Promise<{ id: number; body: string }[]> {
    const q = new URLSearchParams({ searchTerm: term, pageSize: "50" });
    const res = await this.#request<{ comments?: { id: number; body: string }[] }>(
      "GET",
      `projects/api/v3/tasks/${taskId}/comments.json?${q}`,
    );
    return res.comments ?? [];
  }

  async createComment(taskId: number, body: string): Promise<number> {
    const res = await this.#request<{ commentId?: string | number; id?: number }>(
      "POST",
      `tasks/${taskId}/comments.json`,
      {
        comment: { body, notify: "", isprivate: false, "content-type": "TEXT" },
      },
    );
    const id = Number(res.commentId ?? res.id);
    if (!Number.isFinite(id))
      throw new DeliveryError("Teamwork created a comment but its answer has no id", { retryable: true });
    return id;
  }
}
