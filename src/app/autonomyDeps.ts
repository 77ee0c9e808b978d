import type { AutonomyDeps } from "../autonomy/AutonomyDeps.ts";
import { lazyModule } from "../core/lazyModule.ts";
import type { App } from "./App.ts";

const checkpointKeeper = lazyModule<typeof import("../audit/checkpointKeeper.ts")>(
  import.meta.url,
  "../audit/checkpointKeeper.ts",
);

/**
 * What the autonomy kernel may reach: the App's pieces it uses, looked up at each call (so a test that
 * replaces a piece of the App is seen), and the checkpoint anchoring bound to this App.
 */
export function autonomyDeps(app: App): AutonomyDeps {
  return {
    get env() {
      return app.env;
    },
    get clock() {
      return app.clock;
    },
    get log() {
      return app.log;
    },
    get home() {
      return app.home;
    },
    get stacksDir() {
      return app.stacksDir;
    },
    charter: () => app.charter(),
    extraRoles: () => app.extraRoles(),
    effectiveRoles: () => app.effectiveRoles(),
    state: () => app.state(),
    ledger: () => app.ledger(),
    ledgerPath: () => app.ledgerPath(),
    ledgerKey: () => app.ledgerKey(),
    custody: () => app.custody(),
    vault: () => app.vault(),
    vaultWatch: () => app.vaultWatch(),
    approvals: () => app.approvals(),
    relays: () => app.relays(),
    clients: () => app.clients(),
    memory: () => app.memory(),
    hub: () => app.hub(),
    anchor: (opts) => checkpointKeeper().anchorInVault(app, opts),
  };
}
