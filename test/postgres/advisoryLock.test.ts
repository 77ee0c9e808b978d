/**
 * withAdvisoryLock / tryWithAdvisoryLock (src/state/pg/advisoryLock.ts), the cluster lock the replicas'
 * vault writes take: one holder at a time, a try that finds it held returns at once, a holder that
 * throws or whose session dies frees it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import pg from "pg";
import { tryWithAdvisoryLock, withAdvisoryLock } from "../../src/state/pg/advisoryLock.ts";
import { pgConnect, pgSkip } from "../helpers/pgTestDb.ts";

const skip = pgSkip();
/** A key of each test's own: advisory locks are per database, which other test files share. */
const freshKey = () => randomBytes(4).readUInt32BE(0) & 0x7fffffff;

describe("the cluster lock on PostgreSQL", { skip }, () => {
  test("one holder at a time; a try while it is held does not wait; a throwing holder frees it", async () => {
    const url = process.env.MAOS_TEST_DATABASE_URL as string;
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    try {
      const key = freshKey();
      const order: string[] = [];
      let release = () => {};
      let entered = () => {};
      const inFirst = new Promise<void>((r) => (entered = r));
      const first = withAdvisoryLock(pool, key, async () => {
        order.push("first in");
        entered();
        await new Promise<void>((r) => (release = r));
        order.push("first out");
      });
      await inFirst;
      assert.deepEqual(await tryWithAdvisoryLock(url, key, async () => "never"), { ran: false });
      const second = withAdvisoryLock(url, key, async () => {
        order.push("second in");
      });
      release();
      await Promise.all([first, second]);
      assert.deepEqual(order, ["first in", "first out", "second in"]);

      await assert.rejects(
        withAdvisoryLock(pool, key, async () => {
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.deepEqual(await tryWithAdvisoryLock(pool, key, async () => "free"), {
        ran: true,
        value: "free",
      });
    } finally {
      await pool.end();
    }
  });

  test("a holder whose session the server ends frees the lock for the next", async (t) => {
    const url = process.env.MAOS_TEST_DATABASE_URL as string;
    const key = freshKey();
    const admin = await pgConnect(t, url);
    let entered = () => {};
    const inside = new Promise<void>((r) => (entered = r));
    let release = () => {};
    const held = withAdvisoryLock(url, key, async () => {
      entered();
      await new Promise<void>((r) => (release = r));
    });
    await inside;
    // The holder's backend, found by the lock it holds, is ended as a crash or a lost host would end it.
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::bigint::oid AND granted",
      [key],
    );
    assert.deepEqual(await withAdvisoryLock(url, key, async () => "next"), "next");
    release();
    await held;
  });
});
