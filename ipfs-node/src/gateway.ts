import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { isUtf8 } from "node:buffer";
import { extname } from "node:path";

import type { UnixFSDirectory } from "ipfs-unixfs-exporter";
import mime from "mime-types";
import type { CID } from "multiformats/cid";

import { isReadable, resolve, resolveCid, sendStream, startReading, type ReadableEntry } from "./content.ts";
import { MissingBlockError, PathNotFoundError, errorMessage } from "./errors.ts";
import { parseCid, type IpfsPath } from "./paths.ts";
import type { Repo } from "./repo.ts";

// Content under /ipfs/<cid> never changes, so a year of caching is safe (Kubo sends the same).
const IMMUTABLE = "public, max-age=29030400, immutable";
const SNIFF_BYTES = 512;
// Tab, line feed, form feed, carriage return: the control bytes plain text may contain.
const TEXT_CONTROLS = new Set([0x09, 0x0a, 0x0c, 0x0d]);

/**
 * The path gateway: `GET|HEAD /ipfs/<cid>/<path>`, as Kubo's gateway serves it for a web app
 * published as a directory: files with a MIME type from their extension, a directory redirected to
 * its trailing-slash URL (so relative asset URLs resolve inside it) and answered with its
 * index.html, byte ranges, ETags, and `?format=raw` for the verifiable raw block.
 */
export async function handleGateway(req: IncomingMessage, res: ServerResponse, repo: Repo): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return sendText(res, 405, "method not allowed: the gateway is read-only", { Allow: "GET, HEAD, OPTIONS" });
  }
  const url = new URL(req.url ?? "/", "http://gateway");
  // The encoded pathname is plain ASCII, so it can go into a header as it is.
  const headers: OutgoingHttpHeaders = { "X-Ipfs-Path": url.pathname };
  let path: IpfsPath;
  try {
    path = parseGatewayPath(url.pathname);
  } catch (err) {
    return sendText(res, 400, `invalid path ${url.pathname}: ${errorMessage(err)}`, headers);
  }

  try {
    // Gateway spec: answer from local blocks only, 412 if the root is not here (graph-node probes this way).
    if (req.headers["cache-control"]?.includes("only-if-cached")) {
      if (!(await repo.hasBlock(path.cid))) return sendText(res, 412, `${path.cid} is not in this node`, headers);
      if (req.method === "HEAD") return sendText(res, 200, "", headers);
    }
    const format =
      url.searchParams.get("format") || (req.headers.accept?.includes("application/vnd.ipld.raw") && "raw");
    if (format === "raw") return await sendRawBlock(req, res, repo, path, headers);
    if (format) return sendText(res, 400, `unsupported format "${format}": this gateway serves files and raw`, headers);

    const entry = await resolve(repo, path);
    if (entry.type === "directory") {
      if (!url.pathname.endsWith("/")) {
        return sendText(res, 301, "", { ...headers, Location: `${url.pathname}/${url.search}` });
      }
      const index = await findIndex(repo, entry.cid);
      if (index) return await sendFile(req, res, index, "index.html", headers);
      return await sendListing(req, res, entry, url.pathname, headers);
    }
    if (!isReadable(entry)) return sendText(res, 501, `${entry.cid} is ${entry.type}, not UnixFS data`, headers);
    await sendFile(req, res, entry, path.segments.at(-1), headers);
  } catch (err) {
    if (res.headersSent) throw err;
    if (err instanceof MissingBlockError || err instanceof PathNotFoundError) {
      return sendText(res, 404, `ipfs resolve ${url.pathname}: ${err.message}`, headers);
    }
    throw err;
  }
}

function parseGatewayPath(pathname: string): IpfsPath {
  const [root = "", ...rest] = pathname.slice("/ipfs/".length).split("/");
  const segments = rest.filter((segment) => segment !== "").map((segment) => decodeURIComponent(segment));
  if (segments.some((segment) => segment.includes("/"))) throw new Error("a name cannot contain '/'");
  return { cid: parseCid(decodeURIComponent(root)), segments };
}

async function findIndex(repo: Repo, directory: CID): Promise<ReadableEntry | undefined> {
  try {
    const index = await resolve(repo, { cid: directory, segments: ["index.html"] });
    return isReadable(index) ? index : undefined;
  } catch (err) {
    if (err instanceof PathNotFoundError) return undefined;
    throw err;
  }
}

async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  entry: ReadableEntry,
  name: string | undefined,
  headers: OutgoingHttpHeaders,
): Promise<void> {
  const size = Number(entry.size);
  const etag = `"${entry.cid}"`;
  const common = { ...immutable(headers, etag), "Accept-Ranges": "bytes" };
  if (matchesEtag(req, etag)) return sendText(res, 304, "", common);
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") return sendText(res, 416, "", { ...common, "Content-Range": `bytes */${size}` });

  const { start, end } = range ?? { start: 0, end: size - 1 };
  const length = end - start + 1;
  const fileHeaders: OutgoingHttpHeaders = {
    ...common,
    "Content-Type": await contentType(entry, name),
    "Content-Length": length,
    ...(range && { "Content-Range": `bytes ${start}-${end}/${size}` }),
  };
  if (req.method === "HEAD") {
    res.writeHead(range ? 206 : 200, fileHeaders).end();
    return;
  }
  const body = await startReading(entry.content({ offset: start, length }));
  res.writeHead(range ? 206 : 200, fileHeaders);
  await sendStream(res, body);
}

