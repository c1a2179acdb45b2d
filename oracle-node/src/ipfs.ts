/** The node's IPFS use: reading listing metadata and publishing encrypted access details. */
import { create } from "kubo-rpc-client";

export interface ContentStore {
  /** The content of `cid`; rejects content longer than `maxBytes`. */
  cat(cid: string, maxBytes: number): Promise<Uint8Array>;
  /** Adds and pins `bytes`; returns the CIDv1. */
  add(bytes: Uint8Array): Promise<string>;
}

export function ipfsStore(apiUrl: string, timeoutMs = 15_000): ContentStore {
  const client = create({ url: `${apiUrl.replace(/\/$/, "")}/api/v0`, timeout: timeoutMs });
  return {
    async cat(cid, maxBytes) {
      const chunks: Uint8Array[] = [];
      let size = 0;
      // Asks for one byte more than allowed, to tell "exactly the limit" from "too long".
      for await (const chunk of client.cat(cid, { length: maxBytes + 1, timeout: timeoutMs })) {
        size += chunk.length;
        if (size > maxBytes) throw new ContentTooLargeError(cid, maxBytes);
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    },
    async add(bytes) {
      const { cid } = await client.add(bytes, { cidVersion: 1, pin: true, timeout: timeoutMs });
      return cid.toString();
    },
  };
}

export class ContentTooLargeError extends Error {
  constructor(cid: string, maxBytes: number) {
    super(`${cid} is larger than ${maxBytes} bytes`);
    this.name = "ContentTooLargeError";
  }
}
