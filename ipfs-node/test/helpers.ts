import { createCipheriv, createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { create, type KuboRPCClient } from "kubo-rpc-client";

import { startIpfsNode, type IpfsNode, type IpfsNodeOptions } from "../src/index.ts";

export interface TestNode {
  node: IpfsNode;
  client: KuboRPCClient;
  dataDir: string;
  /** Closes the node and deletes its data folder. */
  stop(): Promise<void>;
}

/** A node on a free loopback port with a fresh data folder (or `dataDir`, kept on stop). */
export async function startTestNode(options: Partial<IpfsNodeOptions> = {}): Promise<TestNode> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "dcloudx-ipfs-test-")));
  const node = await startIpfsNode({ port: 0, ...options, dataDir });
  return {
    node,
    client: create({ url: `${node.url}/api/v0` }),
    dataDir,
    async stop() {
      await node.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The pseudo-random bytes Kubo's CLI test harness feeds `ipfs add` (test/cli/harness/random_reader.go):
 * the ChaCha20 keystream under key sha256(seed), zero nonce, counter from 0. Known CIDs that Kubo
 * computed for such files can be checked here without storing the files.
 */
export function* kuboDeterministicBytes(size: number, seed: string): Generator<Buffer> {
  const key = createHash("sha256").update(seed).digest();
  // OpenSSL's chacha20 IV: 4-byte little-endian block counter, then the 12-byte nonce.
  const cipher = createCipheriv("chacha20", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let left = size; left > 0; left -= zeros.length) {
    yield cipher.update(zeros.subarray(0, Math.min(left, zeros.length)));
  }
}

/** Test data in which no two chunks are alike, so a chunk served in the wrong place shows. */
export function testBytes(size: number): Buffer {
  return Buffer.concat([...kuboDeterministicBytes(size, "d-cloudx test data")]);
}

export const KiB = 1024;
export const MiB = 1024 * KiB;
