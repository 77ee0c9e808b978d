import type { Delivered, DeliveryContext, EvidenceSink } from "../EvidenceSink.ts";
import { checkpointMarkdown, type EvidenceBody } from "../evidenceBody.ts";
import type { TeamworkClient } from "./TeamworkClient.ts";

/** The seed's task name, one task per seal version. */
export function evidenceTaskName(sealVersion: string): string {
  return `[SYSTEM] MAOS MVP ${sealVersion} Activation — Evidence`;
}

/** The line that ties a task description or comment to its outbox item; looked up before a retried create. */
export function evidenceMarker(key: string): string {
  return `Evidence ID: ${key}`;
}

function text(body: EvidenceBody): string {
  const i = body.item;
  const facts = [
    `Kind: ${i.kind}`,
    `Ledger seq: ${i.ledgerSeq}`,
    `Correlation: ${i.correlationId}`,
    ...(i.drift === undefined ? [] : [`Drift: ${i.drift}`]),
    ...(i.governanceStatus ? [`Governance: ${i.governanceStatus}`] : []),
    ...(i.vaultCommit ? [`Vault commit: ${i.vaultCommit}`] : []),
    `Occurred: ${i.occurredAt}`,
  ];
  const checkpoint = body.checkpoint ? `\n${checkpointMarkdown(body.checkpoint)}\n` : "";
  return `${i.title}\n\n${i.markdown.trim()}\n\n${facts.join("\n")}\n${checkpoint}${evidenceMarker(body.key)}\n`;
}

/**
 * Teamwork Evidence Sink: the first item of a seal version creates the seed's task
 * `[SYSTEM] MAOS MVP vN Activation — Evidence` in TEAMWORK_TASKLIST_ID with the item as its description;
 * every later item becomes a comment on that task. A retried item looks for its Evidence ID first (in
 * the task's description or its comments), so nothing is created twice.
 */
export class TeamworkSink implements EvidenceSink {
  readonly name = "teamwork" as const;
  readonly #client: TeamworkClient;
  readonly #tasklistId: string;
  /** Task id per seal version, found or created once per process. */
  readonly #tasks = new Map<string, number>();

  constructor(opts: { client: TeamworkClient; tasklistId: string }) {
    this.#client = opts.client;
    this.#tasklistId = opts.tasklistId;
  }

  async deliver(body: EvidenceBody, ctx: DeliveryContext): Promise<Delivered> {
    if (ctx.remoteId) return { remoteId: ctx.remoteId };
    const version = body.item.sealVersion ?? body.sealVersion;
    const name = evidenceTaskName(version);
    const marker = evidenceMarker(body.key);
    let taskId = this.#tasks.get(version);
    if (taskId === undefined) {
      const existing = (await this.#client.findTasks(this.#tasklistId, name)).find((t) => t.name === name);
      if (existing) {
        taskId = existing.id;
        this.#tasks.set(version, taskId);
        if (ctx.attempt > 1 && (await this.#client.getTask(taskId)).description?.includes(marker)) {
          return this.#done(ctx, `task:${taskId}`, taskId, version);
        }
      } else {
        const task = await this.#client.createTask(this.#tasklistId, { name, description: text(body) });
        this.#tasks.set(version, task.id);
        return this.#done(ctx, `task:${task.id}`, task.id, version);
      }
    }
    if (ctx.attempt > 1) {
      const found = (await this.#client.findComments(taskId, body.key)).find((c) => c.body.includes(marker));
      if (found) return this.#done(ctx, `comment:${found.id}`, taskId, version);
    }
    const commentId = await this.#client.createComment(taskId, text(body));
    return this.#done(ctx, `comment:${commentId}`, taskId, version);
  }

  async #done(ctx: DeliveryContext, remoteId: string, taskId: number, version: string): Promise<Delivered> {
    await ctx.save(remoteId, undefined);
    return { remoteId, details: { taskId, sealVersion: version } };
  }
}
