import assert from "node:assert/strict";
import { test } from "node:test";
import { describePgFailure, pgLocation, pgUnreachable } from "./pgLocation.ts";

test("a database is named without its password", () => {
  assert.equal(
    pgLocation("postgres://maos:s3cr3t@db.example:5432/codex"),
    "postgres://maos@db.example:5432/codex",
  );
  assert.equal(pgLocation("postgres://db.example/codex"), "postgres://db.example/codex");
  assert.match(pgLocation("not a url"), /does not parse/);
});

test("a failure says where and PostgreSQL's words; the hint tells a server out of reach from a refused statement", () => {
  const where = "postgres://maos@db.example:5432/codex";
  const down = Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:5432"), { code: "ECONNREFUSED" });
  const shutdown = Object.assign(new Error("terminating connection due to administrator command"), {
    code: "57P01",
  });
  const dropped = new Error("Connection terminated unexpectedly");
  for (const e of [down, shutdown, dropped]) {
    assert.equal(pgUnreachable(e), true, e.message);
    assert.match(describePgFailure("a state statement", where, e).hint, /down or unreachable.*DATABASE_URL/);
  }
  const missing = Object.assign(new Error('relation "processed_events" does not exist'), { code: "42P01" });
  assert.equal(pgUnreachable(missing), false);
  const d = describePgFailure("a state statement", where, missing);
  assert.equal(
    d.message,
    `a state statement failed on ${where}: relation "processed_events" does not exist (42P01)`,
  );
  assert.match(d.hint, /DATABASE_URL names the replicas' database/);
});
