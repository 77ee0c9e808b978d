import type { Client } from "@notionhq/client";
import type { Clock } from "../../core/clock.ts";
import type { Delivered, DeliveryContext, EvidenceSink } from "../EvidenceSink.ts";
import { checkpointMarkdown, type EvidenceBody } from "../evidenceBody.ts";
import { evidenceProperties, P } from "./activationLedgerSchema.ts";
import { BLOCKS_PER_REQUEST, type BlockRequest, markdownToBlocks } from "./markdownBlocks.ts";
import { notionDeliveryError } from "./notionError.ts";

export interface NotionSinkOptions {
  client: Client;
  /** The "MAOS Activation Ledger" data source (NOTION_LEDGER_DATA_SOURCE_ID). */
  dataSourceId: string;
  clock: Clock;
  vaultRemote?: string | undefined;
}

interface NotionProgress {
  /** Body blocks already on the page (the create carries the first 100, appends the rest). */
  blocks: number;
}

/**
 * Notion relay: each evidence item becomes a page in the MAOS Activation Ledger with typed properties
 * and its markdown as blocks. The page id is saved the moment it is known, and a retried item whose
 * earlier try may have reached Notion is looked up by its Evidence ID first, so no page is made twice;
 * long bodies are appended 100 blocks at a time, resuming from the count already there.
 */
export class NotionSink implements EvidenceSink {
  readonly name = "notion" as const;
  readonly #o: NotionSinkOptions;

  constructor(opts: NotionSinkOptions) {
    this.#o = opts;
  }

  async deliver(body: EvidenceBody, ctx: DeliveryContext): Promise<Delivered> {
    const markdown = body.checkpoint
      ? `${body.item.markdown.trimEnd()}\n\n${checkpointMarkdown(body.checkpoint)}\n`
      : body.item.markdown;
    const blocks = markdownToBlocks(markdown);
    let pageId = ctx.remoteId;
    let done = (ctx.progress as NotionProgress | undefined)?.blocks ?? 0;
    if (!pageId && ctx.attempt > 1) {
      const found = await this.#find(body.key);
      if (found) {
        pageId = found;
        done = await this.#countBlocks(found);
        await ctx.save(pageId, { blocks: done } satisfies NotionProgress);
      }
    }
    if (!pageId) {
      const first = blocks.slice(0, BLOCKS_PER_REQUEST);
      const page = await this.#call("pages.create", () =>
        this.#o.client.pages.create({
          parent: { type: "data_source_id", data_source_id: this.#o.dataSourceId },
          properties: evidenceProperties(body, this.#o.vaultRemote) as never,
          children: first as never,
        }),
      );
      pageId = page.id;
      done = first.length;
      await ctx.save(pageId, { blocks: done } satisfies NotionProgress);
    }
    while (done < blocks.length) {
      const next: BlockRequest[] = blocks.slice(done, done + BLOCKS_PER_REQUEST);
      const id = pageId;
      await this.#call("blocks.children.append", () =>
        this.#o.client.blocks.children.append({ block_id: id, children: next as never }),
      );
      done += next.length;
      await ctx.save(pageId, { blocks: done } satisfies NotionProgress);
    }
    const url = `https://www.notion.so/${pageId.replaceAll("-", "")}`;
    return { remoteId: pageId, details: { url } };
  }

  async #find(key: string): Promise<string | undefined> {
    const res = await this.#call("data_sources.query", () =>
      this.#o.client.dataSources.query({
        data_source_id: this.#o.dataSourceId,
        filter: { property: P.evidenceId, rich_text: { equals: key } },
        page_size: 1,
      }),
    );
    return res.results[0]?.id;
  }

  async #countBlocks(pageId: string): Promise<number> {
    let n = 0;
    let cursor: string | undefined;
    do {
      const res = await this.#call("blocks.children.list", () =>
        this.#o.client.blocks.children.list({
          block_id: pageId,
          page_size: 100,
          ...(cursor ? { start_cursor: cursor } : {}),
        }),
      );
      n += res.results.length;
      cursor = res.has_more ? (res.next_cursor ?? undefined) : undefined;
    } while (cursor);
    return n;
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw notionDeliveryError(err, what, this.#o.clock.now().getTime());
    }
  }
}
