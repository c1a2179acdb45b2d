import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { CID } from "multiformats/cid";

import { KiB, collect, testBytes, startTestNode, type TestNode } from "./helpers.ts";
import { DEFAULT_MAX_UPLOAD_BYTES } from "../src/server.ts";

const MISSING = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

describe("Kubo RPC API", () => {
  let ipfs: TestNode;
  const rpc = (command: string, init: RequestInit = {}) =>
    fetch(`${ipfs.node.url}/api/v0/${command}`, { method: "POST", ...init });

  before(async () => {
    ipfs = await startTestNode();
  });
  after(() => ipfs.stop());

  it("answers version and id like Kubo (graph-node checks POST /api/v0/version)", async () => {
    const response = await fetch(`${ipfs.node.url}/api/v0/version`, {
      method: "POST",
      headers: { "Content-Length": "0" },
    });
    assert.equal(response.status, 200);
    assert.equal(typeof ((await response.json()) as { Version: unknown }).Version, "string");
    const version = await ipfs.client.version();
    assert.match(version.version, /^\d+\.\d+\.\d+/);
    const id = await ipfs.client.id();
    assert.match(id.id.toString(), /^12D3KooW/);
  });

  it("adds a file and cats it whole and by offset and length across chunk boundaries", async () => {
    const data = testBytes(600 * KiB);
    // With a progress callback the client asks for progress events; none come, and the add works.
    const { cid, size, path } = await ipfs.client.add(
      { path: "data.bin", content: data },
      { cidVersion: 1, progress: () => {} },
    );
    assert.equal(path, "data.bin");
    assert.equal(cid.version, 1);
    assert.ok(size > data.length, "a multi-chunk file's DAG is larger than its data");
    assert.deepEqual(await collect(ipfs.client.cat(cid)), data);
    const offset = 256 * KiB - 10;
    assert.deepEqual(
      await collect(ipfs.client.cat(cid, { offset, length: 300 * KiB })),
      data.subarray(offset, offset + 300 * KiB),
    );
    assert.deepEqual(await collect(ipfs.client.cat(cid, { offset: data.length - 5 })), data.subarray(-5));
    assert.equal((await collect(ipfs.client.cat(cid, { offset: data.length }))).length, 0);
  });

  it("adds several files wrapped in a directory and cats them by path", async () => {
    const files = [
      { path: "listing.json", content: '{"name":"gpu box"}' },
      { path: "images/logo.svg", content: "<svg/>" },
    ];
    const added = await Array.fromAsync(ipfs.client.addAll(files, { cidVersion: 1, wrapWithDirectory: true }));
    assert.deepEqual(
      added.map((entry) => entry.path),
      ["listing.json", "images/logo.svg", "images", ""],
    );
    const root = added.at(-1)!.cid;
    assert.equal((await collect(ipfs.client.cat(`${root}/listing.json`))).toString(), '{"name":"gpu box"}');
    assert.equal((await collect(ipfs.client.cat(`/ipfs/${root}/images/logo.svg`))).toString(), "<svg/>");
    // Kubo pins the wrapping directory, not its children.
    const pins = await Array.fromAsync(ipfs.client.pin.ls({ type: "recursive" }));
    assert.ok(pins.some((pin) => pin.cid.equals(root)));
    assert.ok(!pins.some((pin) => pin.cid.equals(added[0]!.cid)));
  });

  it("pins: add pins by default, pin add/ls/rm, indirect pins, pin names", async () => {
    const { cid } = await ipfs.client.add("not pinned yet", { cidVersion: 1, pin: false });
    const isPinned = async (target: CID) =>
      (await Array.fromAsync(ipfs.client.pin.ls())).find((pin) => pin.cid.equals(target))?.type;
    assert.equal(await isPinned(cid), undefined);
    assert.deepEqual(await ipfs.client.pin.add(cid, { name: "listing" }), cid);
    assert.equal(await isPinned(cid), "recursive");
    const named = await Array.fromAsync(ipfs.client.pin.ls({ paths: [cid], names: true }));
    assert.deepEqual(
      named.map((pin) => [pin.cid.toString(), pin.type, pin.name]),
      [[cid.toString(), "recursive", "listing"]],
    );

    const [child, , folder] = await Array.fromAsync(
      ipfs.client.addAll(
        [
          { path: "folder/child.txt", content: "child" },
          { path: "folder/other.txt", content: "other" },
        ],
        {
          cidVersion: 1,
        },
      ),
    );
    const [indirect] = await Array.fromAsync(ipfs.client.pin.ls({ paths: [child!.cid] }));
    assert.equal(indirect?.type, `indirect through ${folder!.cid}`);

    assert.deepEqual(await ipfs.client.pin.rm(cid), cid);
    assert.equal(await isPinned(cid), undefined);
    await assert.rejects(ipfs.client.pin.rm(cid), /not pinned/);
  });

  it("pin add needs the whole DAG", async () => {
    await assert.rejects(ipfs.client.pin.add(CID.parse(MISSING)), /not found locally/);
  });

  it("only-hash computes the CID without storing or pinning", async () => {
    const { cid } = await ipfs.client.add("only hashed", { cidVersion: 1, onlyHash: true });
    assert.equal(
      cid.toString(),
      (await ipfs.client.add("only hashed", { cidVersion: 1, onlyHash: true })).cid.toString(),
    );
    await assert.rejects(collect(ipfs.client.cat(cid)), /not found locally/);
    assert.ok(!(await Array.fromAsync(ipfs.client.pin.ls())).some((pin) => pin.cid.equals(cid)));
  });

  it("names an unnamed upload by its CID, as Kubo does for stdin", async () => {
    // A part without a filename, as `curl -F file=<-` sends it.
    const response = await rpc("add?cid-version=1&quiet=true&progress=true&stream-channels=true", {
      headers: { "Content-Type": "multipart/form-data; boundary=b" },
      body: '--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nfrom stdin\r\n--b--\r\n',
    });
    const [entry] = (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.equal(entry.Name, entry.Hash);
  });

  it("answers errors in Kubo's shape", async () => {
    const expectError = async (response: Response, status: number, message: RegExp) => {
      assert.equal(response.status, status);
      const body = (await response.json()) as { Type: string; Code: number; Message: string };
      assert.equal(body.Type, "error");
      assert.equal(body.Code, status === 500 ? 0 : 1);
      assert.match(body.Message, message);
    };
    await expectError(await rpc("cat?arg=not-a-cid"), 500, /^invalid path "not-a-cid"/);
    await expectError(await rpc(`cat?arg=${MISSING}`), 500, /not found locally/);
    await expectError(await rpc("cat"), 400, /argument "ipfs-path" is required/);
    const { cid } = await ipfs.client.add(
      { path: "dir/file", content: "x" },
      { cidVersion: 1, wrapWithDirectory: true },
    );
    await expectError(await rpc(`cat?arg=${cid}`), 500, /this dag node is a directory/);
    await expectError(await rpc(`cat?arg=${cid}/dir/absent`), 500, /absent/);
    await expectError(await rpc(`cat?arg=${cid}/dir/file&offset=-1`), 400, /offset/);
    await expectError(await rpc(`cat?arg=${cid}/dir/file&offset=2`), 500, /offset was past the end of the file/);
    await expectError(await rpc("add?cid-version=1", { body: "plain text" }), 400, /multipart/);
    await expectError(await rpc("add?trickle=true", { body: new FormData() }), 400, /trickle/);
    await expectError(await rpc("add?cid-version=2", { body: new FormData() }), 400, /CID version/);
    await expectError(await rpc("add?chunker=rabin", { body: new FormData() }), 400, /chunker/);
    await expectError(await rpc("add?pin=maybe", { body: new FormData() }), 400, /bool/);
    await expectError(await rpc("pin/ls?type=some"), 400, /invalid type/);

    await assert.rejects(collect(ipfs.client.cat("not-a-cid")), /invalid/);
    const malformed = await rpc("add", {
      headers: { "Content-Type": "multipart/form-data; boundary=xyz" },
      body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nunterminated',
    });
    await expectError(malformed, 400, /malformed multipart upload/);

    assert.equal((await fetch(`${ipfs.node.url}/api/v0/version`)).status, 405);
    assert.equal((await rpc("swarm/peers")).status, 404);
    assert.equal((await rpc("toString")).status, 404);
    assert.equal((await rpc("constructor")).status, 404);
  });

  it("refuses a path with '..' in an upload", async () => {
    const body = new FormData();
    body.append("file", new Blob(["x"]), encodeURIComponent("a/../b"));
    const response = await rpc("add", { body });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { Message: string }).Message, /"\.\."/);
  });

  it("serves the block of a CID (block/get, used by graph-node)", async () => {
    const { cid } = await ipfs.client.add("block bytes", { cidVersion: 1 });
    assert.equal(Buffer.from(await (await rpc(`block/get?arg=${cid}`)).arrayBuffer()).toString(), "block bytes");
  });
});

