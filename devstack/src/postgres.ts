/**
 * A project-local PostgreSQL cluster for graph-node: its own data folder, listening on 127.0.0.1
 * only, on a port of the caller's choosing, with its Unix socket inside the data folder.
 *
 * PostgreSQL refuses to run as root, so when this process is root the cluster belongs to the
 * `postgres` system user and every server command runs through `runuser -u postgres --`.
 */
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
} from "node:fs";
import { userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";

import { run } from "./process.ts";

const POSTGRES_ROOT = "/usr/lib/postgresql";
const SUPERUSER = "postgres";

export interface PostgresOptions {
  /** Folder of the cluster; created and initialized when empty or missing. */
  dataDir: string;
  port: number;
  /**
   * False for throw-away clusters (tests): no fsync at all. Every cluster commits asynchronously:
   * graph-node writes a transaction per block, and waiting for each to reach the disk would cap
   * indexing at a few dozen blocks per second. A crash loses at most the last moments of indexing,
   * which graph-node redoes from the chain; it never corrupts the database.
   */
  durable?: boolean;
}

export interface PostgresCluster {
  dataDir: string;
  port: number;
  /** Whether this call started the server (false: it was already running). */
  startedHere: boolean;
  /** Connection URL of `database`. graph-node wants a password in it even though auth is `trust`. */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  /** Names of the databases whose name starts with `prefix`. */
  databases(prefix: string): Promise<string[]>;
  /** Stops the server (fast shutdown: open sessions are ended). */
  stop(): Promise<void>;
}

/** The bin folder of the newest PostgreSQL server installed (POSTGRES_BIN_DIR overrides). */
export function postgresBinDir(): string {
  const override = process.env.POSTGRES_BIN_DIR;
  if (override) return override;
  const versions = existsSync(POSTGRES_ROOT)
    ? readdirSync(POSTGRES_ROOT)
        .filter((version) => existsSync(join(POSTGRES_ROOT, version, "bin", "postgres")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      `No PostgreSQL server under ${POSTGRES_ROOT}/*/bin. Install it (Debian: apt-get install -y postgresql) ` +
        "or set POSTGRES_BIN_DIR.",
    );
  }
  return join(POSTGRES_ROOT, versions[0]!, "bin");
}

const asRoot = () => userInfo().uid === 0;

/** Runs a PostgreSQL server program, as the `postgres` user when we are root. */
function server(program: string, args: string[]): Promise<string> {
  const path = join(postgresBinDir(), program);
  return asRoot() ? run("runuser", ["-u", SUPERUSER, "--", path, ...args]) : run(path, args);
}

function isInitialized(dataDir: string): boolean {
  return existsSync(join(dataDir, "PG_VERSION"));
}

async function isRunning(dataDir: string): Promise<boolean> {
  if (!existsSync(join(dataDir, "postmaster.pid"))) return false;
  try {
    await server("pg_ctl", ["status", "-D", dataDir]);
    return true;
  } catch {
    return false;
  }
}

async function initialize(dataDir: string): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (asRoot()) {
    // The postgres user must be able to traverse every parent folder (mkdtemp makes them private).
    for (let dir = dirname(dataDir); dir !== dirname(dir); dir = dirname(dir)) {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) {
        chmodSync(dir, mode | 0o001);
        console.log(`Allowed other users to traverse ${dir} so that the postgres user reaches ${dataDir}`);
      }
    }
    const uid = Number(await run("id", ["-u", SUPERUSER]));
    const gid = Number(await run("id", ["-g", SUPERUSER]));
    chownSync(dataDir, uid, gid);
  }
  await server("initdb", ["-D", dataDir, "-U", SUPERUSER, "--auth=trust", "--locale=C", "-E", "UTF8"]);
}

/** Settings of every D-CloudX cluster, written once when the cluster is created. */
function clusterSettings(dataDir: string): string {
  return [
    "",
    "# D-CloudX: a private cluster for graph-node",
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dataDir}'`,
    "shared_preload_libraries = 'pg_stat_statements'",
    "max_connections = 200",
    "",
  ].join("\n");
}

function runningPort(dataDir: string): number {
  // postmaster.pid: pid, data dir, start time, port, socket dir, listen address, …
  return Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[3]);
}

/**
 * Starts the cluster in `dataDir` (creating it if needed), or attaches to it if it is already
 * running, in which case `port` is ignored and the running server's port is used.
 */
export async function startPostgres(options: PostgresOptions): Promise<PostgresCluster> {
  const dataDir = resolve(options.dataDir);
  if (/['\s]/.test(dataDir))
    throw new Error(`PostgreSQL data folder path must not contain quotes or spaces: ${dataDir}`);
  let startedHere = false;
  let port = options.port;
  if (await isRunning(dataDir)) {
    port = runningPort(dataDir);
  } else {
    if (!isInitialized(dataDir)) {
      await initialize(dataDir);
      appendFileSync(join(dataDir, "postgresql.conf"), clusterSettings(dataDir));
    }
    const flags = [`-p ${port}`, "-c synchronous_commit=off"];
    if (options.durable === false) flags.push("-c fsync=off -c full_page_writes=off");
    const logFile = join(dataDir, "server.log");
    try {
      await server("pg_ctl", ["start", "-D", dataDir, "-w", "-t", "60", "-l", logFile, "-o", flags.join(" ")]);
    } catch (error) {
      const log = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n") : "";
      throw new Error(`PostgreSQL did not start on port ${port}: ${(error as Error).message}\n${log}`, {
        cause: error,
      });
    }
    startedHere = true;
  }

  const psql = (sql: string) =>
    run(join(postgresBinDir(), "psql"), [
      ...["-h", "127.0.0.1", "-p", String(port), "-U", SUPERUSER, "-d", "postgres"],
      ...["-v", "ON_ERROR_STOP=1", "-X", "-q", "-t", "-A", "-c", sql],
    ]);
  const identifier = (name: string) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Not a simple database name: "${name}"`);
    return name;
  };

  return {
    dataDir,
    port,
    startedHere,
    url: (database) => `postgresql://${SUPERUSER}:${SUPERUSER}@127.0.0.1:${port}/${database}`,
    createDatabase: async (name) => {
      await psql(`CREATE DATABASE ${identifier(name)}`);
    },
    dropDatabase: async (name) => {
      await psql(`DROP DATABASE IF EXISTS ${identifier(name)} WITH (FORCE)`);
    },
    databases: async (prefix) =>
      (await psql("SELECT datname FROM pg_database"))
        .split("\n")
        .map((line) => line.trim())
        .filter((name) => name.startsWith(prefix)),
    stop: async () => {
      if (await isRunning(dataDir)) await server("pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "60"]);
    },
  };
}
