import { Counter, Gauge, type Metric, Registry } from "prom-client";
import { DRIFT_COMPONENTS } from "./drift.ts";
import type { TelemetryReading } from "./Telemetry.ts";

const BANDS = ["green", "yellow", "red"] as const;

/**
 * The telemetry signals as Prometheus metrics, in a registry of this app's own (never prom-client's
 * global one, so two apps in one process, as in tests, never collide). Updated on every heartbeat.
 * Until the first heartbeat the signal gauges are absent (a gauge never set would read 0: drift 0, no
 * faults, a healthy-looking lie); `maos_telemetry_ready 0` and the counters (0 heartbeats) say so.
 */
export class AutonomyMetrics {
  readonly registry = new Registry();
  readonly #heartbeatAge: Gauge;
  readonly #heartbeats: Counter;
  readonly #missed: Counter;
  readonly #late: Counter;
  readonly #skipped: Counter;
  readonly #load: Gauge;
  readonly #lag: Gauge;
  readonly #cpu: Gauge;
  readonly #memory: Gauge;
  readonly #rss: Gauge;
  readonly #queue: Gauge;
  readonly #drift: Gauge;
  readonly #component: Gauge;
  readonly #band: Gauge;
  readonly #providerAttempts: Gauge;
  readonly #providerFailed: Gauge;
  readonly #governance: Gauge;
  readonly #violations: Gauge;
  readonly #sealAligned: Gauge;
  readonly #ledgerHealthy: Gauge;
  readonly #ledgerEntries: Gauge;
  readonly #vaultHealthy: Gauge;
  readonly #relayUp: Gauge;
  readonly #relayUptime: Gauge;
  readonly #halted: Gauge;
  readonly #incidents: Gauge;
  readonly #faults: Gauge;
  readonly #ready: Gauge;
  /** Gauges registered at the first heartbeat (or, for SRR's two, at the first change). */
  readonly #pending = new Set<Metric>();
  #beaten = false;
  readonly #slackConnected: Gauge;
  readonly #slackFailures: Counter;
  #entries: (() => number) | undefined;

