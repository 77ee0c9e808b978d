/**
 * Child process of the ack bench: the fake Slack Web API (test/fakes/slackWebApi.ts) in a process of
 * its own, so the app's post-ack Web API traffic is served neither by the app's event loop nor by the
 * load generator's. Accepts SLACK_BOT_TOKEN; reports its base URL over IPC (see ackChild.ts).
 */
import { startFakeSlack } from "../test/fakes/slackWebApi.ts";
import { serveChild } from "./ackChild.ts";

const slack = await startFakeSlack(process.env.SLACK_BOT_TOKEN ? { token: process.env.SLACK_BOT_TOKEN } : {});

serveChild(slack.url, {
  // Calls per Web API method, so the bench can show the runs really posted their results.
  info: () => {
    const byMethod: Record<string, number> = {};
    for (const c of slack.calls) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
    return byMethod;
  },
  stop: () => slack.close(),
});
