import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { App } from "../app/App.ts";
import { relayBind } from "../config/relayBind.ts";
import { createRelayServer } from "./createRelayServer.ts";

export interface Headless {
  /** Where the relay server answers, e.g. http://localhost:8000. */
  url: string;
  stop(): Promise<void>;
}

/** Headless mode (no Slack, no TTY): the relay server on PORT, on MAOS_BIND (loopback by default). */
export async function startHeadless(app: App, port = app.env.PORT): Promise<Headless> {
  const bind = relayBind(app.env);
  const server = createRelayServer({ app });
  server.listen(port, bind.host);
  await Promise.race([
    once(server, "listening"),
    // `once` rejects on "error" (EADDRINUSE and the like), which is what we want to surface.
    once(server, "error").then(([err]) => Promise.reject(err)),
  ]);
  const actual = (server.address() as AddressInfo).port;
  // A loopback or wildcard bind answers on localhost; a single interface only on its own address.
  const local = bind.loopback || bind.host === "0.0.0.0" || bind.host === "::";
  return {
    url: `http://${local ? "localhost" : bind.host.includes(":") ? `[${bind.host}]` : bind.host}:${actual}`,
    async stop() {
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
