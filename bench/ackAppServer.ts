/**
 * Child process of the ack bench: the real Slack surface (startSlack in HTTP mode over a real
 * createApp) configured by its environment exactly as `npm start` is: MAOS_HOME, MAOS_STACKS,
 * MAOS_CHARTER, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, LOG_LEVEL, with runs on worker
 * threads (ACK_RUN_WORKERS=0: on the main thread, as before they moved). It listens on
 * 127.0.0.1 on a free port and reports its /slack/events URL over IPC (see ackChild.ts).
 */
import { createApp } from "../src/app/createApp.ts";
import { defaultRunWorkers } from "../src/app/WorkerRuns.ts";
import { loadEnv } from "../src/config/loadEnv.ts";
import { SLACK_EVENTS_PATH } from "../src/slack/createSlackApp.ts";
import { startSlack } from "../src/slack/startSlack.ts";
import { serveChild } from "./ackChild.ts";

// Runs on worker threads as `npm start` does; ACK_RUN_WORKERS=0 runs them on the main thread (before).
const workers = process.env.ACK_RUN_WORKERS ? Number(process.env.ACK_RUN_WORKERS) : defaultRunWorkers();
const app = createApp({ env: loadEnv({ ...process.env, PORT: "0" }), runWorkers: workers });
app.runExecutor().start();
const runtime = await startSlack(app, { host: "127.0.0.1" });

serveChild(`http://127.0.0.1:${runtime.port}${SLACK_EVENTS_PATH}`, {
  idle: () => runtime.slack.idle(),
  async stop() {
    await runtime.stop();
    await app.close();
  },
});
