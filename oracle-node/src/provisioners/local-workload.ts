/**
 * The workload the `local` adapter provisions: a small HTTP service on a loopback port, run in its
 * own process under Node's permission model (it may read and write only its own folder, and start
 * no processes). It stands in for a rented machine: the consumer stores and reads files in its data
 * folder with the bearer token from the access details; `/healthz` answers probes without a token.
 *
 *   node local-workload.ts <folder>
 *
 * Reads `<folder>/token`, keeps files in `<folder>/data/`, and once listening writes
 * `<folder>/state.json` ({pid, port}) so that the adapter finds it again after a restart.
 */
import { timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import { join } from "node:path";

const folder = process.argv[2];
if (!folder) {
  console.error("usage: local-workload.ts <folder>");
  process.exit(2);
}
const token = Buffer.from(readFileSync(join(folder, "token"), "utf8").trim());
const data = join(folder, "data");
mkdirSync(data, { recursive: true });
const MAX_FILE_BYTES = 1024 * 1024;

function authorized(request: IncomingMessage): boolean {
  const given = Buffer.from((request.headers.authorization ?? "").replace(/^Bearer /, ""));
  return given.length === token.length && timingSafeEqual(given, token);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://workload");
  if (url.pathname === "/healthz") return send(response, 200, { ok: true });
  if (!authorized(request)) return send(response, 401, { error: "a bearer token is required" });
  if (url.pathname === "/") return send(response, 200, { files: readdirSync(data) });
  const name = /^\/files\/([A-Za-z0-9._-]{1,64})$/.exec(url.pathname)?.[1];
  if (!name || name.startsWith(".")) return send(response, 404, { error: "not found" });
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

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  const state = join(folder, "state.json");
  writeFileSync(`${state}.tmp`, JSON.stringify({ pid: process.pid, port }));
  renameSync(`${state}.tmp`, state);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
