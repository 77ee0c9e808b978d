import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CodexError } from "../core/CodexError.ts";
import { safeRelPath } from "./safeRelPath.ts";

describe("safeRelPath", () => {
  it("accepts plain relative paths", () => {
    for (const p of ["run.json", "agent_x.md", "attachments/photo 1.png", ".hidden", "a..b/c"]) {
      assert.equal(safeRelPath(p, "runs/x"), p);
    }
  });

  it("refuses paths that escape or reach into .git", () => {
    const cases: [string, RegExp][] = [
      ["", /empty/],
      ["/etc/passwd", /absolute/],
      ["../up.md", /'\.\.'/],
      ["a/./b", /'\.'/],
      ["a//b", /empty segment/],
      ["a\\b", /backslash/],
      [".git/config", /\.git/],
      ["x/.GIT/hooks", /\.git/],
      ["bad\nname", /control character/],
    ];
    for (const [path, reason] of cases) {
      assert.throws(
        () => safeRelPath(path, "runs/x"),
        (err: unknown) => err instanceof CodexError && err.code === "REFUSED" && reason.test(err.message),
        JSON.stringify(path),
      );
    }
  });
});
