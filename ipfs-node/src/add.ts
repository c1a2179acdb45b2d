import { on } from "node:events";
import type { IncomingMessage } from "node:http";
import { Transform, type Readable } from "node:stream";

import { Busboy, type BusboyHeaders, type BusboyInstance } from "@fastify/busboy";
import { importer, type ImportCandidate, type ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import type { CID } from "multiformats/cid";

import { ApiError } from "./errors.ts";
import type { Repo } from "./repo.ts";
import { parseBool, type QueryOptions } from "./query.ts";

/** One line of `ipfs add`'s output. Kubo sends `Size` (the cumulative DAG size) as a string. */
export interface AddEntry {
  Name: string;
  Hash: string;
  Size: string;
}

export interface UploadLimits {
  /** Bytes of request body, multipart framing included. */
  maxUploadBytes: number;
  /** Parts (files and directories) in one request. */
  maxUploadEntries: number;
}

export type AddOptions = ImporterOptions & { pin: boolean; pinName: string };

const MAX_PATH_BYTES = 4096;
// Kubo's limit for `--chunker=size-N`: larger blocks would not travel over bitswap.
const MAX_CHUNK_BYTES = 1024 * 1024;
const KUBO_CHUNK_BYTES = 256 * 1024;
const KUBO_MAX_LINKS = 174;

/**
 * Import settings that give the CIDs `ipfs add` gives with the same flags: Kubo's defaults
 * (CIDv0, 256 KiB chunks, 174 links per node, balanced DAG, HAMT directories above 256 KiB estimated
 * from link bytes), `cid-version=1` switching on raw leaves unless `raw-leaves` says otherwise.
 * Options that would change the CIDs in ways this node does not implement are refused rather than
 * silently ignored, so a CID from here is a CID from Kubo.
 */
export function parseAddOptions(query: QueryOptions): AddOptions {
  const cidVersionText = query.get("cid-version") ?? "0";
  if (cidVersionText !== "0" && cidVersionText !== "1") {
    throw new ApiError(`unsupported CID version ${JSON.stringify(cidVersionText)} (use 0 or 1)`, 400);
  }
  const cidVersion = cidVersionText === "1" ? 1 : 0;
  const hash = query.get("hash") ?? "sha2-256";
  if (hash !== "sha2-256") throw new ApiError(`unsupported hash function ${JSON.stringify(hash)} (only sha2-256)`, 400);
  for (const flag of ["trickle", "inline", "nocopy", "preserve-mode", "preserve-mtime"]) {
    if (parseBool(query, flag, false)) throw new ApiError(`option "${flag}" is not supported by this node`, 400);
  }
  for (const option of ["mode", "mtime", "to-files", "max-file-links", "max-directory-links", "max-hamt-fanout"]) {
    if (query.get(option) !== undefined) throw new ApiError(`option "${option}" is not supported by this node`, 400);
  }
  const pin = parseBool(query, "pin", true);
  const pinName = query.get("pin-name") ?? "";
  if (pinName && !pin) throw new ApiError("pin-name option requires pin to be set", 400);
  return {
    profile: "unixfs-v0-2015",
    cidVersion,
    rawLeaves: parseBool(query, "raw-leaves", cidVersion === 1),
    chunker: fixedSize({ chunkSize: parseChunker(query.get("chunker")) }),
    layout: balanced({ maxChildrenPerNode: KUBO_MAX_LINKS }),
    wrapWithDirectory: parseBool(query, "wrap-with-directory", false),
    pin,
    pinName,
  };
}

function parseChunker(chunker: string | undefined): number {
  if (chunker === undefined || chunker === "") return KUBO_CHUNK_BYTES;
  const match = /^size-(\d+)$/.exec(chunker);
  const size = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_CHUNK_BYTES) {
    throw new ApiError(
      `unsupported chunker ${JSON.stringify(chunker)} (use size-N with 1 <= N <= ${MAX_CHUNK_BYTES})`,
      400,
    );
  }
  return size;
}

/**
 * Streams a Kubo `add` upload (multipart/form-data, one part per file or directory, the path in the
 * part's filename, URL-escaped) through the UnixFS importer into the blockstore. Only one part is
 * in flight at a time, so memory stays bounded whatever the upload size. Returns one entry per file
 * and directory, the wrapping directory (Name "") last when asked for.
 */
