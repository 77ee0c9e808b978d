import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, test } from "node:test";
import { hostShell } from "../../src/app/hostAutonomy.ts";
import { createRelayServer } from "../../src/server/createRelayServer.ts";
import { startShell } from "../../src/shell/startShell.ts";
import { REPO } from "../helpers/testApp.ts";
import { RELAY_TOKEN, startAutonomyHarness } from "./autonomyHarness.ts";

describe("the same flows from the shell adapter", () => {
  test("activate, status, stop, resume refused, incident list/show, seal refused, approve, resolve, resume", async (t) => {
    const h = await startAutonomyHarness({ host: "none" });
    let server: Server | undefined;
    t.after(async () => {
      server?.closeAllConnections();
      server?.close();
      await h.close();
    });
    let printed = "";
    hostShell(h.app, {
      write: (text) => {
        printed += text;
      },
      color: false,
      startRelay: async () => {
        server = createRelayServer({ app: h.app });
        server.listen(0, "127.0.0.1");
        await once(server, "listening");
        return { port: (server.address() as AddressInfo).port };
      },
    });
    const session = async (id: string, lines: string[]) => {
      const input = new PassThrough();
      const output = new PassThrough();
      output.on("data", (chunk: Buffer) => {
        printed += chunk.toString("utf8");
      });
      const done = startShell({
        app: h.app,
        input,
        output,
        actor: { source: "shell", id },
        prompt: "codex> ",
      });
      input.write(`${[...lines, "exit"].join("\n")}\n`);
      await done;
      const out = printed;
      printed = "";
      return out;
    };

    const olive = await session("local:olive", [
      "/codex activate",
      "status",
      "stop drill from the shell",
      "resume",
      "incident list",
      "incident show INC-1",
    ]);
    assert.match(
      olive,
      /📣 activation: MAOS activation started \(ledger seq \d+\)/,
      "the shell announces evidence",
    );
    assert.match(olive, /📣 incident: INC-1 opened/);
    assert.match(olive, /MAOS ACTIVATION: NOT ACTIVE/);
    assert.match(olive, /✅ MCP online: started by activation in this process on port \d+/);
    assert.match(olive, /✅ Autonomy loop running: running in this process/);
    assert.match(olive, /✅ Evidence logged: activation start noted in the ledger/);
    assert.match(olive, /❌ Seal created: no MVP seal yet/);
    // Issue 8: the loop and SRR in words ("on", "off", "HALTED"), never "RUNNING · loop …".
    assert.match(olive, /Autonomy:\s+on: the loop runs in this process, a heartbeat every 60 s/);
    assert.match(olive, /Drift:\s+0 \(green\) at heartbeat seq \d+/);
    assert.match(olive, /HALTED; INC-1 is open/);
    assert.match(olive, /resume refused: the loop stays HALTED\.\n• INC-1 is not approved/);
    assert.match(olive, /INC-1 open · manual/);
    assert.match(olive, /🚨 INC-1: GOVERNANCE INCIDENT/);
    assert.match(olive, /stopped by hand by shell:local:olive: drill from the shell/);

    const abe = await session("local:abe", [
      "seal v0",
      "incident resolve INC-1 too early",
      "incident approve INC-1",
      "incident resolve INC-1 drill over; nothing needed repair",
    ]);
    assert.match(abe, /MVP v0 seal refused/);
    assert.match(abe, /❌ autonomy_running: loop running in this process; SRR HALTED/);
    assert.match(abe, /❌ governance_enforced: STOP–RESET–REALIGN has the loop HALTED/);
    assert.match(abe, /INC-1 was not resolved\.\n• INC-1 is not approved yet/);
    assert.match(abe, /Approval APR-1 approved \(incident INC-1\)/);
    assert.match(abe, /INC-1 resolved: drill over; nothing needed repair/);

    const again = await session("local:olive", ["resume"]);
    assert.match(again, /The autonomy loop is RUNNING again/);
    assert.equal((await h.app.autonomy().srr()).state, "RUNNING");
    assert.equal(h.ledgerVerifies().ok, true);
    assert.ok(server, "activation started the relay server");
    const relay = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/heartbeat`, {
      headers: { authorization: `Bearer ${RELAY_TOKEN}` },
    });
    assert.equal(relay.status, 200, "the relay activation started answers");
  });
});

describe("the same flows from the maos CLI", () => {
  const user = os.userInfo().username;
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-autonomy-cli-"));
  after(() => rmSync(home, { recursive: true, force: true }));
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    MAOS_HOME: home,
    MAOS_CHARTER: path.join(REPO, "test/fixtures/autonomy/charter.yml"),
    MAOS_STACKS: path.join(REPO, "stacks"),
    MAOS_RELAY_TOKEN: RELAY_TOKEN,
    // The CLI's actor is the OS user; one person holding both roles still cannot approve their own incident.
    MAOS_ROLES: `operator=local:${user};approver=local:${user}`,
  };
  const maos = (...args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(REPO, "bin", "maos.js"), ...args], {
      cwd: REPO,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test("activate, status, stop, resume refused, incident list/show, self-approval and seal refused, runs paused", (t) => {
    if (!/^[a-z_][a-z0-9_.-]*$/.test(user))
      return t.skip(`needs environment: an OS user name MAOS_ROLES can hold (this one is ${user})`);
    const activate = maos("activate", "--json");
    assert.equal(activate.code, 1, activate.stderr);
    const report = JSON.parse(activate.stdout) as {
      status: string;
      checklist: { item: string; ok: boolean; detail: string }[];
    };
    assert.equal(report.status, "NOT ACTIVE");
    const failing = report.checklist.filter((c) => !c.ok).map((c) => c.item);
    assert.deepEqual(failing, ["MCP online", "Autonomy loop running", "Seal created"]);
    assert.match(report.checklist[5]?.detail ?? "", /no loop is running \(start it with npm start/);

    const status = maos("status", "--json");
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { srr: { state: string } }).srr.state, "RUNNING");

    const stop = maos("stop", "cli", "drill");
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /HALTED; INC-1 is open/);

    const resume = maos("resume");
    assert.equal(resume.code, 1);
    assert.match(resume.stdout, /INC-1 is not approved/);
    assert.match(resume.stdout, /INC-1 has no resolution note/);

    const list = maos("incident", "list", "--json");
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { id: string; status: string }[]).map((i) => [i.id, i.status]),
      [["INC-1", "open"]],
    );
    const show = maos("incident", "show", "INC-1");
    assert.equal(show.code, 0);
    assert.match(show.stdout, /stopped by hand by cli:local:/);

    const approve = maos("incident", "approve", "INC-1");
    assert.equal(approve.code, 1);
    assert.match(approve.stdout, /self-approval is not allowed/);

    const seal = maos("seal", "v0");
    assert.equal(seal.code, 1);
    assert.match(seal.stdout, /MVP v0 seal refused/);
    assert.match(seal.stdout, /❌ autonomy_running/);
    assert.match(seal.stdout, /❌ relay_online/);

    const run = maos("run", "marketing_ops", "--input", "event=x");
    assert.equal(run.code, 1);
    assert.match(run.stderr, /runs are paused: STOP–RESET–REALIGN/);
  });
});
