import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { CID } from "multiformats/cid";

import { KiB, MiB, kuboDeterministicBytes, startTestNode, type TestNode } from "./helpers.ts";

/*
 * Every expected CID below was produced by Kubo itself, with the quoted command, in Kubo's own tests:
 * - test/cli/add_test.go and test/cli/cid_profiles_test.go ("hello world", deterministic files)
 * - test/sharness/t0114-gateway-subdomains/README.md, t0122-gateway-tar/README.md and
 *   t0123-gateway-json-cbor/README.md (files and directory trees added with `ipfs add -r --cid-version 1`)
 * The uploads go through kubo-rpc-client, as an application's would.
 */
describe("CIDs equal Kubo's", () => {
  let ipfs: TestNode;
  before(async () => {
    // Files of up to 175 chunks of 1 MiB: over the default upload limit.
    ipfs = await startTestNode({ maxUploadBytes: 256 * MiB });
  });
  after(() => ipfs.stop());

  const addV1 = async (content: Uint8Array | string) =>
    (await ipfs.client.add(content, { cidVersion: 1 })).cid.toString();

  it("the empty file", async () => {
    // CIDv1 raw leaf of zero bytes: raw codec + sha2-256 of "".
    assert.equal(await addV1(new Uint8Array()), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  });

  it('"hello world" and "hello\\n", with CIDv1 and with Kubo\'s default CIDv0', async () => {
    assert.equal(await addV1("hello world"), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
    assert.equal(
      (await ipfs.client.add("hello world")).cid.toString(),
      "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD",
    );
    assert.equal(await addV1("hello\n"), "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am");
    assert.equal((await ipfs.client.add("hello\n")).cid.toString(), "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
  });

  it("the empty directory, sent as a directory part", async () => {
    // QmUNLL…: the empty UnixFS directory (graph-node probes gateways with it).
    const emptyV0 = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn";
    const [v0] = await Array.fromAsync(ipfs.client.addAll([{ path: "empty" }]));
    assert.equal(v0?.cid.toString(), emptyV0);
    const [v1] = await Array.fromAsync(ipfs.client.addAll([{ path: "empty" }], { cidVersion: 1 }));
    assert.equal(v1?.cid.toString(), CID.parse(emptyV0).toV1().toString());
  });

  it("a directory tree (t0114: testdirlisting)", async () => {
    const files = [
      { path: "testdirlisting/hello", content: "hello\n" },
      { path: "testdirlisting/ipfs/ipns/bar", content: "text-file-content\n" },
      { path: "testdirlisting/api/file.txt", content: "I am a txt file\n" },
      { path: "testdirlisting/ipfs/file.txt", content: "I am a txt file\n" },
    ];
    const added = await Array.fromAsync(ipfs.client.addAll(files, { cidVersion: 1 }));
    const byPath = new Map(added.map((entry) => [entry.path, entry.cid.toString()]));
    assert.equal(byPath.get("testdirlisting"), "bafybeiht6dtwk3les7vqm6ibpvz6qpohidvlshsfyr7l5mpysdw2vmbbhe");
    assert.equal(byPath.get("testdirlisting/hello"), "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am");
    // Kubo lists files first, then directories, the top one last.
    assert.equal(added.at(-1)?.path, "testdirlisting");
  });

  it("a directory tree with UTF-8 names (t0122 and t0123: rootDir)", async () => {
    const files = [
      { path: "rootDir/ą/ę/file-źł.txt", content: "I am a txt file on path with utf8\n" },
      { path: "rootDir/api/file.txt", content: "I am a txt file in confusing /api dir\n" },
      { path: "rootDir/ipfs/file.txt", content: "I am a txt file in confusing /ipfs dir\n" },
      { path: "rootDir/ipns/file.txt", content: "I am a txt file in confusing /ipns dir\n" },
    ];
    const t0122 = await Array.fromAsync(ipfs.client.addAll(files, { cidVersion: 1 }));
    const file = t0122.find((entry) => entry.path === "rootDir/ą/ę/file-źł.txt");
    assert.equal(file?.cid.toString(), "bafkreialihlqnf5uwo4byh4n3cmwlntwqzxxs2fg5vanqdi3d7tb2l5xkm");
    assert.equal(file?.size, 34);
    assert.equal(t0122.at(-1)?.cid.toString(), "bafybeig6ka5mlwkl4subqhaiatalkcleo4jgnr3hqwvpmsqfca27cijp3i");

    const json = { path: "rootDir/ą/ę/t.json", content: '{ "test": "i am a plain json file" }\n' };
    const t0123 = await Array.fromAsync(ipfs.client.addAll([json, ...files], { cidVersion: 1 }));
    const jsonEntry = t0123.find((entry) => entry.path === json.path);
    assert.equal(jsonEntry?.cid.toString(), "bafkreibrppizs3g7axs2jdlnjua6vgpmltv7k72l7v7sa6mmht6mne3qqe");
    assert.equal(t0123.at(-1)?.cid.toString(), "bafybeiafyvqlazbbbtjnn6how5d6h6l6rxbqc4qgpbmteaiskjrffmyy4a");
  });

  // Kubo's default import settings (unixfs-v0-2015 profile): 256 KiB chunks, 174 links per node.
  it("a file of exactly 174 chunks of 256 KiB (one DAG level) and one of 175 (two levels)", async () => {
    const add = async (size: number) =>
      (await ipfs.client.add(kuboDeterministicBytes(size, "v0-seed"), { pin: false })).cid.toString();
    assert.equal(await add(44_544 * KiB), "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2");
    assert.equal(await add(44_800 * KiB), "QmepeWtdmS1hHXx1oZXsPUv6bMrfRRKfZcoPPU4eEfjnbf");
  });

  // Kubo's test-cid-v1 profile: CIDv1 with raw leaves (what --cid-version 1 switches on), 174 links,
  // 1 MiB chunks. With 256 KiB chunks these settings are `ipfs add --cid-version 1`.
  it("CIDv1 raw-leaf files of 174 and 175 chunks", async () => {
    const add = async (size: number) =>
      (
        await ipfs.client.add(kuboDeterministicBytes(size, "v1-seed"), {
          cidVersion: 1,
          chunker: "size-1048576",
          pin: false,
        })
      ).cid.toString();
    assert.equal(await add(174 * MiB), "bafybeigwduxcf2aawppv3isnfeshnimkyplvw3hthxjhr2bdeje4tdaicu");
    assert.equal(await add(175 * MiB), "bafybeidhd7lo2n2v7lta5yamob3xwhbxcczmmtmhquwhjesi35jntf7mpu");
  });
});
