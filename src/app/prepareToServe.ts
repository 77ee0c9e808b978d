import type { App } from "./App.ts";

/**
 * What the bot opens before it serves, so that neither its first heartbeat nor its first run does it
 * on the event loop while /health and Slack's acks wait: the vault (opening it runs git several times,
 * and each spawn holds the loop 10–60 ms in a process this size) and the custody watch. It also tells
 * the operator at start that the vault opens (its signing key, its remote). A vault that cannot be
 * opened now is said in the log and tried again at its first use.
 */
export async function prepareToServe(app: Pick<App, "vault" | "vaultWatch" | "log">): Promise<void> {
  app.vaultWatch();
  try {
    await app.vault();
  } catch (err) {
    app.log.warn({ err }, "the vault could not be opened at start; it is tried again at its first use");
  }
}
