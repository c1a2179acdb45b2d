import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import packageJson from "../package.json" with { type: "json" };
import { ApiError, errorMessage } from "./errors.ts";
import { handleGateway } from "./gateway.ts";
import { QueryOptions } from "./query.ts";
import { Repo } from "./repo.ts";
import { commands, type RpcContext } from "./rpc.ts";

export interface IpfsNodeOptions {
  /** Folder for blocks, pins and the node identity; created if missing. */
  dataDir: string;
  /** Interface to bind; loopback by default. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Largest `add` request body, in bytes (default DEFAULT_MAX_UPLOAD_BYTES, 32 MiB). */
  maxUploadBytes?: number;
  /** Most files and directories in one `add` request (default 10,000). */
  maxUploadEntries?: number;
  /**
   * Browser origins allowed to call the RPC API, or ["*"] for any. By default only pages served
   * from localhost, 127.0.0.1 or [::1] may, so that a web page elsewhere cannot use the node.
   */
  apiCorsOrigins?: string[];
}

export interface IpfsNode {
  /** `http://host:port`: the RPC API is under /api/v0, the gateway under /ipfs. */
  url: string;
  host: string;
  port: number;
  dataDir: string;
  close(): Promise<void>;
}

/** Enough for the dApp's build in one upload (about 6 MiB); listing documents are far smaller. */
export const DEFAULT_MAX_UPLOAD_BYTES = 32 * 1024 ** 2;
const DEFAULT_MAX_UPLOAD_ENTRIES = 10_000;
const API_PREFIX = "/api/v0/";

/** Opens the data folder and serves the Kubo RPC API and the path gateway on one port. */
export async function startIpfsNode(options: IpfsNodeOptions): Promise<IpfsNode> {
  const repo = await Repo.open(options.dataDir);
  const context: RpcContext = {
    repo,
    version: packageJson.version,
    limits: {
      maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
      maxUploadEntries: options.maxUploadEntries ?? DEFAULT_MAX_UPLOAD_ENTRIES,
    },
  };
  const allowOrigin = originPolicy(options.apiCorsOrigins);

  const server = createServer((req, res) => {
    handle(req, res, context, allowOrigin).catch((err: unknown) => {
      // Headers are out: all that is left is to cut the response short so the client sees it failed.
      if (res.headersSent) res.destroy(err instanceof Error ? err : undefined);
      else sendApiError(req, res, err);
    });
  });
  const host = options.host ?? "127.0.0.1";
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 5001, host, () => resolve());
    });
  } catch (err) {
    await repo.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    dataDir: options.dataDir,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await repo.close();
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  context: RpcContext,
  allowOrigin: (origin: string) => boolean,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname.startsWith(API_PREFIX)) {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      // Kubo answers requests from origins it does not trust with a bare 403.
      if (!allowOrigin(origin)) return sendPlain(res, 403, "403 - Forbidden");
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Vary", "Origin");
      res.setHeader("Access-Control-Expose-Headers", "X-Chunked-Output, X-Stream-Output, X-Content-Length");
    }
    if (req.method === "OPTIONS") return sendPreflight(req, res, "POST, OPTIONS");
    if (req.method !== "POST") return sendPlain(res, 405, "405 - Method Not Allowed", { Allow: "POST" });
    const name = url.pathname.slice(API_PREFIX.length);
    // Own keys only: "toString" or "constructor" must not reach Object.prototype.
    if (!Object.hasOwn(commands, name)) return sendPlain(res, 404, "404 page not found");
    return commands[name]!(req, res, new QueryOptions(url.searchParams), context);
  }
  if (url.pathname.startsWith("/ipfs/")) {
    // Published content is public: any page may read it, as from Kubo's gateway.
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Expose-Headers", "Content-Range, Content-Length, ETag, X-Ipfs-Path");
    if (req.method === "OPTIONS") return sendPreflight(req, res, "GET, HEAD, OPTIONS");
    return handleGateway(req, res, context.repo);
  }
  sendPlain(res, 404, "404 page not found");
}

function originPolicy(allowed: string[] | undefined): (origin: string) => boolean {
  if (allowed) return (origin) => allowed.includes("*") || allowed.includes(origin);
  return (origin) => {
    try {
      const { protocol, hostname } = new URL(origin);
      return /^https?:$/.test(protocol) && ["localhost", "127.0.0.1", "[::1]"].includes(hostname);
    } catch {
      return false;
    }
  };
}

function sendPreflight(req: IncomingMessage, res: ServerResponse, methods: string): void {
  res.writeHead(204, {
    "Access-Control-Allow-Methods": methods,
    "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] ?? "Content-Type, Range",
    "Access-Control-Max-Age": "86400",
  });
  res.end();
}

function sendPlain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
  res.end(`${text}\n`);
}

function sendApiError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const error = err instanceof ApiError ? err : new ApiError(errorMessage(err));
  const body = JSON.stringify({ Message: error.message, Code: error.code, Type: "error" }) + "\n";
  // An upload refused halfway has unread bytes left: read and drop them so the client, still
  // sending, gets to read this answer; then the connection closes.
  if (!req.complete) {
    res.setHeader("Connection", "close");
    req.resume();
  }
  res.writeHead(error.status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