  constructor() {
    const registers = [this.registry];
    const gauge = (name: string, help: string, labelNames: string[] = []) => {
      const g = new Gauge({ name, help, labelNames, registers: [] });
      this.#pending.add(g);
      return g;
    };
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    this.#ready = new Gauge({
      name: "maos_telemetry_ready",
      help: "1 once a heartbeat has measured the signals; 0 before the first (the signal gauges are absent until then)",
      registers,
    });
    this.#heartbeatAge = gauge("maos_heartbeat_age_seconds", "Seconds between the last two heartbeats");
    this.#heartbeats = counter("maos_heartbeats_total", "Heartbeats emitted by this process");
    this.#missed = counter(
      "maos_heartbeat_missed_slots_total",
      "Scheduled heartbeat slots that passed unfired",
    );
    this.#late = counter("maos_heartbeat_late_total", "Heartbeats that fired late");
    this.#skipped = counter(
      "maos_heartbeat_skipped_total",
      "Heartbeats skipped because the previous one was still running",
    );
    this.#load = gauge("maos_load_index", "Load index, 0..1: the worst of lag, CPU, memory and run queue");
    this.#lag = gauge(
      "maos_event_loop_lag_seconds",
      "Event-loop delay, 99th percentile since the last heartbeat",
    );
    this.#cpu = gauge("maos_cpu_ratio", "Process CPU time over wall time, per core");
    this.#memory = gauge("maos_memory_ratio", "V8 heap used over its limit");
    this.#rss = gauge("maos_memory_rss_bytes", "Resident set size");
    this.#queue = gauge("maos_run_queue_depth", "Runs started and not yet finished");
    this.#drift = gauge("maos_drift_score", "Drift score, 0..100");
    this.#component = gauge("maos_drift_component_points", "Points each drift component adds", ["component"]);
    this.#band = gauge("maos_drift_band", "1 for the current drift band", ["band"]);
    this.#providerAttempts = gauge("maos_provider_attempts", "Provider attempts in the drift window", [
      "provider",
    ]);
    this.#providerFailed = gauge("maos_provider_failures", "Failed provider attempts in the drift window", [
      "provider",
    ]);
    this.#governance = gauge(
      "maos_governance_compliant",
      "1 when no violation is in the window and SRR is RUNNING",
    );
    this.#violations = gauge("maos_governance_violations", "Governance violations in the drift window");
    this.#sealAligned = gauge(
      "maos_seal_aligned",
      "1 when the charter, stacks and manifest hash as the last seal recorded",
    );
    this.#ledgerHealthy = gauge("maos_ledger_healthy", "1 when the ledger verifies");
    const metrics = this;
    this.#ledgerEntries = new Gauge({
      name: "maos_ledger_entries",
      help: "Ledger entries, genesis included (read from the ledger file at each scrape when it is open)",
      registers: [],
      collect() {
        // Every process's entries: the count is the file's, as `maos ledger verify` reports it.
        try {
          const n = metrics.#entries?.();
          if (n !== undefined) this.set(n);
        } catch {
          // Unreadable now: the last heartbeat's count stands, and maos_ledger_healthy says why.
        }
      },
    });
    this.#pending.add(this.#ledgerEntries);
    this.#vaultHealthy = gauge("maos_vault_healthy", "1 when every sealed run folder verifies");
    this.#relayUp = gauge("maos_relay_up", "1 when the relay server is online");
    this.#relayUptime = gauge("maos_relay_uptime_seconds", "Seconds since the relay server started");
    this.#halted = gauge("maos_srr_halted", "1 while STOP-RESET-REALIGN has the autonomy loop halted");
    this.#incidents = gauge("maos_open_incidents", "Governance incidents not yet resolved");
    this.#faults = gauge("maos_telemetry_faults", "Signals that could not be measured at the last heartbeat");
    // Measured by the Socket Mode supervisor, not by heartbeats: present from the start.
    this.#slackConnected = new Gauge({
      name: "maos_slack_connected",
      help: "1 while the Socket Mode connection to Slack is up",
      registers,
    });
    this.#slackFailures = counter(
      "maos_slack_connect_failures_total",
      "Socket Mode connection attempts that failed (apps.connections.open or the WebSocket)",
    );
  }

  /** Counts a heartbeat skipped by the no-overlap rule. */
  skipped(): void {
    this.#skipped.inc();
  }

  #show(metrics: Iterable<Metric>): void {
    for (const m of metrics) {
      if (!this.#pending.delete(m)) continue;
      this.registry.registerMetric(m);
    }
  }

  update(r: TelemetryReading): void {
    this.#beaten = true;
    this.#ready.set(1);
    this.#show([...this.#pending]);
    this.#heartbeats.inc();
    if (r.tick.missedSlots > 0) this.#missed.inc(r.tick.missedSlots);
    if (r.tick.late) this.#late.inc();
    this.#heartbeatAge.set(r.heartbeatAgeSeconds ?? 0);
    this.#load.set(r.load.index);
    this.#lag.set(r.load.eventLoopLagMs / 1000);
    this.#cpu.set(r.load.cpu);
    this.#memory.set(r.load.memory);
    this.#rss.set(r.load.rssBytes);
    this.#queue.set(r.load.runQueue);
    this.#drift.set(r.drift.score);
    for (const name of [...DRIFT_COMPONENTS, "custody"]) {
      this.#component.set({ component: name }, r.drift.components.find((c) => c.name === name)?.points ?? 0);
    }
    for (const band of BANDS) this.#band.set({ band }, r.drift.band === band ? 1 : 0);
    this.#providerAttempts.reset();
    this.#providerFailed.reset();
    for (const [provider, p] of Object.entries(r.agents.byProvider)) {
      this.#providerAttempts.set({ provider }, p.attempts);
      this.#providerFailed.set({ provider }, p.failed);
    }
    this.#governance.set(r.governance.compliant ? 1 : 0);
    this.#violations.set(r.governance.violations);
    this.#sealAligned.set(r.sealAlignment.aligned ? 1 : 0);
    this.#ledgerHealthy.set(r.ledger.ok ? 1 : 0);
    this.#ledgerEntries.set(r.ledger.size);
    this.#vaultHealthy.set(r.vault.ok ? 1 : 0);
    this.#relayUp.set(r.relay.online ? 1 : 0);
    this.#relayUptime.set(r.relay.uptimeSeconds ?? 0);
    this.#halted.set(r.governance.srr === "HALTED" ? 1 : 0);
    this.#incidents.set(r.governance.openIncidents);
    this.#faults.set(r.faults.length);
  }

  /** Reads the entry count at each scrape (the kernel passes the ledger's). */
  liveEntries(count: () => number): void {
    this.#entries = count;
  }

  /** A ledger write failed: unhealthy at once, before the heartbeat that follows reports it. */
  ledgerWriteFailed(): void {
    this.#show([this.#ledgerHealthy]);
    this.#ledgerHealthy.set(0);
  }

  /** SRR and incident gauges change between heartbeats (stop, resume): kept current here. */
  setGovernance(halted: boolean, openIncidents: number): void {
    this.#show([this.#halted, this.#incidents]);
    this.#halted.set(halted ? 1 : 0);
    this.#incidents.set(openIncidents);
  }

  /** The Slack connection changes between heartbeats (SocketSupervisor): kept current here. */
  setSlack(connected: boolean, failed: boolean): void {
    this.#slackConnected.set(connected ? 1 : 0);
    if (failed) this.#slackFailures.inc();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Whether this process has emitted a heartbeat yet. */
  get beaten(): boolean {
    return this.#beaten;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
