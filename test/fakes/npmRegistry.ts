/**
 * A one-package npm registry on 127.0.0.1: enough for `npm install NAME@MAJOR` to resolve the packument
 * and download the tarball, so the launcher's "install Node from the npm registry" path runs for real
 * without the network. The package's files are given; the tarball is made with tar(1) as npm expects
 * (everything under `package/`) and served with its sha512 integrity.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

export interface FakeRegistry {
  url: string;
  /** Request paths the registry saw, in order. */
  requests: string[];
  close(): Promise<void>;
}

export interface FakePackage {
  name: string;
  version: string;
  /** Relative path → content; paths under bin/ are made executable. */
  files: Record<string, string>;
}

export async function startFakeRegistry(pkg: FakePackage): Promise<FakeRegistry> {
  const work = mkdtempSync(path.join(os.tmpdir(), "maos-registry-"));
  const root = path.join(work, "package");
  for (const [rel, content] of Object.entries(pkg.files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    if (rel.startsWith("bin/")) chmodSync(file, 0o755);
  }
  writeFileSync(
    path.join(root, "package.json"),
    JSON.stringify({ name: pkg.name, version: pkg.version, bin: { node: "bin/node" } }),
  );
  const tgz = path.join(work, "package.tgz");
  execFileSync("tar", ["-czf", tgz, "-C", work, "package"]);
  const tarball = readFileSync(tgz);
  const integrity = `sha512-${createHash("sha512").update(tarball).digest("base64")}`;
  const shasum = createHash("sha1").update(tarball).digest("hex");
  const tarPath = `/${pkg.name}/-/${pkg.name}-${pkg.version}.tgz`;

  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    requests.push(url);
    if (url === `/${pkg.name}`) {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const manifest = {
        name: pkg.name,
        version: pkg.version,
        bin: { node: "bin/node" },
        dist: { tarball: `${base}${tarPath}`, integrity, shasum },
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          name: pkg.name,
          "dist-tags": { latest: pkg.version },
          versions: { [pkg.version]: manifest },
        }),
      );
      return;
    }
    if (url === tarPath) {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": tarball.length });
      res.end(tarball);
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "Not found" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(work, { recursive: true, force: true });
    },
  };
}