async function sendRawBlock(
  req: IncomingMessage,
  res: ServerResponse,
  repo: Repo,
  path: IpfsPath,
  headers: OutgoingHttpHeaders,
): Promise<void> {
  const cid = await resolveCid(repo, path);
  const block = await repo.getBlock(cid);
  const etag = `"${cid}.raw"`;
  const rawHeaders: OutgoingHttpHeaders = {
    ...immutable(headers, etag),
    "Content-Type": "application/vnd.ipld.raw",
    "Content-Length": block.length,
    Vary: "Accept",
  };
  if (matchesEtag(req, etag)) return sendText(res, 304, "", rawHeaders);
  res.writeHead(200, rawHeaders).end(req.method === "HEAD" ? undefined : block);
}

async function sendListing(
  req: IncomingMessage,
  res: ServerResponse,
  directory: UnixFSDirectory,
  pathname: string,
  headers: OutgoingHttpHeaders,
): Promise<void> {
  const etag = `"DirIndex-${directory.cid}"`;
  const listingHeaders = immutable(headers, etag);
  if (matchesEtag(req, etag)) return sendText(res, 304, "", listingHeaders);
  const rows: string[] = [];
  for await (const child of directory.entries()) {
    const href = encodeURIComponent(child.name);
    rows.push(`<li><a href="${escapeHtml(href)}">${escapeHtml(child.name)}</a> (${child.size} bytes)</li>`);
  }
  const title = escapeHtml(decodeURIComponent(pathname));
  const html = `<!doctype html>\n<meta charset="utf-8">\n<title>${title}</title>\n<h1>${title}</h1>\n<ul>\n${rows.join("\n")}\n</ul>\n`;
  res.writeHead(200, {
    ...listingHeaders,
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": Buffer.byteLength(html),
  });
  res.end(req.method === "HEAD" ? undefined : html);
}

/** By extension, else by a look at the first bytes (Kubo sniffs too): HTML, text or binary. */
async function contentType(entry: ReadableEntry, name: string | undefined): Promise<string> {
  const byName = name && extname(name) ? mime.lookup(name) : false;
  if (byName) return mime.contentType(byName) || byName;
  const chunks: Uint8Array[] = [];
  for await (const chunk of entry.content({ length: Math.min(SNIFF_BYTES, Number(entry.size)) })) chunks.push(chunk);
  const sample = Buffer.concat(chunks);
  const start = sample.toString("latin1", 0, 64).trimStart().toLowerCase();
  if (start.startsWith("<!doctype html") || start.startsWith("<html")) return "text/html; charset=utf-8";
  const controlBytes = sample.some((byte) => (byte < 0x20 && !TEXT_CONTROLS.has(byte)) || byte === 0x7f);
  // The sample may end inside a multi-byte character: up to 3 bytes of it may be cut off.
  const cuts = sample.length < Number(entry.size) ? [0, 1, 2, 3] : [0];
  if (!controlBytes && cuts.some((cut) => isUtf8(sample.subarray(0, sample.length - cut)))) {
    return "text/plain; charset=utf-8";
  }
  return "application/octet-stream";
}

/**
 * A single `bytes=` range (RFC 9110): undefined means "send everything" (no header, a syntax this
 * server ignores, or several ranges), "unsatisfiable" means 416.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | undefined {
  const match = header && /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  const [first, last] = [
    match[1] === "" ? undefined : Number(match[1]),
    match[2] === "" ? undefined : Number(match[2]),
  ];
  if (first === undefined) {
    // bytes=-N: the last N bytes
    if (last === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - (last as number)), end: size - 1 };
  }
  if (last !== undefined && last < first) return undefined;
  if (first >= size) return "unsatisfiable";
  return { start: first, end: Math.min(last ?? size - 1, size - 1) };
}

/** Headers of a response that identifies its content by `etag` and never changes. */
function immutable(headers: OutgoingHttpHeaders, etag: string): OutgoingHttpHeaders {
  return { ...headers, ETag: etag, "Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff" };
}

function matchesEtag(req: IncomingMessage, etag: string): boolean {
  const header = req.headers["if-none-match"];
  return header !== undefined && (header.trim() === "*" || header.split(",").some((tag) => tag.trim() === etag));
}

function sendText(res: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders): void {
  const body = status === 304 || !text ? "" : text.endsWith("\n") ? text : `${text}\n`;
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    ...headers,
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
