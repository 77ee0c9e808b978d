/**
 * "No third-party relays": every outbound request goes through the egress guard, which lets through only
 * the hosts the configuration implies. A request to an unlisted loopback port — from the guard's fetch
 * or from an SDK given it — never reaches that port, is written to the ledger as a governance
 * violation, and trips STOP–RESET–REALIGN through the autonomy kernel.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { webApi } from "@slack/bolt";
import { isEgressRefusal } from "../../src/egress/EgressGuard.ts";
import { testApp } from "../helpers/testApp.ts";
import { startRelayFakes } from "./relayKit.ts";

test("a request to an unlisted loopback port is refused, ledgered as a governance violation, and halts the loop", {}, async (t) => {
  const fakes = await startRelayFakes();
  let hits = 0;
  const other = createServer((_req, res) => {
    hits++;
    res.end("{}");
  });
  other.listen(0, "127.0.0.1");
  await once(other, "listening");
  const port = (other.address() as AddressInfo).port;
  const ta = testApp(fakes.env);
  t.after(async () => {
    await ta.cleanup();
    other.close();
    await fakes.close();
  });
  const { app } = ta;
  const kernel = app.autonomy();
  kernel.configure({ mode: "headless" });
  await kernel.heartbeat("schedule");
  assert.equal((await kernel.srr()).state, "RUNNING");

  // Allowed: the configured Notion fake answers through the same guard.
  assert.ok(app.egress().allows(fakes.notion.url));
  assert.equal(
    (await app.egress().fetch(`${fakes.notion.url}/v1/users/me`)).status,
    401,
    "reached (and refused auth)",
  );

  // Refused: the same loopback host on a port no setting names, straight and through an SDK.
  await assert.rejects(app.egress().fetch(`http://127.0.0.1:${port}/exfiltrate?token=abc`), (err: unknown) =>
    isEgressRefusal(err),
  );
  const slack = new webApi.WebClient("xoxb-not-configured-anywhere", {
    slackApiUrl: `http://127.0.0.1:${port}/api/`,
    fetch: app.egress().fetch,
    retryConfig: { retries: 0 },
  });
  await assert.rejects(slack.auth.test());
  await app.egress().idle();
  await kernel.idle();
  assert.equal(hits, 0, "no request reached the unlisted port");

  const violations = app.ledger().query({ eventType: "GOVERNANCE_VIOLATION" });
  assert.ok(violations.length >= 2);
  const v = violations[0]?.payload as { rule: string; host: string; target: string; allowed: string[] };
  assert.equal(v.rule, "egress_refused");
  assert.equal(v.host, `127.0.0.1:${port}`);
  assert.equal(v.target, `http://127.0.0.1:${port}/exfiltrate`, "no query string (it may carry secrets)");
  assert.ok(v.allowed.includes(new URL(fakes.notion.url).host));

  assert.equal((await kernel.srr()).state, "HALTED");
  const halted = app.ledger().query({ eventType: "SRR_HALTED" });
  assert.equal(halted.length, 1, "one halt, however many refusals");
  const payload = halted[0]?.payload as { triggers: { trigger: string }[] } | undefined;
  const triggers = (payload?.triggers ?? []).map((x) => x.trigger);
  assert.ok(triggers.includes("governance_violation"), `triggers: ${triggers}`);
  const incident = (await app.state().listIncidents({ status: "open" }))[0];
  assert.equal(incident?.trigger, "governance_violation");
});
