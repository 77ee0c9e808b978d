/**
 * Child process of the ack bench, the baseline: a bare Bolt app whose HTTPReceiver checks the
 * signature (Bolt's own check) and acks `/codex`, nothing else. SLACK_SIGNING_SECRET from the
 * environment; listens on 127.0.0.1 on a free port and reports its URL over IPC (see ackChild.ts).
 */
import type { AddressInfo } from "node:net";
import { App as BoltApp, HTTPReceiver, LogLevel } from "@slack/bolt";
import { serveChild } from "./ackChild.ts";

const signingSecret = process.env.SLACK_SIGNING_SECRET;
if (!signingSecret) throw new Error("ackBareBolt.ts needs SLACK_SIGNING_SECRET");

const receiver = new HTTPReceiver({ signingSecret, logLevel: LogLevel.ERROR });
const bolt = new BoltApp({
  receiver,
  // Bolt wants a token or an authorize function; with botId and botUserId given it makes no auth.test call.
  token: "xoxb-bare-bolt-baseline",
  botId: "B0BARE",
  botUserId: "U0BARE",
  logLevel: LogLevel.ERROR,
});
bolt.command("/codex", async ({ ack }) => {
  await ack();
});
const server = await receiver.start({ port: 0, host: "127.0.0.1" });

serveChild(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`, {
  stop: () => receiver.stop(),
});
