import type { ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { exporter, type UnixFSEntry } from "ipfs-unixfs-exporter";
import type { CID } from "multiformats/cid";

import { PathNotFoundError, isNotFound } from "./errors.ts";
import { exporterPath, type IpfsPath } from "./paths.ts";
import type { Repo } from "./repo.ts";

/** The UnixFS entry at `path`; an absent block is a MissingBlockError, an absent name a PathNotFoundError. */
export async function resolve(repo: Repo, path: IpfsPath): Promise<UnixFSEntry> {
  try {
    return await exporter(exporterPath(path), repo.reader);
  } catch (err) {
    throw isNotFound(err) ? new PathNotFoundError((err as Error).message) : err;
  }
}

/** The CID at `path`: the root itself, or what the names below it lead to. */
export async function resolveCid(repo: Repo, path: IpfsPath): Promise<CID> {
  return path.segments.length > 0 ? (await resolve(repo, path)).cid : path.cid;
}

/** Entries whose bytes can be read: UnixFS files, raw blocks and identity CIDs. */
export type ReadableEntry = Extract<UnixFSEntry, { type: "file" | "raw" | "identity" }>;

export function isReadable(entry: UnixFSEntry): entry is ReadableEntry {
  return entry.type === "file" || entry.type === "raw" || entry.type === "identity";
}

/**
 * Reads the first chunk before the caller sends its status line, so that a block missing at the
 * start still turns into an error response rather than a truncated 200.
 */
export async function startReading(source: AsyncIterable<Uint8Array>): Promise<AsyncIterable<Uint8Array>> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  return (async function* () {
    if (first.done) return;
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })();
}

/** Streams `body` with backpressure; a failure after the headers went out can only cut the connection. */
export async function sendStream(res: ServerResponse, body: AsyncIterable<Uint8Array>): Promise<void> {
  await pipeline(Readable.from(body, { objectMode: false }), res);
}
