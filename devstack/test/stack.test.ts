/**
 * A private stack (chain, IPFS, PostgreSQL, graph-node) on free ports: every port it listens on is
 * bound to 127.0.0.1 and nothing else (graph-node's included, which binds every interface unless
 * it runs in a namespace of its own), the subgraph is served as d-cloudx, and stopping the stack
 * frees every port.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { loopbackOnlyAvailable } from "../src/loopback-only.ts";
import { listeningSockets, portInUse } from "../src/process.ts";
import { type Stack, startStack } from "../src/stack.ts";

describe("the dev stack", { timeout: 600_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "dcx-devstack-test-"));
  let stack: Stack;
  let ports: number[];

  before(async () => {
    stack = await startStack({ dataDir, mode: "private" });
    const graph = stack.graphNode.ports;
    ports = [
      Number(new URL(stack.rpcUrl).port),
      Number(new URL(stack.ipfsUrl).port),
      stack.postgres.port,
      graph.http,
      graph.indexNode,
      graph.admin,
      graph.metrics,
    ];
  });
  after(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("listens on 127.0.0.1 only, graph-node's admin port included", (context) => {
    if (!loopbackOnlyAvailable()) {
      context.skip("this machine allows no network namespace: graph-node listens on every interface");
      return;
    }
    const sockets = listeningSockets().filter((socket) => ports.includes(socket.port));
    for (const port of ports) {
      const bound = sockets.filter((socket) => socket.port === port).map((socket) => socket.address);
      assert.deepEqual(bound, ["127.0.0.1"], `port ${port} is bound to ${bound.join(", ") || "nothing"}`);
    }
  });

  it("serves the subgraph as d-cloudx", async () => {
    assert.match(stack.graphNode.subgraphUrl, /\/subgraphs\/name\/d-cloudx$/);
    const data = await stack.graphNode.query<{ _meta: { block: { number: number } } }>(
      "{ _meta { block { number } } }",
    );
    assert.ok(data._meta.block.number >= 0);
  });

  it("frees every port when stopped", async () => {
    await stack.stop();
    for (const port of ports) assert.equal(await portInUse(port), false, `port ${port} still in use`);
    for (const socket of listeningSockets())
      assert.ok(!ports.includes(socket.port), `port ${socket.port} still listened on`);
  });
});
