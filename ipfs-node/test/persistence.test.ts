import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import * as dagPb from "@ipld/dag-pb";
import { FsBlockstore } from "blockstore-fs";

import { KiB, collect, testBytes, startTestNode } from "./helpers.ts";

describe("data folder", () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "dcloudx-ipfs-persist-"));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it("keeps blocks, pins and the peer ID across a restart", async () => {
    const data = testBytes(300 * KiB);
    const first = await startTestNode({ dataDir });
    const { cid } = await first.client.add({ path: "kept.bin", content: data }, { cidVersion: 1 });
    const { cid: unpinned } = await first.client.add("stored, not pinned", { cidVersion: 1, pin: false });
    const peerId = (await first.client.id()).id.toString();
    await first.stop();

    const second = await startTestNode({ dataDir });
    try {
      assert.deepEqual(await collect(second.client.cat(cid)), data);
      assert.equal((await collect(second.client.cat(unpinned))).toString(), "stored, not pinned");
      const pins = await Array.fromAsync(second.client.pin.ls({ type: "recursive" }));
      assert.deepEqual(
        pins.map((pin) => pin.cid.toString()),
        [cid.toString()],
      );
      assert.equal((await second.client.id()).id.toString(), peerId);
      const page = await fetch(`${second.node.url}/ipfs/${cid}`, { headers: { Range: "bytes=0-9" } });
      assert.deepEqual(Buffer.from(await page.arrayBuffer()), data.subarray(0, 10));
    } finally {
      await second.stop();
    }
  });

  it("reports a block missing from the folder as an error, never as truncated content", async () => {
    const data = testBytes(600 * KiB);
    const ipfs = await startTestNode({ dataDir });
    try {
      const { cid } = await ipfs.client.add(data, { cidVersion: 1, pin: false });
      const [, second] = dagPb.decode(await ipfs.client.block.get(cid)).Links;
      const blocks = new FsBlockstore(join(dataDir, "blocks"));
      await blocks.open();
      await blocks.delete(second!.Hash);
      await blocks.close();

      await assert.rejects(ipfs.client.pin.add(cid), /not found locally/);
      await assert.rejects(collect(ipfs.client.cat(cid, { offset: 300 * KiB })), /not found locally/);
      const range = await fetch(`${ipfs.node.url}/ipfs/${cid}`, { headers: { Range: `bytes=${300 * KiB}-` } });
      assert.equal(range.status, 404);
      // The intact first chunk is still served.
      assert.deepEqual(await collect(ipfs.client.cat(cid, { length: 1000 })), data.subarray(0, 1000));
    } finally {
      await ipfs.stop();
    }
  });

  it("refuses to start on a port that is taken, and releases the folder", async () => {
    const running = await startTestNode({ dataDir });
    try {
      await assert.rejects(startTestNode({ dataDir, port: running.node.port }), /EADDRINUSE/);
    } finally {
      await running.stop();
    }
  });
});
