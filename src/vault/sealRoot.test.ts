import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { comparePaths, sealRoot, sha256Hex } from "./sealRoot.ts";

const sha = (...parts: (string | Buffer)[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

describe("sealRoot", () => {
  it("is SHA-256 of the empty string for no files", () => {
    assert.equal(sealRoot([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("hashes one file as a 0x00-prefixed leaf of `path\\nsha256`", () => {
    const file = { path: "run.json", sha256: sha256Hex(Buffer.from("{}\n")) };
    assert.equal(sealRoot([file]), sha(Buffer.from([0]), `run.json\n${file.sha256}`).toString("hex"));
  });

  it("combines three leaves as RFC 6962 does: ((a b) c)", () => {
    const files = ["a.md", "b.md", "c.md"].map((path) => ({ path, sha256: sha256Hex(Buffer.from(path)) }));
    const [a, b, c] = files.map((f) => sha(Buffer.from([0]), `${f.path}\n${f.sha256}`));
    const expected = sha(Buffer.from([1]), sha(Buffer.from([1]), a as Buffer, b as Buffer), c as Buffer);
    assert.equal(sealRoot(files), expected.toString("hex"));
  });

  it("changes when a file is renamed, even with the same bytes", () => {
    const digest = sha256Hex(Buffer.from("same"));
    assert.notEqual(
      sealRoot([{ path: "a.md", sha256: digest }]),
      sealRoot([{ path: "b.md", sha256: digest }]),
    );
  });

  it("orders paths by code unit, like Array.prototype.sort", () => {
    const paths = ["b.md", "B.md", "a/b.md", "a.md", "agent_x.md"];
    assert.deepEqual([...paths].sort(comparePaths), [...paths].sort());
  });
});
