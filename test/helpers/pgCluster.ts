/**
 * A throwaway PostgreSQL cluster on a loopback port, for the tests and the bench: initdb into a temp
 * folder, pg_ctl start, and stop + remove on `stop()`. Uses the server binaries of Debian's `postgresql`
 * package (.ci/run installs it when missing). The server refuses to run as root, so as root it runs as
 * the `postgres` account the package creates.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface PgCluster {
  /** postgres://maos@127.0.0.1:PORT/postgres (trust authentication, loopback only). */
  url: string;
  port: number;
  dir: string;
  /** The server stops at once (as a crash would), its data kept: an outage. */
  halt(): void;
  /** Starts it again on the same port after halt(). */
  restart(): void;
  stop(): void;
}

/** The folder holding initdb and pg_ctl: MAOS_PG_BINDIR, PATH, or Debian's /usr/lib/postgresql/N/bin. */
export function findPgBinDir(): string | undefined {
  const fromEnv = process.env.MAOS_PG_BINDIR;
  if (fromEnv && existsSync(path.join(fromEnv, "pg_ctl"))) return fromEnv;
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(path.join(debian, v, "bin", "pg_ctl")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(debian, versions[0], "bin");
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, "pg_ctl")) && existsSync(path.join(dir, "initdb"))) return dir;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a cluster. `durable: false` (the tests) turns fsync off for speed; the bench keeps the
 * defaults, so its appends are durable as in production. Throws with the server's own words on failure.
 */
export async function startPgCluster(opts: { durable?: boolean } = {}): Promise<PgCluster> {
  const bin = findPgBinDir();
  if (!bin) {
    throw new Error(
      "no PostgreSQL server binaries (pg_ctl, initdb) found: install Debian's postgresql package, or set MAOS_PG_BINDIR",
    );
  }
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(os.tmpdir(), "maos-pg-"));
  const data = path.join(dir, "data");
  const log = path.join(dir, "server.log");
  // As root: the `postgres` account owns the folder and runs the server.
  // runuser lives in /usr/sbin, which a minimal PATH (CI's `env -i PATH=/usr/bin:/bin`) lacks.
  const runuser =
    ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].find((p) => existsSync(p)) ?? "runuser";
  const run = (cmd: string, args: string[]) => {
    const argv = asRoot ? ["-u", "postgres", "--", path.join(bin, cmd), ...args] : args;
    const r = spawnSync(asRoot ? runuser : path.join(bin, cmd), argv, { encoding: "utf8" });
    if (r.status !== 0) {
      const serverLog = existsSync(log) ? readFileSync(log, "utf8").slice(-2000) : "";
      throw new Error(
        `${cmd} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? "").trim()} ${serverLog}`.trim(),
      );
    }
  };
  try {
    if (asRoot) {
      execFileSync(existsSync("/usr/bin/chown") ? "/usr/bin/chown" : "chown", ["postgres:postgres", dir]);
      chmodSync(dir, 0o700);
    }
    run("initdb", ["-D", data, "-U", "maos", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
    const port = await freePort();
    const settings = [
      `-p ${port}`,
      "-c listen_addresses=127.0.0.1",
      `-c unix_socket_directories=${dir}`,
      "-c max_connections=300",
      ...(opts.durable ? [] : ["-c fsync=off", "-c full_page_writes=off"]),
    ];
    run("pg_ctl", ["-D", data, "-l", log, "-w", "-t", "60", "-o", settings.join(" "), "start"]);
    let stopped = false;
    let running = true;
    return {
      url: `postgres://maos@127.0.0.1:${port}/postgres`,
      port,
      dir,
      halt() {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
        running = false;
      },
      restart() {
        run("pg_ctl", ["-D", data, "-l", log, "-w", "-t", "60", "-o", settings.join(" "), "start"]);
        running = true;
      },
      stop() {
        if (stopped) return;
        stopped = true;
        try {
          // A test that failed between halt() and restart() still cleans up.
          if (running) run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