describe("the default upload limit", () => {
  it("refuses an upload over 32 MiB with 413 and says what the limit is", async () => {
    const ipfs = await startTestNode();
    try {
      const form = new FormData();
      form.append("file", new Blob([new Uint8Array(DEFAULT_MAX_UPLOAD_BYTES + 1)]), "too-big.bin");
      const response = await fetch(`${ipfs.node.url}/api/v0/add`, { method: "POST", body: form });
      assert.equal(response.status, 413);
      assert.match(await response.text(), new RegExp(`limit of ${DEFAULT_MAX_UPLOAD_BYTES} bytes`));
    } finally {
      await ipfs.stop();
    }
  });
});

describe("upload limits", () => {
  let ipfs: TestNode;
  before(async () => {
    ipfs = await startTestNode({ maxUploadBytes: 64 * KiB, maxUploadEntries: 3 });
  });
  after(() => ipfs.stop());

  it("refuses an upload over the byte limit with 413, and keeps working", async () => {
    await assert.rejects(ipfs.client.add(testBytes(200 * KiB)), /upload exceeds the limit of 65536 bytes/);
    const raw = new FormData();
    raw.append("file", new Blob([testBytes(1024 * KiB)]), "big.bin");
    const response = await fetch(`${ipfs.node.url}/api/v0/add`, { method: "POST", body: raw });
    assert.equal(response.status, 413);
    assert.equal((await ipfs.client.add("still fine", { cidVersion: 1 })).path.length > 0, true);
  });

  it("refuses too many files", async () => {
    const files = ["a", "b", "c", "d"].map((name) => ({ path: name, content: name }));
    await assert.rejects(Array.fromAsync(ipfs.client.addAll(files)), /too many files in one upload \(limit 3\)/);
  });

  it("survives a client that gives up halfway through an upload", async () => {
    const controller = new AbortController();
    const body = new ReadableStream({
      start(stream) {
        stream.enqueue(
          new TextEncoder().encode('--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n'),
        );
        setTimeout(() => controller.abort(), 50);
      },
    });
    await assert.rejects(
      fetch(`${ipfs.node.url}/api/v0/add`, {
        method: "POST",
        headers: { "Content-Type": "multipart/form-data; boundary=b" },
        body,
        signal: controller.signal,
        duplex: "half",
      } as RequestInit),
    );
    assert.equal((await ipfs.client.add("after abort", { cidVersion: 1 })).path.length > 0, true);
  });
});
