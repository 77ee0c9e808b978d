/**
 * `maos notion setup` and the Client Intelligence Layer against the fake Notion (every request
 * validated against the vendor spec), and the seal conditions they make real: v1's teamwork_live and
 * v3's kpi_layer_synced.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { after, before, describe, test } from "node:test";
import { dispatch } from "../../commands/dispatch.ts";
import { main } from "../../src/cli/main.ts";
import { KPI_FRESH_MS } from "../../src/clients/ClientMatrix.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { localActor } from "../../src/core/Actor.ts";
import { replyToText } from "../../src/core/replyText.ts";
import { type TestApp, testApp } from "../helpers/testApp.ts";
import { type RelayFakes, startRelayFakes, testCause } from "./relayKit.ts";

const text = (content: string) => [{ type: "text", text: { content } }];
const MATRIX_SCHEMA = {
  Client: "title",
  KPIs: "rich_text",
  "Revenue mapping": "rich_text",
  "Approval authority (RoleID)": "select",
  Approvers: "rich_text",
  "Heartbeat status": "select",
  Deliverables: "rich_text",
  History: "rich_text",
  Risks: "rich_text",
  "Governance state": "select",
  "Renewal date": "date",
};
const ACME = {
  Client: { title: text("Acme Builders") },
  KPIs: { rich_text: text("Leads/week ≥ 40; CPL ≤ $85") },
  "Revenue mapping": { rich_text: text("Retainer $12k/mo → campaign_operator") },
  "Approval authority (RoleID)": { select: { name: "client_role:business_owner" } },
  Approvers: { rich_text: text("U0ACMEOWNR, S0ACMEOPS") },
  "Heartbeat status": { select: { name: "green" } },
  Deliverables: { rich_text: text("Expo email sequence; Q1 report") },
  History: { rich_text: text("Onboarded 2026-03") },
  Risks: { rich_text: text("Trade-show budget cut") },
  "Governance state": { select: { name: "compliant" } },
  "Renewal date": { date: { start: "2027-03-01" } },
};
const FREEDOM = {
  Client: { title: text("Freedom Acres") },
  "Approval authority (RoleID)": { select: { name: "client_role:land_steward" } },
  Approvers: { rich_text: text("U0FREEDOM1") },
  "Heartbeat status": { select: { name: "yellow" } },
};

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let out = "";
  s.on("data", (c: Buffer) => {
    out += c.toString();
  });
  return { stream: s as unknown as NodeJS.WriteStream, text: () => out };
}

describe("Notion setup, the client matrix and the seal conditions they make real", {}, () => {
  let fakes: RelayFakes;
  let t: TestApp;
  let matrixId: string;
  const me = localActor("cli");
  const operator: Actor = me;
  before(async () => {
    fakes = await startRelayFakes();
    matrixId = fakes.notion.addDataSource({
      name: "MASTER CLIENT OPERATIONAL MATRIX",
      schema: MATRIX_SCHEMA,
      rows: [ACME, FREEDOM],
    }).id;
    t = testApp({
      ...fakes.env,
      NOTION_CLIENT_MATRIX_DATA_SOURCE_ID: matrixId,
      MAOS_ROLES: `operator=${me.id};approver=${me.id}`,
    });
  });
  after(async () => {
    await t.cleanup();
    await fakes.close();
  });

  test("maos notion setup creates the MAOS Activation Ledger with typed properties and prints the id", async () => {
    const out = capture();
    const err = capture();
    const code = await main(
      [
        "notion",
        "setup",
        "--parent",
        "https://www.notion.so/acme/Ops-0123456789abcdef0123456789abcdef",
        "--json",
      ],
      { stdout: out.stream, stderr: err.stream, app: t.app },
    );
    assert.equal(code, 0, err.text());
    const r = JSON.parse(out.text()) as { dataSourceId: string; parentPageId: string; env: string[] };
    assert.equal(r.parentPageId, "01234567-89ab-cdef-0123-456789abcdef");
    assert.deepEqual(r.env, [`NOTION_LEDGER_DATA_SOURCE_ID=${r.dataSourceId}`]);
    const ds = fakes.notion.dataSources.get(r.dataSourceId);
    assert.equal(ds?.name, "MAOS Activation Ledger");
    assert.deepEqual(ds?.schema, {
      Title: "title",
      Kind: "select",
      "Seal version": "select",
      Drift: "number",
      "Governance status": "select",
      "Correlation ID": "rich_text",
      "Ledger seq": "number",
      Date: "date",
      "Vault commit": "url",
      "Evidence ID": "rich_text",
    });
    assert.equal(t.app.ledger().query({ eventType: "NOTION_SETUP" }).length, 1);

    // The relay writes pages the new database accepts (the fake refuses unknown properties).
    const relay = testApp({ ...fakes.env, NOTION_LEDGER_DATA_SOURCE_ID: r.dataSourceId });
    try {
      await relay.app
        .relays()
        .publisher()
        .publish(
          {
            kind: "seal",
            title: "MVP_v0 sealed",
            reply: { summary: "sealed", parts: [] },
            markdown: "# MVP v0 sealed\n",
            correlationId: "setup-check",
            sealVersion: "v0",
            vaultCommit: "b".repeat(40),
            occurredAt: relay.clock.now(),
            channel: "evidence",
          },
          testCause("setup-check"),
        );
      assert.equal((await relay.app.relays().dispatcher().deliverDue()).delivered, 2);
      assert.equal(fakes.notion.pagesIn(r.dataSourceId).length, 1);
    } finally {
      await relay.cleanup();
    }
    assert.deepEqual(fakes.problems(), []);
  });

  test("/codex client <name> shows the card from the synced matrix", async () => {
    const card = replyToText(
      await dispatch("client acme", { app: t.app, actor: { source: "slack", id: "U0ANYONE" } }),
    );
    assert.match(card, /CLIENT: ACME BUILDERS/);
    assert.match(card, /Leads\/week ≥ 40/);
    assert.match(card, /client_role:business_owner/);
    assert.match(card, /Retainer \$12k\/mo/);
    assert.match(card, /Trade-show budget cut/);
    assert.match(card, /Renewal date: 2027-03-01/);
    const list = replyToText(
      await dispatch("client list", { app: t.app, actor: { source: "slack", id: "U0ANYONE" } }),
    );
    assert.match(list, /Acme Builders.*\n.*Freedom Acres/);
    const missing = replyToText(
      await dispatch("client acme buildrs", { app: t.app, actor: { source: "slack", id: "U0ANYONE" } }),
    );
    assert.match(missing, /did you mean "Acme Builders"/);
    const status = await t.app.clients().status();
    assert.deepEqual(
      status?.unknownRoles,
      ["client_role:land_steward"],
      "RoleIDs the charter lacks are reported, not invented",
    );
  });

  test("a client's approval RoleIDs feed the charter roles: its approver may approve an incident", async () => {
    const kernel = t.app.autonomy();
    kernel.configure({ mode: "headless" });
    const incident = await kernel.stop(operator, "client approval check", ["operator"]);
    const owner: Actor = { source: "slack", id: "U0ACMEOWNR" };
    const outsider: Actor = { source: "slack", id: "U0FREEDOM1" };
    assert.ok(t.app.extraRoles()["client_role:business_owner"]?.includes("U0ACMEOWNR"));
    const refused = await kernel.incidents.approve(incident.id, outsider);
    assert.notEqual(refused.outcome, "accepted", "a RoleID the charter does not define grants nothing");
    const ok = await kernel.incidents.approve(incident.id, owner);
    assert.equal(ok.outcome, "accepted", JSON.stringify(ok));
    assert.equal((await kernel.incidents.mustGet(incident.id)).approved, true);
  });

  test("seal v3's kpi_layer_synced and v1's teamwork_live are real checks", async () => {
    const { app, clock } = t;
    const kernel = app.autonomy();
    const condition = async (v: "v1" | "v3", name: string) =>
      (await kernel.seals.evaluate(v)).conditions.find((c) => c.name === name);
    await app.clients().sync();
    const kpi = await condition("v3", "kpi_layer_synced");
    assert.equal(kpi?.ok, true, kpi?.detail);
    assert.match(kpi?.detail ?? "", /2 client\(s\) synced 0 min ago/);
    const tw = await condition("v1", "teamwork_live");
    assert.equal(tw?.ok, true, tw?.detail);

    await clock.advance(KPI_FRESH_MS + 60_000);
    const stale = await condition("v3", "kpi_layer_synced");
    assert.equal(stale?.ok, false);
    // The scheduled sync (MAOS_CLIENT_SYNC_CRON, every 15 minutes by default) brings it back.
    const queries = fakes.notion.count("query-data-source");
    app.clients().start();
    await clock.advance(1);
    await app.clients().idle();
    assert.ok(fakes.notion.count("query-data-source") > queries, "synced on start");
    assert.equal((await condition("v3", "kpi_layer_synced"))?.ok, true);
    await app.clients().stop();

    const off = testApp();
    try {
      const c = (await off.app.autonomy().seals.evaluate("v3")).conditions;
      assert.match(
        c.find((x) => x.name === "kpi_layer_synced")?.detail ?? "",
        /not configured \(NOTION_TOKEN is not set\)/,
      );
      assert.match(
        c.find((x) => x.name === "teamwork_live")?.detail ?? "",
        /not configured \(TEAMWORK_SITE, TEAMWORK_API_KEY, TEAMWORK_TASKLIST_ID not set\)/,
      );
    } finally {
      await off.cleanup();
    }
    assert.deepEqual(fakes.problems(), []);
  });
});
