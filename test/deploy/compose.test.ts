/**
 * compose.yaml (full-service mode) read as Docker Compose reads it, since this machine has no Docker
 * engine: the replicas share one database, one ledger key and one vault remote, each keeps its own
 * home, every variable they set is one the bot reads, and the load balancer sends to every replica.
 * test/postgres/replicas.e2e.test.ts runs the same topology with real processes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { REPO } from "../helpers/testApp.ts";

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  command?: string[];
}

const compose = parse(readFileSync(path.join(REPO, "compose.yaml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const replicas = Object.keys(services).filter((n) => /^codex-\d+$/.test(n));
const documented = new Set(
  [...readFileSync(path.join(REPO, ".env.example"), "utf8").matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map(
    (m) => m[1],
  ),
);

test("two bot replicas, PostgreSQL, the vault remote and a load balancer", () => {
  assert.deepEqual(replicas, ["codex-1", "codex-2"]);
  for (const name of ["db", "vault-remote", "lb"]) assert.ok(services[name], `service ${name}`);
  assert.match(services.db?.image ?? "", /^postgres:/);
});

test("every replica: the shared database, ledger key and vault remote; its own name and home", () => {
  const homes = new Set<string>();
  const names = new Set<string>();
  for (const name of replicas) {
    const s = services[name] as Service;
    const env = s.environment ?? {};
    assert.match(env.DATABASE_URL ?? "", /^postgres:\/\/maos:\$\{POSTGRES_PASSWORD:\?[^}]+\}@db:5432\/maos$/);
    assert.match(env.MAOS_LEDGER_KEY ?? "", /^\$\{MAOS_LEDGER_KEY:\?/, "one key, required");
    assert.equal(env.MAOS_VAULT_REMOTE, "/srv/vault-remote/vault.git");
    assert.equal(env.MAOS_BIND, "0.0.0.0");
    assert.equal(env.SLACK_APP_TOKEN, undefined, "replicas serve Slack's HTTP mode");
    names.add(env.MAOS_REPLICA ?? "");
    const home = (s.volumes ?? []).find((v) => v.endsWith(":/app/data"));
    assert.ok(home, `${name} keeps its home in a volume`);
    homes.add(home);
    assert.ok(s.volumes?.includes("vault-remote:/srv/vault-remote"), `${name} mounts the vault remote`);
    const deps = s.depends_on as Record<string, { condition: string }>;
    assert.equal(deps.db?.condition, "service_healthy");
    assert.equal(deps["vault-remote"]?.condition, "service_completed_successfully");
    // Every variable set is one the bot reads (documented in .env.example).
    for (const key of Object.keys(env)) assert.ok(documented.has(key), `${key} is not in .env.example`);
  }
  assert.equal(names.size, replicas.length, "distinct MAOS_REPLICA names");
  assert.equal(homes.size, replicas.length, "a home volume each");
  assert.match(
    services["vault-remote"]?.command?.join(" ") ?? "",
    /git init --bare --quiet \/srv\/vault-remote\/vault\.git/,
  );
  for (const v of ["pgdata", "vault-remote", "codex-1-data", "codex-2-data"])
    assert.ok(v in compose.volumes, v);
});

test("the load balancer sends to every replica, on the port the replicas listen on", () => {
  const nginx = readFileSync(path.join(REPO, "deploy/nginx.conf"), "utf8");
  const upstream = [...nginx.matchAll(/server (codex-\d+):(\d+)/g)];
  assert.deepEqual(
    upstream.map((m) => m[1]),
    replicas,
  );
  for (const m of upstream) assert.equal(m[2], services[m[1] as string]?.environment?.PORT);
});
