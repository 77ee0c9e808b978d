import { existsSync } from "node:fs";
import path from "node:path";
import type { Client as NotionClient } from "@notionhq/client";
import type { AgentHub } from "../agents/AgentHub.ts";
import type { Provider } from "../agents/Provider.ts";
import type { ApprovalService } from "../approvals/ApprovalService.ts";
import type { VaultWatch } from "../audit/vaultWatch.ts";
import type { AutonomyKernel } from "../autonomy/AutonomyKernel.ts";
import type { ClientMatrix, ClientRecord } from "../clients/ClientMatrix.ts";
import { dotEnvOrigin } from "../config/dotEnv.ts";
import { type Env, loadEnv, secretValues } from "../config/loadEnv.ts";
import { replicaName } from "../config/replicaName.ts";
import { CodexError } from "../core/CodexError.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import { lazyModule } from "../core/lazyModule.ts";
import type { Logger } from "../core/logger.ts";
import { EgressGuard, type EgressRefusal } from "../egress/EgressGuard.ts";
import { egressAllowlist } from "../egress/egressAllowlist.ts";
import type { RunExecutor } from "../executor/RunExecutor.ts";
import type { Charter } from "../governance/charter.ts";
import type { RoleMembers } from "../governance/roles.ts";
import type { Ledger } from "../ledger/Ledger.ts";
import type { LedgerWatch, VerifyCallOptions } from "../ledger/LedgerWatch.ts";
import type { LedgerKey } from "../ledger/ledgerKey.ts";
import type { MemoryIndex } from "../memory/MemoryIndex.ts";
import type { Relays } from "../relays/Relays.ts";
import type { StateApi } from "../state/StateApi.ts";
import type { StateStore } from "../state/StateStore.ts";
import type { Vault } from "../vault/Vault.ts";
import type { App } from "./App.ts";
import { autonomyDeps } from "./autonomyDeps.ts";
import type { SharedStores } from "./connectShared.ts";
import { mergeClientRoles } from "./mergeClientRoles.ts";
import { openAppVault } from "./openAppVault.ts";
import { recordAttempt } from "./recordAttempt.ts";
import { recordEgressRefusal } from "./recordEgressRefusal.ts";
import { refuseIfSettledElsewhere } from "./settledElsewhere.ts";

// The heavy pieces (the LLM, Notion and MCP SDKs, SQLite, git, the kernel) load on first use, so a
// command that needs none of them (`maos stacks list`, `maos --help`) starts in a few hundred ms.
const load = <T>(specifier: string) => lazyModule<T>(import.meta.url, specifier);
const agentHub = load<typeof import("../agents/AgentHub.ts")>("../agents/AgentHub.ts");
const createProviderModule = load<typeof import("../agents/createProvider.ts")>(
  "../agents/createProvider.ts",
);
const providersFromEnvModule = load<typeof import("../agents/providersFromEnv.ts")>(
  "../agents/providersFromEnv.ts",
);
const approvalService = load<typeof import("../approvals/ApprovalService.ts")>(
  "../approvals/ApprovalService.ts",
);
const checkpointKeeper = load<typeof import("../audit/checkpointKeeper.ts")>("../audit/checkpointKeeper.ts");
const verifiedMark = load<typeof import("../audit/verifiedMark.ts")>("../audit/verifiedMark.ts");
const vaultWatchModule = load<typeof import("../audit/vaultWatch.ts")>("../audit/vaultWatch.ts");
const autonomyKernel = load<typeof import("../autonomy/AutonomyKernel.ts")>("../autonomy/AutonomyKernel.ts");
const clientMatrix = load<typeof import("../clients/ClientMatrix.ts")>("../clients/ClientMatrix.ts");
const reconcile = load<typeof import("../executor/reconcileRuns.ts")>("../executor/reconcileRuns.ts");
const charterModule = load<typeof import("../governance/charter.ts")>("../governance/charter.ts");
const roleGrants = load<typeof import("../governance/roleGrants.ts")>("../governance/roleGrants.ts");
const roles = load<typeof import("../governance/roles.ts")>("../governance/roles.ts");
const ledgerModule = load<typeof import("../ledger/Ledger.ts")>("../ledger/Ledger.ts");
const ledgerWatch = load<typeof import("../ledger/LedgerWatch.ts")>("../ledger/LedgerWatch.ts");
const ledgerKeyModule = load<typeof import("../ledger/ledgerKey.ts")>("../ledger/ledgerKey.ts");
// pino too: the CLI passes a logger made on first use (lazyLogger), so a command that logs nothing skips it.
const loggerModule = load<typeof import("../core/logger.ts")>("../core/logger.ts");
const memoryModule = load<typeof import("../memory/openMemory.ts")>("../memory/openMemory.ts");
const limitedFetchModule = load<typeof import("../relays/limitedFetch.ts")>("../relays/limitedFetch.ts");
const notionClient = load<typeof import("../relays/notion/createNotionClient.ts")>(
  "../relays/notion/createNotionClient.ts",
);
const relaysModule = load<typeof import("../relays/Relays.ts")>("../relays/Relays.ts");
const sinkLimiter = load<typeof import("../relays/SinkLimiter.ts")>("../relays/SinkLimiter.ts");
const stateStore = load<typeof import("../state/StateStore.ts")>("../state/StateStore.ts");
const connectSharedModule = load<typeof import("./connectShared.ts")>("./connectShared.ts");
const replicaRunsModule = load<typeof import("./replicaRuns.ts")>("./replicaRuns.ts");
const inThreadRunsModule = load<typeof import("./inThreadRuns.ts")>("./inThreadRuns.ts");
const workerRunsModule = load<typeof import("./WorkerRuns.ts")>("./WorkerRuns.ts");

