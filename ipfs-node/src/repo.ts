import { generateKeyPairSync } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

import * as dagPb from "@ipld/dag-pb";
import { FsBlockstore } from "blockstore-fs";
import { base58btc } from "multiformats/bases/base58";
import { base64 } from "multiformats/bases/base64";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { identity } from "multiformats/hashes/identity";

import { MissingBlockError, isNotFound } from "./errors.ts";

export type PinType = "recursive" | "direct";

export interface Pin {
  cid: string;
  type: PinType;
  name: string;
}

export interface NodeIdentity {
  /** libp2p peer ID (identity multihash of the Ed25519 public key), the form `ipfs id` prints. */
  id: string;
  /** base64 of the protobuf-encoded public key, as in Kubo's `PublicKey`. */
  publicKey: string;
}

/**
 * The node's data folder: blocks (blockstore-fs, one file per block, keyed by multihash like Kubo's
 * flatfs), the pin set and the node identity, all persisted across restarts.
 */
export class Repo {
  readonly blocks: FsBlockstore;
  readonly identity: NodeIdentity;
  readonly #pinsFile: string;
  readonly #pins: Map<string, Pin>;
  #pinWrites: Promise<void> = Promise.resolve();

  private constructor(blocks: FsBlockstore, identity: NodeIdentity, pinsFile: string, pins: Pin[]) {
    this.blocks = blocks;
    this.identity = identity;
    this.#pinsFile = pinsFile;
    this.#pins = new Map(pins.map((pin) => [pin.cid, pin]));
  }

  static async open(dataDir: string): Promise<Repo> {
    await mkdir(dataDir, { recursive: true });
    const blocks = new FsBlockstore(join(dataDir, "blocks"));
    await blocks.open();
    const identity = await loadOrCreateIdentity(join(dataDir, "identity.json"));
    const pinsFile = join(dataDir, "pins.json");
    const pins = await readJson<{ pins: Pin[] }>(pinsFile);
    return new Repo(blocks, identity, pinsFile, pins?.pins ?? []);
  }

  async close(): Promise<void> {
    await this.#pinWrites;
    await this.blocks.close();
  }

  async hasBlock(cid: CID): Promise<boolean> {
    return cid.multihash.code === identity.code || (await this.blocks.has(cid));
  }

  async getBlock(cid: CID): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.reader.get(cid)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /**
   * Read access for the UnixFS exporter: a CID with an identity multihash carries its block inline
   * (graph-node probes with one), an absent block is a MissingBlockError.
   */
  readonly reader = {
    get: (cid: CID, options?: { signal?: AbortSignal }): AsyncGenerator<Uint8Array> => this.#get(cid, options),
  };

  async *#get(cid: CID, options?: { signal?: AbortSignal }): AsyncGenerator<Uint8Array> {
    if (cid.multihash.code === identity.code) {
      yield cid.multihash.digest;
      return;
    }
    try {
      yield* this.blocks.get(cid, options);
    } catch (err) {
      throw isNotFound(err) ? new MissingBlockError(cid) : err;
    }
  }

  /**
   * Every CID of the DAG under `root`, root first, each once; throws MissingBlockError if a block is
   * absent. Understands what `ipfs add` produces: dag-pb nodes and raw leaves.
   */
  async *walkDag(root: CID): AsyncGenerator<CID> {
    const seen = new Set<string>();
    const pending = [root];
    for (let cid = pending.pop(); cid; cid = pending.pop()) {
      const key = cid.toString();
      if (seen.has(key)) continue;
      seen.add(key);
      if (cid.code === dagPb.code) {
        const { Links } = dagPb.decode(await this.getBlock(cid));
        pending.push(...Links.map((link) => link.Hash).reverse());
      } else if (cid.code !== raw.code) {
        throw new Error(`cannot walk ${cid}: codec 0x${cid.code.toString(16)} is not dag-pb or raw`);
      } else if (!(await this.hasBlock(cid))) {
        throw new MissingBlockError(cid);
      }
      yield cid;
    }
  }

  /** Throws MissingBlockError unless every block of the DAG under `root` is here. */
  async assertComplete(root: CID): Promise<void> {
    const walk = this.walkDag(root);
    while (!(await walk.next()).done);
  }

  getPin(cid: string): Pin | undefined {
    return this.#pins.get(cid);
  }

  listPins(): Pin[] {
    return [...this.#pins.values()];
  }

  async setPin(pin: Pin): Promise<void> {
    this.#pins.set(pin.cid, pin);
    await this.#savePins();
  }

  async removePin(cid: string): Promise<void> {
    this.#pins.delete(cid);
    await this.#savePins();
  }

  // Writes are chained so that concurrent changes land in order, each as a whole-file replace.
  #savePins(): Promise<void> {
    const text = JSON.stringify({ pins: this.listPins() }, null, 2) + "\n";
    const write = async () => {
      await writeFile(`${this.#pinsFile}.tmp`, text);
      await rename(`${this.#pinsFile}.tmp`, this.#pinsFile);
    };
    this.#pinWrites = this.#pinWrites.then(write, write);
    return this.#pinWrites;
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); fix or remove it`, { cause: err });
  }
}

/**
 * A stable peer ID, so `ipfs id` answers like a real node. Only the public half is kept: this node
 * never speaks libp2p, so it never signs anything.
 */
async function loadOrCreateIdentity(file: string): Promise<NodeIdentity> {
  const existing = await readJson<NodeIdentity>(file);
  if (existing) return existing;
  const { publicKey } = generateKeyPairSync("ed25519");
  const key = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  // libp2p PublicKey protobuf: field 1 (KeyType) = 1 (Ed25519), field 2 (Data) = 32 key bytes.
  const encoded = Uint8Array.from([0x08, 0x01, 0x12, 0x20, ...key]);
  const created: NodeIdentity = {
    id: base58btc.baseEncode(identity.digest(encoded).bytes),
    publicKey: base64.baseEncode(encoded),
  };
  await writeFile(file, JSON.stringify(created, null, 2) + "\n");
  return created;
}
