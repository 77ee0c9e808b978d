import { electLeader } from "../autonomy/leaderElection.ts";
import { replicaName } from "../config/replicaName.ts";
import { CodexError } from "../core/CodexError.ts";
import type { App } from "./createApp.ts";

/**
 * One autonomy loop per MAOS_HOME: a second bot on the same home stops here, naming the process that
 * holds the loop. CLI commands beside the bot are fine: they never run a loop. With DATABASE_URL the
 * replicas elect one leader instead (leadWhenElected), and the others stand by.
 */
export async function startTheLoop(app: App): Promise<void> {
  if (app.env.DATABASE_URL) return leadWhenElected(app, app.env.DATABASE_URL);
  app.clients().start();
  const kernel = app.autonomy();
  if (await kernel.startLoop()) return;
  const holder = await kernel.loopHolder();
  throw new CodexError(
    "REFUSED",
    holder
      ? `the autonomy loop of ${app.home} already runs in pid ${holder.pid} on ${holder.host} (${holder.mode}, since ${holder.startedAt}, last heartbeat ${holder.lastBeatAt ?? "none yet"})`
      : `the autonomy loop of ${app.home} could not be started: ${(await kernel.loopStatus()).where}`,
    {
      hint: "one bot per MAOS_HOME: stop that process first, or point MAOS_HOME elsewhere; maos commands work beside it",
    },
  );
}

/**
 * Replicas on one PostgreSQL: the one holding the leader lock runs the autonomy loop, the daily snapshot
 * and the client sync; the others stand by and take over within 2 × heartbeat when it dies. Every replica
 * serves Slack, runs and delivers evidence meanwhile.
 */
function leadWhenElected(app: App, url: string): void {
  const kernel = app.autonomy();
  const replica = replicaName(app.env);
  const log = app.log.child({ part: "leader", replica });
  let failing = false;
  const lock = electLeader({
    url,
    replica,
    heartbeatMs: app.charter().schedules.heartbeatSeconds * 1000,
    ledger: app.ledger(),
    clock: app.clock,
    lead: async () => {
      log.info("elected leader: running the autonomy loop, the daily snapshot and the client sync");
      await kernel.startLoop({ takeover: true });
      app.clients().start();
    },
    stepDown: (reason) => {
      log.warn({ reason }, "no longer the leader: the loop stops here");
      kernel.stopLoop().catch((err: unknown) => log.error({ err }, "could not stop the loop"));
      app
        .clients()
        .stop()
        .catch((err: unknown) => log.error({ err }, "could not stop the client sync"));
    },
    onStandby: () => log.info("standing by: another replica leads the autonomy loop"),
    // Once per outage, not at every attempt; /health reports it meanwhile.
    onError: (err) => {
      if (!failing)
        log.error(
          { err },
          "PostgreSQL (DATABASE_URL) does not answer: this replica cannot lead or record; trying again",
        );
      failing = true;
    },
    onRecovered: () => {
      failing = false;
      log.info("PostgreSQL (DATABASE_URL) answers again");
    },
  });
  kernel.attachLeadership(lock);
}

/** Headless: the relay server is already listening; evidence goes out through the outbox; the loop starts. */
export async function hostHeadless(app: App): Promise<void> {
  const kernel = app.autonomy();
  kernel.configure({ mode: "headless", publisher: app.relays().publisher() });
  app.relays().start();
  await startTheLoop(app);
}

/**
 * The shell: evidence is announced where the operator types and queued in the outbox; `/codex activate`
 * starts the relay server (through `startRelay`) and the loop in this process.
 */
export function hostShell(
  app: App,
  opts: { write: (text: string) => void; color: boolean; startRelay: () => Promise<{ port: number }> },
): void {
  app.autonomy().configure({
    mode: "shell",
    startRelay: opts.startRelay,
    // Queued in the outbox (Notion and Teamwork when configured), and shown here.
    publisher: app.relays().publisher({
      // One line per item: a command's own reply already shows the details, so the full text would repeat it.
      echo: (item) => {
        const line = `📣 ${item.kind}: ${item.title} (ledger seq ${item.ledgerSeq})`;
        opts.write(`\n${opts.color ? `\x1b[2m${line}\x1b[22m` : line}\n`);
      },
    }),
  });
  app.relays().start();
}
