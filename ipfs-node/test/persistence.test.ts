import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { KiB, collect, patternBytes, startTestNode } from "./helpers.ts";

describe("data folder", () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "dcloudx-ipfs-persist-"));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it("keeps blocks, pins and the peer ID across a restart", async () => {
    const data = patternBytes(300 * KiB);
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

  it("refuses to start on a port that is taken, and releases the folder", async () => {
    const running = await startTestNode({ dataDir });
    try {
      await assert.rejects(startTestNode({ dataDir, port: running.node.port }), /EADDRINUSE/);
    } finally {
      await running.stop();
    }
  });
});
