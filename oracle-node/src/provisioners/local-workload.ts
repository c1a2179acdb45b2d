/**
 * The workloads the `local` adapter provisions: small HTTP services on loopback ports, run by a
 * host process under Node's permission model (it may read and write only its own folder, and start
 * no processes). Each workload stands in for a rented machine: the consumer stores and reads files
 * in its data folder with the bearer token from the access details; `/healthz` answers probes
 * without a token.
 *
 *   node local-workload.ts <host folder>
 *
 * The host serves every `<host folder>/booking-<id>/` that holds a `token` file, each on its own
 * free port, with its files in `booking-<id>/data/`, and writes `booking-<id>/state.json`
 * ({pid, port}) once listening, so that the adapter finds it again after a restart. A folder that
 * disappears is stopped. A folder that holds a `paused` file is not served (its booking is in its
 * grace period) and keeps its files; once the file is gone it is served again, on its old port if
 * that is free, so the consumer's access details still work. By default a host runs one workload;
 * the adapter may pack several.
 */
import { timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { join } from "node:path";

const host = process.argv[2];
if (!host) {
  console.error("usage: local-workload.ts <host folder>");
  process.exit(2);
}
const MAX_FILE_BYTES = 1024 * 1024;
const SCAN_INTERVAL_MS = 50;

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function serve(folder: string): Server {
  const token = Buffer.from(readFileSync(join(folder, "token"), "utf8").trim());
  const data = join(folder, "data");
  mkdirSync(data, { recursive: true });
  const authorized = (request: IncomingMessage) => {
    const given = Buffer.from((request.headers.authorization ?? "").replace(/^Bearer /, ""));
    return given.length === token.length && timingSafeEqual(given, token);
  };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://workload");
    if (url.pathname === "/healthz") return send(response, 200, { ok: true });
    if (!authorized(request)) return send(response, 401, { error: "a bearer token is required" });
    if (url.pathname === "/") return send(response, 200, { files: readdirSync(data) });
    const name = /^\/files\/([A-Za-z0-9_-][A-Za-z0-9._-]{0,63})$/.exec(url.pathname)?.[1];
    if (!name) return send(response, 404, { error: "not found" });
    if (request.method === "GET") {
      try {
        response.writeHead(200, { "content-type": "application/octet-stream" });
        return response.end(readFileSync(join(data, name)));
      } catch {
        return send(response, 404, { error: "no such file" });
      }
    }
    if (request.method !== "PUT") return send(response, 405, { error: "GET or PUT" });
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FILE_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on("end", () => {
      writeFileSync(join(data, name), Buffer.concat(chunks));
      send(response, 201, { stored: name, bytes: size });
    });
  });
  const state = join(folder, "state.json");
  const previousPort = readPort(state);
  server.on("error", (error: NodeJS.ErrnoException) => {
    // The old port went to someone else while the workload was paused: take any free one.
    if (error.code === "EADDRINUSE" && previousPort) server.listen(0, "127.0.0.1");
  });
  server.on("listening", () => {
    const { port } = server.address() as { port: number };
    writeFileSync(`${state}.tmp`, JSON.stringify({ pid: process.pid, port }));
    renameSync(`${state}.tmp`, state);
  });
  server.listen(previousPort, "127.0.0.1");
  return server;
}

function readPort(state: string): number {
  try {
    const { port } = JSON.parse(readFileSync(state, "utf8")) as { port?: unknown };
    return Number.isInteger(port) ? (port as number) : 0;
  } catch {
    return 0;
  }
}

const servers = new Map<string, Server>();

function scan(): void {
  let names: string[] = [];
  try {
    names = readdirSync(host!).filter((name) => name.startsWith("booking-"));
  } catch {
    // The host folder is being removed: the adapter is stopping this host.
  }
  const served = names.filter((name) => !existsSync(join(host!, name, "paused")));
  for (const name of served) {
    const folder = join(host!, name);
    if (!servers.has(name) && existsSync(join(folder, "token"))) servers.set(name, serve(folder));
  }
  for (const [name, server] of servers) {
    if (!served.includes(name)) {
      server.close();
      server.closeAllConnections();
      servers.delete(name);
    }
  }
}

scan();
const timer = setInterval(scan, SCAN_INTERVAL_MS);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    clearInterval(timer);
    for (const server of servers.values()) server.close();
    process.exit(0);
  });
}
