import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { App } from "../app/createApp.ts";
import { createRelayServer } from "./createRelayServer.ts";

export interface Headless {
  /** Where the relay server answers, e.g. http://localhost:8000. */
  url: string;
  stop(): Promise<void>;
}

/** Headless mode (no Slack, no TTY): the relay server on PORT, on every interface. */
export async function startHeadless(app: App, port = app.env.PORT): Promise<Headless> {
  const server = createRelayServer({ app });
  server.listen(port);
  await Promise.race([
    once(server, "listening"),
    // `once` rejects on "error" (EADDRINUSE and the like), which is what we want to surface.
    once(server, "error").then(([err]) => Promise.reject(err)),
  ]);
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${actual}`,
    async stop() {
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
