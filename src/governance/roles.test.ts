import assert from "node:assert/strict";
import { test } from "node:test";
import { CodexError } from "../core/CodexError.ts";
import { type Charter, parseCharter } from "./charter.ts";
import { mayRun, parseRoleEnv, rolesFor, rolesOf } from "./roles.ts";

const charter: Charter = parseCharter(
  Buffer.from(`roles:
  operator: { members: [U0OPS] }
  approver: { members: [S0APPROVERS] }
  client_role:business_owner: { members: [W0OWNER] }
`),
  "charter.yml",
);

test("everyone is a member; ids and user groups add roles, charter order first", () => {
  assert.deepEqual(rolesOf(charter, "U0RANDOM"), ["member"]);
  assert.deepEqual(rolesOf(charter, "U0OPS"), ["member", "operator"]);
  assert.deepEqual(rolesOf(charter, "U0ANY", ["S0APPROVERS"]), ["member", "approver"]);
  assert.deepEqual(rolesOf(charter, "W0OWNER"), ["member", "client_role:business_owner"]);
});

test("extra members from MAOS_ROLES add roles", () => {
  const extra = parseRoleEnv("operator=U0NEW;viewer=S0AUDIT");
  assert.deepEqual(rolesOf(charter, "U0NEW", [], extra), ["member", "operator"]);
  assert.deepEqual(rolesOf(charter, "U0X", ["S0AUDIT"], extra), ["member", "viewer"]);
});

test("mayRun allows by role and names the roles needed", () => {
  assert.deepEqual(mayRun(charter, "status", "U0RANDOM"), { allowed: true, needed: ["member"] });
  assert.deepEqual(mayRun(charter, "activate", "U0RANDOM"), { allowed: false, needed: ["operator"] });
  assert.deepEqual(mayRun(charter, "activate", "U0OPS"), { allowed: true, needed: ["operator"] });
  assert.equal(mayRun(charter, "seal", "U0OPS").allowed, false);
  assert.equal(mayRun(charter, "seal", "W0OWNER").allowed, true);
  assert.equal(mayRun(charter, "seal", "U0X", ["S0APPROVERS"]).allowed, true);
  assert.equal(mayRun(charter, "incident.approve", "U0OPS").allowed, false);
  assert.equal(mayRun(charter, "incident", "U0OPS").allowed, true);
  assert.equal(mayRun(charter, "stop", "U0X", [], { operator: ["U0X"] }).allowed, true);
});

test("subcommands fall back to their parent; unknown commands are refused to everyone", () => {
  assert.deepEqual(rolesFor(charter, "incident.open"), ["operator", "approver"]);
  assert.deepEqual(mayRun(charter, "format-disk", "U0OPS"), { allowed: false, needed: [] });
});

test("parseRoleEnv reads ROLE=ID,ID;ROLE=ID, tolerating spaces and a trailing ;", () => {
  assert.deepEqual(parseRoleEnv("operator=U123,U456;client_role:business_owner=U789"), {
    operator: ["U123", "U456"],
    "client_role:business_owner": ["U789"],
  });
  assert.deepEqual(parseRoleEnv(" operator = U123 , W456 ; operator=U123; "), { operator: ["U123", "W456"] });
  assert.deepEqual(parseRoleEnv(""), {});
});

test("parseRoleEnv refuses malformed values with CONFIG_INVALID naming MAOS_ROLES", () => {
  for (const [value, why] of [
    ["operator", /no ROLE=/],
    ["=U123", /no ROLE=/],
    ["Operator=U123", /not a role name/],
    ["operator=", /no member ids/],
    ["operator=bob", /not a Slack user or user-group id/],
    ["operator=*", /cannot be granted by env/],
  ] as const) {
    assert.throws(
      () => parseRoleEnv(value),
      (e) =>
        e instanceof CodexError &&
        e.code === "CONFIG_INVALID" &&
        e.message.startsWith("MAOS_ROLES is malformed") &&
        why.test(e.message) &&
        (e.hint ?? "").includes("operator=U123,U456;client_role:business_owner=U789"),
      value,
    );
  }
});

test("parseRoleEnv with a charter refuses roles the charter does not define", () => {
  assert.throws(
    () => parseRoleEnv("admin=U1AB", charter),
    (e) =>
      e instanceof CodexError && e.code === "CONFIG_INVALID" && /role "admin" is not defined/.test(e.message),
  );
  assert.deepEqual(parseRoleEnv("viewer=U1AB", charter), { viewer: ["U1AB"] });
});