export async function addFromMultipart(
  req: IncomingMessage,
  repo: Repo,
  options: AddOptions,
  limits: UploadLimits,
  onlyHash: boolean,
): Promise<AddEntry[]> {
  // Blocks of an only-hash import are hashed and dropped.
  const blockstore = onlyHash ? { put: async (cid: CID) => cid } : repo.blocks;
  // One file at a time: the next part only starts arriving once this one has been read.
  const imported = importer(multipartCandidates(req, limits), blockstore, { ...options, fileImportConcurrency: 1 });
  const entries: { cid: CID; path: string; size: bigint }[] = [];
  for await (const { cid, path, size } of imported) entries.push({ cid, path: path ?? "", size });
  if (entries.length === 0) throw new ApiError("file argument 'path' is required", 400);

  if (options.pin && !onlyHash) {
    // Kubo pins what it returns at the top: the wrapping directory, or each top-level file and folder.
    const roots = options.wrapWithDirectory ? entries.slice(-1) : entries.filter(({ path }) => !path.includes("/"));
    for (const { cid } of roots) await repo.setPin({ cid: cid.toString(), type: "recursive", name: options.pinName });
  }
  // A part without a name (e.g. piped from stdin) is reported under its CID, as Kubo does.
  return entries.map(({ cid, path, size }) => ({
    Name: path || (options.wrapWithDirectory ? "" : cid.toString()),
    Hash: cid.toString(),
    Size: size.toString(),
  }));
}

async function* partContent(stream: Readable): AsyncGenerator<Uint8Array> {
  try {
    yield* stream;
  } catch (err) {
    throw malformed(err as Error);
  }
}

/** The parts of the upload as importer input, each file's content streamed from the request. */
async function* multipartCandidates(req: IncomingMessage, limits: UploadLimits): AsyncGenerator<ImportCandidate> {
  const contentType = req.headers["content-type"] ?? "";
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new ApiError("file argument 'path' is required (send multipart/form-data)", 400);
  }
  let busboy: BusboyInstance;
  try {
    busboy = Busboy({
      headers: req.headers as BusboyHeaders,
      preservePath: true,
      // Every part is a file or directory for `add`, whatever its field name.
      isPartAFile: () => true,
      limits: { files: limits.maxUploadEntries, parts: limits.maxUploadEntries, fieldNameSize: 1024 },
    });
  } catch (err) {
    throw malformed(err as Error);
  }
  let current: Readable | undefined;
  const fail = (err: Error) => {
    current?.destroy(err);
    busboy.destroy(err);
  };
  const tooMany = () => fail(new ApiError(`too many files in one upload (limit ${limits.maxUploadEntries})`, 413));
  busboy.on("filesLimit", tooMany).on("partsLimit", tooMany);
  busboy.on("error", (err: Error) => current?.destroy(malformed(err)));

  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > limits.maxUploadBytes) {
        callback(new ApiError(`upload exceeds the limit of ${limits.maxUploadBytes} bytes`, 413));
      } else {
        callback(null, chunk);
      }
    },
  });
  // Not stream.pipeline: it would destroy the request on error, and with it the socket the error
  // response has to go out on.
  counter.on("error", fail);
  req.on("error", fail);
  req.pipe(counter).pipe(busboy);

  try {
    for await (const [fieldName, stream, filename, , mimeType] of on(busboy, "file", { close: ["finish"] })) {
      current = stream as Readable;
      const path = partPath(filename as string | undefined, fieldName as string);
      if (mimeType === "application/x-directory") {
        current.resume();
        yield { path };
      } else {
        yield { path, content: partContent(current) };
      }
    }
  } catch (err) {
    throw malformed(err as Error);
  } finally {
    // Stop parsing when the import ends early, so that the rest of the body can be drained.
    req.unpipe(counter);
  }
}

function malformed(err: Error): ApiError {
  return err instanceof ApiError ? err : new ApiError(`malformed multipart upload: ${err.message}`, 400);
}

/** The part's path, unescaped like Go's url.QueryUnescape (Kubo) and checked. */
function partPath(filename: string | undefined, fieldName: string): string {
  let path: string;
  try {
    path = decodeURIComponent((filename ?? "").replace(/\+/g, " "));
  } catch {
    throw new ApiError(`invalid file name ${JSON.stringify(filename)} in part "${fieldName}"`, 400);
  }
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) {
    throw new ApiError(`file path longer than ${MAX_PATH_BYTES} bytes: ${path.slice(0, 80)}…`, 400);
  }
  const segments = path.split("/").filter((segment) => segment !== "");
  if (segments.some((segment) => segment === "." || segment === "..")) {
    throw new ApiError(`file path must not contain "." or ".." segments: ${JSON.stringify(path)}`, 400);
  }
  return segments.join("/");
}
