import type { IncomingMessage, ServerResponse } from "node:http";

import { addFromMultipart, parseAddOptions, type UploadLimits } from "./add.ts";
import { isReadable, resolve, resolveCid, sendStream, startReading } from "./content.ts";
import { ApiError, MissingBlockError } from "./errors.ts";
import { parseCid, parseIpfsPath } from "./paths.ts";
import { QueryOptions, parseBool, parseCount } from "./query.ts";
import type { Repo } from "./repo.ts";

export interface RpcContext {
  repo: Repo;
  limits: UploadLimits;
  version: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, query: QueryOptions, ctx: RpcContext) => Promise<void>;

/** The Kubo RPC commands this node answers, under `POST /api/v0/<command>`. */
export const commands: Record<string, Handler> = {
  async add(req, res, query, { repo, limits }) {
    const options = parseAddOptions(query);
    const entries = await addFromMultipart(req, repo, options, limits, parseBool(query, "only-hash", false));
    // The whole upload is imported before answering, so the status code speaks for all of it.
    res.writeHead(200, { "Content-Type": "application/json", "X-Chunked-Output": "1" });
    res.end(entries.map((entry) => JSON.stringify(entry) + "\n").join(""));
  },

  async cat(_req, res, query, { repo }) {
    const entry = await resolve(repo, parseIpfsPath(query.arg("ipfs-path")));
    if (entry.type === "directory") throw new ApiError("this dag node is a directory");
    if (!isReadable(entry)) throw new ApiError(`this dag node is not a UnixFS file (${entry.type})`);
    const size = Number(entry.size);
    const offset = parseCount(query, "offset") ?? 0;
    if (offset > size) throw new ApiError(`offset was past the end of the file (${offset} > ${size})`);
    const length = Math.min(parseCount(query, "length") ?? size, size - offset);
    const body = await startReading(entry.content({ offset, length }));
    res.writeHead(200, { "Content-Type": "text/plain", "X-Stream-Output": "1", "X-Content-Length": String(size) });
    await sendStream(res, body);
  },

  async "block/get"(_req, res, query, { repo }) {
    const block = await repo.getBlock(await resolveCid(repo, parseIpfsPath(query.arg("cid"))));
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": block.length });
    res.end(block);
  },

  async version(_req, res, _query, { version }) {
    sendJson(res, { Version: version, Commit: "", Repo: "", System: `${process.arch}/${process.platform}` });
  },

  async id(_req, res, query, { repo, version }) {
    const [peer] = query.args();
    if (peer !== undefined && peer !== repo.identity.id) {
      throw new ApiError(`peer ${peer} is unknown: this node is offline and finds no other peers`);
    }
    sendJson(res, {
      ID: repo.identity.id,
      PublicKey: repo.identity.publicKey,
      Addresses: [],
      AgentVersion: `d-cloudx-ipfs-node/${version}`,
      ProtocolVersion: "ipfs/0.1.0",
      Protocols: [],
    });
  },

  async "pin/add"(_req, res, query, { repo }) {
    const recursive = parseBool(query, "recursive", true);
    const name = query.get("name") ?? "";
    const pinned: string[] = [];
    for (const arg of requiredArgs(query)) {
      const cid = await resolveCid(repo, parseIpfsPath(arg));
      const key = cid.toString();
      if (!recursive && repo.getPin(key)?.type === "recursive")
        throw new ApiError(`pin: ${key} already pinned recursively`);
      // Like Kubo, pinning needs the whole DAG (or, for a direct pin, the block) to be present.
      if (recursive) await repo.assertComplete(cid);
      else if (!(await repo.hasBlock(cid))) throw new MissingBlockError(cid);
      await repo.setPin({ cid: key, type: recursive ? "recursive" : "direct", name });
      pinned.push(key);
    }
    sendJson(res, { Pins: pinned });
  },

  async "pin/rm"(_req, res, query, { repo }) {
    const recursive = parseBool(query, "recursive", true);
    const removed: string[] = [];
    for (const arg of requiredArgs(query)) {
      const key = (await resolveCid(repo, parseIpfsPath(arg))).toString();
      const pin = repo.getPin(key);
      if (!pin) throw new ApiError(`${key} is not pinned or pinned indirectly`);
      if (pin.type === "recursive" && !recursive) throw new ApiError(`${key} is pinned recursively`);
      await repo.removePin(key);
      removed.push(key);
    }
    sendJson(res, { Pins: removed });
  },

  async "pin/ls"(_req, res, query, { repo }) {
    const type = query.get("type") ?? "all";
    if (!["all", "recursive", "direct", "indirect"].includes(type)) {
      throw new ApiError(`invalid type '${type}', must be one of {direct, indirect, recursive, all}`, 400);
    }
    const names = parseBool(query, "names", false);
    const listed: { Cid: string; Type: string; Name?: string }[] = [];
    const list = (cid: string, pinType: string, name: string) =>
      listed.push(names ? { Cid: cid, Type: pinType, Name: name } : { Cid: cid, Type: pinType });
    const wanted = (pinType: string) => type === "all" || type === pinType;
    const indirect = type === "all" || type === "indirect" ? await indirectPins(repo) : new Map<string, string>();

    if (query.args().length === 0) {
      for (const pin of repo.listPins()) if (wanted(pin.type)) list(pin.cid, pin.type, pin.name);
      for (const [cid] of indirect) list(cid, "indirect", "");
    } else {
      for (const arg of query.args()) {
        const key = (await resolveCid(repo, parseIpfsPath(arg))).toString();
        const pin = repo.getPin(key);
        const through = indirect.get(key);
        if (pin && wanted(pin.type)) list(key, pin.type, pin.name);
        else if (through) list(key, `indirect through ${through}`, "");
        else throw new ApiError(`path '${arg}' is not pinned`);
      }
    }
    if (parseBool(query, "stream", false)) {
      res.writeHead(200, { "Content-Type": "application/json", "X-Chunked-Output": "1" });
      res.end(listed.map((pin) => JSON.stringify(pin) + "\n").join(""));
    } else {
      const keys = Object.fromEntries(listed.map(({ Cid, ...rest }) => [Cid, rest]));
      sendJson(res, { Keys: keys });
    }
  },
};

function sendJson(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify(value) + "\n");
}

function requiredArgs(query: QueryOptions): string[] {
  query.arg("ipfs-path");
  return query.args();
}

/** Blocks kept alive by a recursive pin without being pinned themselves, each with one pin that holds it. */
async function indirectPins(repo: Repo): Promise<Map<string, string>> {
  const indirect = new Map<string, string>();
  for (const pin of repo.listPins()) {
    if (pin.type !== "recursive") continue;
    for await (const cid of repo.walkDag(parseCid(pin.cid))) {
      const key = cid.toString();
      if (key !== pin.cid && !repo.getPin(key) && !indirect.has(key)) indirect.set(key, pin.cid);
    }
  }
  return indirect;
}
