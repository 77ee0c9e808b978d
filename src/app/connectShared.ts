import path from "node:path";
import type { Env } from "../config/loadEnv.ts";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { PgRunQueue } from "../executor/queue/PgRunQueue.ts";
import type { Charter } from "../governance/charter.ts";
import type { LedgerKey } from "../ledger/ledgerKey.ts";
import { MirroredLedger } from "../ledger/pg/MirroredLedger.ts";
import { PgOutbox } from "../relays/pg/PgOutbox.ts";
import { PgStateStore } from "../state/pg/PgStateStore.ts";

/** The stores every replica shares on PostgreSQL (DATABASE_URL), opened before the app is used. */
export interface SharedStores {
  ledger: MirroredLedger;
  state: PgStateStore;
  outbox: PgOutbox;
  /** The shared run queue, opened for the bot (`withQueue`); the CLI and run worker threads run in place. */
  queue: PgRunQueue | undefined;
  /** The client matrix's rows, read once at start: permission checks read roles synchronously. */
  clientRecords: unknown[];
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL: the shared ledger (with this replica's mirror in MAOS_HOME/ledger.db), the
 * shared state and the shared outbox. Every replica signs the one ledger, so each must hold its key:
 * MAOS_LEDGER_KEY is required, and a replica with another key is refused by the genesis check.
 */
export async function connectShared(opts: {
  env: Env;
  url: string;
  clock: Clock;
  charter: Charter;
  key: () => LedgerKey;
  /** The bot: open the run queue too, under this replica's name. */
  withQueue?: { replica: string; log: Logger } | undefined;
}): Promise<SharedStores> {
  const { env, url, clock, charter } = opts;
  if (!env.MAOS_LEDGER_KEY) {
    throw new CodexError(
      "CONFIG_INVALID",
      "DATABASE_URL is set but MAOS_LEDGER_KEY is not: every replica signs the one shared ledger, so every replica needs the same ledger key",
      {
        hint: "set MAOS_LEDGER_KEY on every replica to one key (the PRIVATE+KEY+… line of a MAOS_HOME/keys/ledger.key, for example the one `npm start` wrote on a first SQLite start); README: Running more than one replica",
      },
    );
  }
  const key = opts.key();
  // Pools: the bot's main thread serves Slack and the queue; a `maos` command and each run worker
  // thread need few connections, so replicas stay well inside the server's max_connections.
  const small = !opts.withQueue;
  const ledger = await MirroredLedger.open({
    readConnections: small ? 2 : 4,
    url,
    path: path.join(env.MAOS_HOME, "ledger.db"),
    signer: key.signer,
    clock,
    environment: env.MAOS_ENVIRONMENT ?? charter.identity.environment,
    origin: `${charter.identity.origin}/ledger`,
  });
  const opened: { close(): unknown }[] = [ledger];
  try {
    const state = await PgStateStore.open({ url, clock, connections: small ? 2 : 4 });
    opened.push(state);
    // The ledger's migrations created the outbox table; PgOutbox only checks and opens it.
    const outbox = await PgOutbox.open({ url, clock, connections: small ? 1 : 2 });
    opened.push(outbox);
    const clientRecords = (await state.listClients()).map((r) => r.record);
    let queue: PgRunQueue | undefined;
    if (opts.withQueue) {
      // pg-boss loads only for the bot: a `maos` command runs in its own process, as it always has.
      const { PgRunQueue } = await import("../executor/queue/PgRunQueue.ts");
      queue = await PgRunQueue.open({ url, ...opts.withQueue });
      opened.push(queue);
    }
    return {
      ledger,
      state,
      outbox,
      queue,
      clientRecords,
      async close() {
        await queue?.close();
        await outbox.close();
        await state.close();
        await ledger.close();
      },
    };
  } catch (err) {
    for (const o of opened.reverse()) await Promise.resolve(o.close()).catch(() => {});
    throw err;
  }
}
