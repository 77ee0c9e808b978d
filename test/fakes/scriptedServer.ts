import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./http.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** What a vendor fake's handler gets besides the request: its path, its parsed body, the next scripted reply. */
export interface ScriptedCall<R> {
  path: string;
  /** The JSON body, or the raw text when it does not parse (the handler answers 400 for it). */
  body: unknown;
  next(): R | undefined;
}

export interface ScriptedServer<R> {
  port: number;
  requests: RecordedRequest[];
  script(replies: R[]): void;
  /** Resolves once at least `n` requests have arrived. */
  waitForRequests(n: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The part every scripted vendor fake (OpenAI, Anthropic) shares: a loopback HTTP server that records
 * each request, wakes whoever waits for a count of them, and hands the vendor's handler the next reply
 * of a script. The handler speaks the vendor's wire format.
 */
export async function startScriptedServer<R>(
  handle: (req: IncomingMessage, res: ServerResponse, call: ScriptedCall<R>) => void | Promise<void>,
): Promise<ScriptedServer<R>> {
  const requests: RecordedRequest[] = [];
  let queue: R[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // Recorded as the raw string; the vendor's validation answers 400.
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    requests.push({ method: req.method ?? "GET", path, headers: req.headers, body });
    for (const w of waiters.filter((x) => requests.length >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    await handle(req, res, { path, body, next: () => queue.shift() });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    requests,
    script(replies) {
      queue = [...replies];
    },
    waitForRequests(n) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
