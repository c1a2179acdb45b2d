import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";

import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";

import { KiB, testBytes, startTestNode, type TestNode } from "./helpers.ts";

describe("path gateway", () => {
  let ipfs: TestNode;
  let site: CID;
  let bigFile: CID;
  const big = testBytes(700 * KiB);
  const app = "import './util.js';\nconsole.log('D-CloudX');\n";
  const get = (path: string, init: RequestInit = {}) =>
    fetch(`${ipfs.node.url}${path}`, { redirect: "manual", ...init });

  before(async () => {
    ipfs = await startTestNode();
    // A web app built with relative asset URLs, published the way `ipfs add -r --cid-version 1 -w` would.
    const files = [
      { path: "index.html", content: '<!doctype html><script type="module" src="./assets/app.js"></script>' },
      { path: "assets/app.js", content: app },
      { path: "assets/style.css", content: "body{}" },
      { path: "assets/logo.svg", content: "<svg xmlns='http://www.w3.org/2000/svg'/>" },
      { path: "assets/app.wasm", content: new Uint8Array([0, 97, 115, 109]) },
      { path: "data/listing.json", content: '{"cloud":"aws"}' },
      { path: "data/README", content: "plain words" },
      { path: "data/blob", content: new Uint8Array([0, 1, 2, 255]) },
      { path: "data/ą ę.txt", content: "utf-8 name" },
      { path: "big.bin", content: big },
    ];
    const added = await Array.fromAsync(ipfs.client.addAll(files, { cidVersion: 1, wrapWithDirectory: true }));
    site = added.at(-1)!.cid;
    bigFile = added.find((entry) => entry.path === "big.bin")!.cid;
  });
  after(() => ipfs.stop());

  it("redirects a directory to its trailing-slash URL, then serves its index.html", async () => {
    const redirect = await get(`/ipfs/${site}?x=1`);
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get("location"), `/ipfs/${site}/?x=1`);
    const page = await get(`/ipfs/${site}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(await page.text(), /assets\/app\.js/);
    assert.equal((await get(`/ipfs/${site}/assets`)).status, 301);
  });

  it("sends MIME types by extension, sniffs files without one", async () => {
    const types: Record<string, string> = {
      "assets/app.js": "text/javascript; charset=utf-8",
      "assets/style.css": "text/css; charset=utf-8",
      "assets/logo.svg": "image/svg+xml",
      "assets/app.wasm": "application/wasm",
      "data/listing.json": "application/json; charset=utf-8",
      "data/README": "text/plain; charset=utf-8",
      "data/blob": "application/octet-stream",
    };
    for (const [path, type] of Object.entries(types)) {
      const response = await get(`/ipfs/${site}/${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("content-type"), type, path);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    }
    assert.equal(await (await get(`/ipfs/${site}/assets/app.js`)).text(), app);
  });

  it("resolves percent-encoded UTF-8 names", async () => {
    const response = await get(`/ipfs/${site}/data/${encodeURIComponent("ą ę.txt")}`);
    assert.equal(await response.text(), "utf-8 name");
  });

  it("lists a directory without index.html", async () => {
    const response = await get(`/ipfs/${site}/data/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    const html = await response.text();
    assert.match(html, /href="listing\.json"/);
    assert.ok(html.includes(`<a href="${encodeURIComponent("ą ę.txt")}">ą ę.txt</a>`));
  });

  it("answers 404 for a missing path and a missing CID, 400 for a bad CID", async () => {
    const missing = await get(`/ipfs/${site}/assets/nope.js`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /nope\.js/);
    assert.equal((await get("/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")).status, 404);
    assert.equal((await get("/ipfs/not-a-cid")).status, 400);
    assert.equal((await get(`/ipfs/${site}/%E0%A4%A`)).status, 400);
    assert.equal((await get("/nothing-here")).status, 404);
  });

  it("serves byte ranges of a multi-chunk file (206), 416 when unsatisfiable", async () => {
    const url = `/ipfs/${bigFile}`;
    const cases: [string, number, number][] = [
      ["bytes=0-99", 0, 99],
      ["bytes=262100-262299", 262_100, 262_299], // across the first chunk boundary
      ["bytes=-10", big.length - 10, big.length - 1],
      [`bytes=${big.length - 3}-`, big.length - 3, big.length - 1],
      [`bytes=100-${big.length * 2}`, 100, big.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const response = await get(url, { headers: { Range: range } });
      assert.equal(response.status, 206, range);
      assert.equal(response.headers.get("content-range"), `bytes ${start}-${end}/${big.length}`, range);
      assert.equal(response.headers.get("content-length"), String(end - start + 1), range);
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), big.subarray(start, end + 1), range);
    }
    const unsatisfiable = await get(url, { headers: { Range: `bytes=${big.length}-` } });
    assert.equal(unsatisfiable.status, 416);
    assert.equal(unsatisfiable.headers.get("content-range"), `bytes */${big.length}`);
    // Several ranges or a malformed header: the whole file.
    for (const range of ["bytes=0-1,5-6", "bytes=9-3", "lines=1-2"]) {
      const response = await get(url, { headers: { Range: range } });
      assert.equal(response.status, 200, range);
      assert.equal((await response.arrayBuffer()).byteLength, big.length, range);
    }
  });

  it("sends immutable caching headers and answers a matching If-None-Match with 304", async () => {
    const response = await get(`/ipfs/${bigFile}`);
    assert.equal(response.headers.get("etag"), `"${bigFile}"`);
    assert.equal(response.headers.get("cache-control"), "public, max-age=29030400, immutable");
    assert.equal(response.headers.get("accept-ranges"), "bytes");
    assert.equal(response.headers.get("x-ipfs-path"), `/ipfs/${bigFile}`);
    await response.arrayBuffer();
    const cached = await get(`/ipfs/${bigFile}`, { headers: { "If-None-Match": `"${bigFile}"` } });
    assert.equal(cached.status, 304);
  });

  it("answers HEAD with the headers of GET and no body", async () => {
    const response = await get(`/ipfs/${bigFile}`, { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-length"), String(big.length));
    assert.equal((await response.arrayBuffer()).byteLength, 0);
  });

  it("serves raw blocks that verify against their CID (?format=raw, Accept)", async () => {
    const { cid } = await ipfs.client.add("a raw leaf", { cidVersion: 1 });
    for (const init of [
      { path: `/ipfs/${cid}?format=raw` },
      { path: `/ipfs/${cid}`, accept: "application/vnd.ipld.raw" },
    ]) {
      const response = await get(init.path, { headers: init.accept ? { Accept: init.accept } : {} });
      assert.equal(response.headers.get("content-type"), "application/vnd.ipld.raw");
      const block = new Uint8Array(await response.arrayBuffer());
      assert.ok(CID.create(1, raw.code, await sha256.digest(block)).equals(cid));
    }
    const root = await get(`/ipfs/${site}?format=raw`);
    const rootBlock = Buffer.from(await root.arrayBuffer());
    assert.deepEqual(Buffer.from(site.multihash.digest), createHash("sha256").update(rootBlock).digest());
    assert.equal((await get(`/ipfs/${site}?format=car`)).status, 400);
  });

  it("answers graph-node's probes: only-if-cached and identity CIDs", async () => {
    const probe = (cid: string) =>
      get(`/ipfs/${cid}`, { method: "HEAD", headers: { "Cache-Control": "only-if-cached" } });
    assert.equal((await probe(site.toString())).status, 200);
    // The empty directory (CIDv0) graph-node probes with is not stored here.
    assert.equal((await probe("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")).status, 412);
    // bafkqaaa: raw codec, identity multihash of no bytes: answerable without any block.
    const identity = await get("/ipfs/bafkqaaa", { method: "HEAD" });
    assert.equal(identity.status, 200);
    assert.equal(identity.headers.get("content-length"), "0");
  });

  it("allows any origin to read, with preflight; is read-only", async () => {
    const response = await get(`/ipfs/${site}/`, { headers: { Origin: "https://example.org" } });
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
    const preflight = await get(`/ipfs/${site}/`, {
      method: "OPTIONS",
      headers: {
        Origin: "https://example.org",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "range",
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /GET/);
    assert.equal(preflight.headers.get("access-control-allow-headers"), "range");
    assert.equal((await get(`/ipfs/${site}/`, { method: "POST" })).status, 405);
  });
});

describe("RPC API CORS", () => {
  let ipfs: TestNode;
  before(async () => {
    ipfs = await startTestNode();
  });
  after(() => ipfs.stop());

  const preflight = (origin: string) =>
    fetch(`${ipfs.node.url}/api/v0/add`, {
      method: "OPTIONS",
      headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
    });

  it("lets pages on this machine call the API by default, and no one else", async () => {
    const local = await preflight("http://localhost:5173");
    assert.equal(local.status, 204);
    assert.equal(local.headers.get("access-control-allow-origin"), "http://localhost:5173");
    assert.match(local.headers.get("access-control-allow-methods") ?? "", /POST/);
    const version = await fetch(`${ipfs.node.url}/api/v0/version`, {
      method: "POST",
      headers: { Origin: "http://127.0.0.1:4173" },
    });
    assert.equal(version.headers.get("access-control-allow-origin"), "http://127.0.0.1:4173");
    assert.equal((await preflight("https://evil.example")).status, 403);
    const refused = await fetch(`${ipfs.node.url}/api/v0/version`, {
      method: "POST",
      headers: { Origin: "https://evil.example" },
    });
    assert.equal(refused.status, 403);
  });

  it("allows the configured origins", async () => {
    const configured = await startTestNode({ apiCorsOrigins: ["https://app.d-cloudx.example"] });
    try {
      const response = await fetch(`${configured.node.url}/api/v0/version`, {
        method: "POST",
        headers: { Origin: "https://app.d-cloudx.example" },
      });
      assert.equal(response.headers.get("access-control-allow-origin"), "https://app.d-cloudx.example");
      const local = await fetch(`${configured.node.url}/api/v0/version`, {
        method: "POST",
        headers: { Origin: "http://localhost:5173" },
      });
      assert.equal(local.status, 403);
    } finally {
      await configured.stop();
    }
  });
});