export type { App } from "./App.ts";

export interface AppOptions {
  env?: Env;
  clock?: Clock;
  log?: Logger;
  charter?: Charter;
  ledger?: Ledger;
  vault?: Vault;
  hub?: AgentHub;
  /** The HTTP client under the egress guard (tests point SDKs at loopback fakes through base URLs instead). */
  fetch?: typeof fetch;
  random?: () => number;
  /**
   * Run worker threads for runs (WorkerRuns; the bot passes defaultRunWorkers()); 0 or unset: runs
   * execute on the calling thread (the CLI, the shell, tests with an injected clock).
   */
  runWorkers?: number;
  /**
   * Reacts to a refused egress once it is recorded (STOP–RESET–REALIGN through the kernel, by default);
   * a run worker sends it to the bot's thread, whose kernel runs the loop.
   */
  egressRefused?: (refusal: EgressRefusal, seq: number) => Promise<void>;
}

/**
 * The composition root. Defaults live here; nothing else constructs clients. Heavy pieces (the
 * ledger, the vault, providers) are built on first use, so `maos stacks list` opens no database.
 */
export function createApp(opts: AppOptions = {}): App {
  const env = opts.env ?? loadEnv();
  const clock = opts.clock ?? systemClock;
  const secrets = secretValues(env);
  const log = opts.log ?? loggerModule().createLogger({ level: env.LOG_LEVEL, secrets });
  const home = env.MAOS_HOME;
  // Every SDK and client sends through the egress guard; a refused host is a governance violation.
  const egress = new EgressGuard({
    allowed: egressAllowlist(env),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    onRefused: (r) =>
      recordEgressRefusal(app, r, opts.egressRefused).catch((err: unknown) =>
        log.error({ err }, "could not record a refused egress"),
      ),
  });
  const fetchOpt = { fetch: egress.fetch };
  let notion: NotionClient | undefined;
  let relays: Relays | undefined;
  let clients: ClientMatrix | undefined;

  let charter = opts.charter;
  let key: LedgerKey | undefined;
  let ledger = opts.ledger;
  let vault: Promise<Vault> | undefined = opts.vault ? Promise.resolve(opts.vault) : undefined;
  let vaultWatch: VaultWatch | undefined;
  let hub = opts.hub;
  let extraRoles: RoleMembers | undefined;
  let state: StateStore | undefined;
  let approvals: ApprovalService | undefined;
  let recovered = false;
  let watch: LedgerWatch | undefined;
  let vaultKeyRecording: Promise<void> | undefined;
  let autonomy: AutonomyKernel | undefined;
  let memory: MemoryIndex | undefined;
  let runExecutor: RunExecutor | undefined;
  // DATABASE_URL: the ledger, state and outbox every replica shares, opened by connect().
  let shared: SharedStores | undefined;
  let connecting: Promise<void> | undefined;
  // Why connecting failed: thrown by whatever needs the stores, so commands that need none still work.
  let connectError: unknown;
  // The shared ledger was handed out: only then does close() sign a closing checkpoint (a `maos stacks
  // list` beside the replicas connects, and must not add a checkpoint to the shared ledger).
  let sharedLedgerUsed = false;
  const providers = new Map<string, Provider>();

  // The vault's signing key (or that signing is now off) is recorded once per process, before its first
  // seal or commit: the verifiers accept a commit's signature state only as the ledger recorded it.
  const recordVaultKeyOnce = (): Promise<void> => {
    vaultKeyRecording ??= checkpointKeeper()
      .recordVaultKey(app)
      .catch((err: unknown) => {
        vaultKeyRecording = undefined;
        throw err;
      });
    return vaultKeyRecording;
  };
  // With DATABASE_URL the shared stores must be open first (connect(), at every entry point): nothing may
  // quietly fall back to MAOS_HOME's SQLite files while the operator asked for PostgreSQL.
  const requireShared = (): SharedStores | undefined => {
    if (!env.DATABASE_URL) return undefined;
    if (!shared && connectError) throw connectError;
    if (!shared) {
      throw new CodexError(
        "INTERNAL",
        "DATABASE_URL is set but the app was used before it connected to the database",
        { hint: "call app.connect() at the entry point before any command runs" },
      );
    }
    return shared;
  };
  // SQLite's StateStore (MAOS_HOME/state.db), or PostgreSQL's shared one.
  const stateApi = (): StateApi => {
    const s = requireShared();
    if (s) return s.state;
    state ??= stateStore().StateStore.open(path.join(home, "state.db"), clock);
    return state;
  };
  // The client matrix's records for the roles, read synchronously by every permission check: SQLite's
  // own listClients, or the rows PostgreSQL gave at connect (kept fresh by the client sync's onSynced).
  const clientRecords = (): ClientRecord[] => {
    const s = requireShared();
    if (s) return s.clientRecords as ClientRecord[];
    return (stateApi() as StateStore).listClients<ClientRecord>().map((r) => r.record);
  };

  const app: App = {
    env,
    clock,
    log,
    home,
    secrets,
    stacksDir: env.MAOS_STACKS,
    charter() {
      charter ??= charterModule().loadCharter(env.MAOS_CHARTER);
      return charter;
    },
    extraRoles() {
      if (!extraRoles) {
        extraRoles = env.MAOS_ROLES ? roles().parseRoleEnv(env.MAOS_ROLES, app.charter()) : {};
        // Read synchronously by every permission check (clientRecords: SQLite's, or PostgreSQL's read at connect).
        mergeClientRoles(extraRoles, app, clientRecords);
      }
      return extraRoles;
    },
    effectiveRoles() {
      const origin = dotEnvOrigin("MAOS_ROLES");
      return roleGrants().effectiveRoles(app.charter(), app.extraRoles(), {
        envRoles: env.MAOS_ROLES ? roles().parseRoleEnv(env.MAOS_ROLES, app.charter()) : {},
        envSource: origin ? `MAOS_ROLES from ${origin}` : "MAOS_ROLES from the environment",
      });
    },
    egress: () => egress,
    notion() {
      if (!notion && env.NOTION_TOKEN) {
        notion = notionClient().createNotionClient({
          token: env.NOTION_TOKEN,
          baseUrl: env.NOTION_BASE_URL,
          fetch: limitedFetchModule().limitedFetch(
            egress.fetch,
            new (sinkLimiter().SinkLimiter)({ clock, intervalMs: sinkLimiter().NOTION_INTERVAL_MS }),
            clock,
          ),
          log,
        });
      }
      return notion;
    },
    relays() {
      relays ??= new (relaysModule().Relays)({
        env,
        clock,
        log,
        secrets: () => app.secrets,
        charter: () => app.charter(),
        state: () => app.state(),
        ledger: () => app.ledger(),
        ledgerPath: () => app.ledgerPath(),
        fetch: egress.fetch,
        notion: () => app.notion(),
        ...(opts.random ? { random: opts.random } : {}),
        sharedOutbox: () => requireShared()?.outbox,
        checkpointFor: async (seq) => {
          const latest = app.ledger().latestCheckpoint();
          return latest !== undefined && latest.size > seq
            ? latest.note
            : (await checkpointKeeper().coverLedger(app)).note;
        },
      });
      return relays;
    },
    clients() {
      clients ??= new (clientMatrix().ClientMatrix)({
        notion: () => app.notion(),
        dataSourceId: env.NOTION_CLIENT_MATRIX_DATA_SOURCE_ID,
        state: () => app.state(),
        charter: () => app.charter(),
        clock,
        log,
        cron: env.MAOS_CLIENT_SYNC_CRON,
        // Approval authority from the matrix feeds the charter roles (kept in the same object).
        onSynced: (synced) => {
          if (shared) shared.clientRecords = synced;
          if (extraRoles)
            mergeClientRoles(
              extraRoles,
              app,
              () => synced,
              env.MAOS_ROLES ? roles().parseRoleEnv(env.MAOS_ROLES, app.charter()) : {},
            );
        },
      });
      return clients;
    },
    state: () => stateApi(),
    async connect() {
      const url = env.DATABASE_URL;
      if (!url || shared) return;
      connecting ??= Promise.resolve()
        .then(() =>
          connectSharedModule().connectShared({
            env,
            url,
            clock,
            charter: app.charter(),
            key: () => app.ledgerKey(),
            // The bot (it has run worker threads): runs go through the replicas' shared queue.
            withQueue: opts.runWorkers ? { replica: replicaName(env), log } : undefined,
          }),
        )
        .then(
          (s) => {
            shared = s;
            connectError = undefined;
          },
          (err: unknown) => {
            connectError = err;
          },
        )
        .finally(() => {
          connecting = undefined;
        });
      await connecting;
    },
    approvals() {
      approvals ??= new (approvalService().ApprovalService)({
        store: app.state(),
        ledger: app.ledger(),
        charter: () => app.charter(),
        extraRoles: app.extraRoles(),
      });
      return approvals;
    },
    autonomy() {
      if (!autonomy) {
        autonomy = new (autonomyKernel().AutonomyKernel)(autonomyDeps(app));
        // Evidence is durable from the start: queued in the outbox, delivered by whichever process runs the dispatcher.
        autonomy.configure({ publisher: app.relays().publisher() });
      }
      return autonomy;
    },
    ledgerKey() {
      key ??= env.MAOS_LEDGER_KEY
        ? ledgerKeyModule().ledgerKeyFromString(env.MAOS_LEDGER_KEY)
        : ledgerKeyModule().loadOrCreateLedgerKey(path.join(home, "keys"), app.charter().identity.origin);
      return key;
    },
    ledgerPath: () => path.join(home, "ledger.db"),
    async custody(opts?: VerifyCallOptions) {
      // The vault's copies and state.db's high-water mark: a ledger.db rolled back or truncated past
      // either of them fails, also after a restart.
      // The vault's newest note and its staged checkpoints/ files (not every SEAL.json: that grew with
      // the runs; state.db's mark and the newest note bind every earlier entry by their Merkle roots).
      const checkpoints = [
        ...(existsSync(path.join(home, "vault", ".git")) ? await app.vaultWatch().notes() : []),
        ...(await checkpointKeeper().knownCheckpoints(app)),
      ];
      // Replicas: the mirror first takes in what the others appended, so custody covers the shared ledger.
      await requireShared()?.ledger.refresh();
      // Continues from the last passing verification (this process's or another's, kept signed in
      // state.db): only entries written since are read, with a full pass at least hourly.
      if (!watch) {
        const mark = await verifiedMark().watchMarkOptions(app);
        watch ??= new (ledgerWatch().LedgerWatch)({
          path: app.ledgerPath(),
          verifierKey: app.ledgerKey().verifierKey,
          ...mark,
          now: () => clock.now().getTime(),
        });
      }
      return watch.verify(checkpoints, opts);
    },
    ledger() {
      const s = requireShared();
      if (s) {
        sharedLedgerUsed = true;
        return s.ledger;
      }
      if (!ledger) {
        const c = app.charter();
        ledger = ledgerModule().Ledger.open({
          path: app.ledgerPath(),
          signer: app.ledgerKey().signer,
          clock,
          environment: env.MAOS_ENVIRONMENT ?? c.identity.environment,
          origin: `${c.identity.origin}/ledger`,
        });
      }
      return ledger;
    },
    vaultWatch() {
      vaultWatch ??= new (vaultWatchModule().VaultWatch)(app);
      return vaultWatch;
    },
    vault() {
      // A failed open (a remote that did not answer, say) is not kept: the next use tries again.
      vault ??= openAppVault({ env, home, clock, log, beforeCommit: recordVaultKeyOnce }).catch((err) => {
        vault = undefined;
        throw err;
      });
      return vault;
    },
    memory() {
      memory ??= memoryModule().openMemory(env, egress.fetch);
      return memory;
    },
    providerFor(spec: string) {
      let p = providers.get(spec);
      if (!p) {
        p = createProviderModule().createProvider(spec, env, { ...fetchOpt, source: "--provider" });
        providers.set(spec, p);
      }
      return p;
    },
    hub() {
      if (!hub) {
        const { prime, backup } = providersFromEnvModule().providersFromEnv(env, fetchOpt);
        providers.set(prime.spec, prime);
        hub = new (agentHub().AgentHub)({
          prime,
          ...(backup ? { backup } : {}),
          clock,
          ...(opts.random ? { random: opts.random } : {}),
          onAttempt: (a) => recordAttempt(app, a),
        });
      }
      return hub;
    },
    async runDeps() {
      await recordVaultKeyOnce();
      return {
        ledger: app.ledger(),
        hub: app.hub(),
        vault: await app.vault(),
        charter: app.charter(),
        clock,
        providerFor: app.providerFor,
        secrets,
        onCheckpoint: (cp) => checkpointKeeper().remember(app, cp),
        ...(shared ? { beforeSeal: refuseIfSettledElsewhere(shared.ledger) } : {}),
        // Read between agents: a cancel asked for by any process (maos cancel, /codex cancel) stops the run.
        cancelRequest: (runId: string) => app.state().cancelRequest(runId),
        // Memory for each agent's prompt; a memory failure never fails a run.
        recall: async (query: string, stack: string) => {
          try {
            await app.memory().sync(app.ledgerPath(), path.join(home, "vault"));
            return (await app.memory().search({ query, stack, limit: 5 })).hits;
          } catch (err) {
            log.warn({ err }, "memory recall failed; the run goes on without memory");
            return [];
          }
        },
      };
    },
    runExecutor() {
      if (!runExecutor) {
        const local = opts.runWorkers
          ? new (workerRunsModule().WorkerRuns)(app, opts.runWorkers)
          : inThreadRunsModule().inThreadRuns(app);
        const s = requireShared();
        runExecutor = s?.queue ? new (replicaRunsModule().ReplicaRuns)(app, s.queue, local, s.ledger) : local;
      }
      return runExecutor;
    },
    async reconcileRuns() {
      // Once per start: later calls (every `run`) cost nothing.
      if (recovered) return { aborted: [], sealedLate: [] };
      recovered = true;
      const s = requireShared();
      return reconcile().reconcileRuns(app.ledger(), () => app.vault(), undefined, {
        ...(s ? { thisHostOnly: true, refresh: () => s.ledger.refresh() } : {}),
      });
    },
    async recoverAbortedRuns() {
      return (await app.reconcileRuns()).aborted;
    },
    async close() {
      // Runs in flight finish first (on the worker threads, each closing its own App).
      await runExecutor?.close();
      runExecutor = undefined;
      await autonomy?.close();
      // Whatever this process wrote is covered by a signed checkpoint, kept in state.db and staged in the vault.
      if (ledger || sharedLedgerUsed) {
        try {
          if (vault) await checkpointKeeper().anchorInVault(app);
          else await checkpointKeeper().coverLedger(app);
        } catch (err) {
          log.warn({ err }, "could not sign the closing checkpoint");
        }
      }
      autonomy = undefined;
      await clients?.stop();
      await egress.idle();
      await relays?.close();
      await state?.close();
      state = undefined;
      approvals = undefined;
      ledger?.close();
      ledger = undefined;
      await shared?.close();
      shared = undefined;
      memory?.close();
      memory = undefined;
    },
  };
  return app;
}
