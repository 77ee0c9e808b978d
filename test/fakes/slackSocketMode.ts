/**
 * A fake Slack Socket Mode endpoint on 127.0.0.1: apps.connections.open on the fake Web API answers
 * with this server's ws:// URL, and the WebSocket speaks Slack's envelope format: `hello` on connect,
 * then envelopes (`slash_commands`, `interactive`, `events_api`) each carrying an `envelope_id` that the
 * app must acknowledge with `{ envelope_id, payload }`. Tests can drop the socket to force a reconnect.
 */
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import type { FakeSlack } from "./slackWebApi.ts";

export interface SocketAck {
  envelope_id: string;
  payload?: unknown;
}

export interface FakeSocketMode {
  url: string;
  /** WebSocket connections accepted so far. */
  connections: number;
  /** apps.connections.open calls answered. */
  opens: number;
  acks: SocketAck[];
  /** Resolves once `n` connections have been accepted and greeted with hello. */
  connected(n: number): Promise<void>;
  /** Sends a `slash_commands` envelope with these form fields; resolves with the app's ack. */
  slashCommand(fields: Record<string, string>): Promise<SocketAck>;
  /** Sends any envelope of `type` with `payload`; resolves with the app's ack. */
  envelope(type: string, payload: unknown): Promise<SocketAck>;
  /** Closes the current socket from the server side, as a network drop or a Slack restart would. */
  drop(): void;
  close(): Promise<void>;
}

export async function startFakeSocketMode(slack: FakeSlack): Promise<FakeSocketMode> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/link/?ticket=fake-ticket`;
  let current: WebSocket | undefined;
  let seq = 0;
  const waiting = new Map<string, (ack: SocketAck) => void>();
  const connectionWaiters: { n: number; resolve: () => void }[] = [];
  const fake: FakeSocketMode = {
    url,
    connections: 0,
    opens: 0,
    acks: [],
    connected(n) {
      if (fake.connections >= n) return Promise.resolve();
      return new Promise((resolve) => connectionWaiters.push({ n, resolve }));
    },
    slashCommand(fields) {
      return fake.envelope("slash_commands", fields);
    },
    envelope(type, payload) {
      const socket = current;
      if (!socket) return Promise.reject(new Error("no Socket Mode connection to send on"));
      const envelopeId = `env-${++seq}-${type}`;
      const acked = new Promise<SocketAck>((resolve) => waiting.set(envelopeId, resolve));
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== "events_api",
          ...(type === "events_api" ? { retry_attempt: 0, retry_reason: "" } : {}),
        }),
      );
      return acked;
    },
    drop() {
      current?.terminate();
      current = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };

  slack.handle("apps.connections.open", () => {
    fake.opens++;
    return { url };
  });

  wss.on("connection", (socket) => {
    current = socket;
    fake.connections++;
    socket.on("message", (data) => {
      let msg: SocketAck;
      try {
        msg = JSON.parse(String(data)) as SocketAck;
      } catch {
        return;
      }
      if (typeof msg.envelope_id !== "string") return;
      fake.acks.push(msg);
      waiting.get(msg.envelope_id)?.(msg);
      waiting.delete(msg.envelope_id);
    });
    socket.send(
      JSON.stringify({
        type: "hello",
        num_connections: 1,
        debug_info: { host: "applink-fake", build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: "A0MAOS" },
      }),
    );
    for (const w of connectionWaiters.filter((x) => x.n <= fake.connections)) w.resolve();
  });
  return fake;
}
