import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";

import { Registry } from "prom-client";

import { startHttpServer } from "../src/http/server.ts";

describe("the health and metrics server", () => {
  let close: () => void;
  let url: string;
  before(async () => {
    const { server, port } = await startHttpServer("127.0.0.1", 0, new Registry(), () => ({ ok: true }));
    close = () => server.close();
    url = `http://127.0.0.1:${port}`;
  });
  after(() => close());

  it("answers GET /healthz", async () => {
    const response = await fetch(`${url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true });
  });

  it("refuses a request with a body (413) without reading it", async () => {
    const response = await fetch(`${url}/healthz`, { method: "POST", body: new Uint8Array(100 * 1024 * 1024) });
    assert.equal(response.status, 413);
    assert.match(await response.text(), /request bodies are not accepted/);
  });

  it("refuses oversized headers (431)", async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const call = request(`${url}/healthz`, { headers: { "x-padding": "a".repeat(16 * 1024) } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      call.on("error", reject).end();
    });
    assert.equal(status, 431);
  });
});
