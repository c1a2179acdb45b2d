/**
 * `npm start` end to end, on free ports with a temporary data folder: every URL it prints answers
 * (chain, GraphQL with the demo data, IPFS gateway, oracle node, dApp), every port it listens on is
 * bound to 127.0.0.1 only, the oracle node provisions the demo's local bookings, Ctrl-C stops
 * everything and frees every port, a second start in the same folder reuses the dApp build, a start
 * after a killed one stops that one's leftovers, and SIGTERM to npm stops it all. A port in use is
 * refused with a clear message.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { type Server, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import {
  DEFAULT_PORTS,
  freePort,
  listeningSockets,
  loopbackOnlyAvailable,
  portInUse,
  waitFor,
} from "@d-cloudx/devstack";

const REPOSITORY = fileURLToPath(new URL("../../", import.meta.url));
const START = fileURLToPath(new URL("../start.js", import.meta.url));
const PORT_VARIABLES = Object.keys(DEFAULT_PORTS);

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs the start script directly (`npm` = true: through `npm start`, as a user does). */
function start(env: NodeJS.ProcessEnv, args: string[] = [], npm = false): Running {
  const child = npm
    ? spawn("npm", ["start", "--silent", "--", ...args], { cwd: REPOSITORY, env: { ...process.env, ...env } })
    : spawn(process.execPath, [START, ...args], { env: { ...process.env, ...env } });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Waits for the URL table; fails with the output if the command exits first. */
async function ready(running: Running, timeoutMs: number): Promise<string> {
  let exited = false;
  void running.exited.then(() => (exited = true));
  return waitFor(
    "npm start to print its URLs",
    async () => {
      if (exited) throw Object.assign(new Error(`npm start exited:\n${running.output()}`), { fatal: true });
      return running.output().includes("Ctrl-C stops everything") ? running.output() : undefined;
    },
    timeoutMs,
    250,
    (error) => (error as { fatal?: boolean }).fatal === true,
  );
}

function row(output: string, name: string): string {
  const match = new RegExp(`^\\s+${name}\\s+(\\S+)`, "m").exec(output);
  assert.ok(match, `no "${name}" row in:\n${output}`);
  return match[1]!;
}

async function graphql<T>(url: string, query: string): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data: T; errors?: unknown };
  assert.equal(body.errors, undefined);
  return body.data;
}

async function stop(running: Running): Promise<void> {
  running.child.kill("SIGINT");
  assert.equal(await running.exited, 0, running.output());
}

describe("npm start", { timeout: 900_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "dcloudx-start-"));
  const env: NodeJS.ProcessEnv = { DATA_DIR: join(dataDir, "data"), DEPLOYMENTS_DIR: join(dataDir, "deployments") };
  let running: Running | undefined;

  after(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill("SIGINT");
      await running.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("starts the whole stack with demo data, and Ctrl-C stops it and frees every port", async () => {
    for (const name of PORT_VARIABLES) env[name] = String(await freePort());
    running = start(env);
    const output = await ready(running, 600_000);

    assert.match(output, /ready in \d+\.\d s/);
    assert.ok(existsSync(join(env.DEPLOYMENTS_DIR!, "localhost.json")));

    const chainId = await fetch(row(output, "Chain JSON-RPC"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    }).then((r) => r.json() as Promise<{ result: string }>);
    assert.equal(chainId.result, "0x7a69");

    // The demo's resources, with their metadata fetched from IPFS by graph-node.
    const subgraph = row(output, "GraphQL endpoint");
    const { resources } = await graphql<{ resources: { metadataCid: string; metadata: { name: string } | null }[] }>(
      subgraph,
      "{ resources { metadataCid metadata { name } } }",
    );
    assert.equal(resources.length, 8);
    const document = (await (await fetch(row(output, "IPFS gateway"))).json()) as { name: string };
    assert.ok(resources.some((resource) => resource.metadata?.name === document.name));
    assert.ok(resources.some((resource) => resource.metadata?.name === "Loopback file store, small"));
    assert.match(subgraph, /\/subgraphs\/name\/d-cloudx$/);
    // The playground: GraphiQL inlined in one page (nothing from a CDN), querying through its own /graphql.
    const playground = row(output, "GraphQL playground");
    const page = await (await fetch(playground)).text();
    assert.match(page, /YogaGraphiQL\.renderYogaGraphiQL/);
    assert.doesNotMatch(page, /<(script|link)[^>]+(src|href)="https?:/);
    const { _meta } = await graphql<{ _meta: { block: { number: number } } }>(
      new URL("graphql", playground).href,
      "{ _meta { block { number } } }",
    );
    assert.ok(_meta.block.number > 0);

    // Every port on loopback only (graph-node's behind its namespace where the machine allows one).
    const ports = PORT_VARIABLES.map((name) => Number(env[name]));
    if (loopbackOnlyAvailable()) {
      for (const socket of listeningSockets().filter((s) => ports.includes(s.port))) {
        assert.equal(socket.address, "127.0.0.1", `port ${socket.port} is bound to ${socket.address}`);
      }
    }

    // Every booking state, and the oracle node provisions the local bookings for real.
    const statuses = async () =>
      (await graphql<{ bookings: { status: string }[] }>(subgraph, "{ bookings(first: 100) { status } }")).bookings.map(
        (b) => b.status,
      );
    for (const status of ["REQUESTED", "ACTIVE", "COMPLETED", "CANCELLED", "TERMINATED"]) {
      assert.ok((await statuses()).includes(status), `no ${status} booking`);
    }
    await waitFor(
      "the oracle node to provision the local bookings",
      // The demo's active cloud booking, two loopback workloads, a bucket and a container.
      async () => ((await statuses()).filter((s) => s === "ACTIVE").length >= 5 ? true : undefined),
      120_000,
      500,
    );
    const { slaReports, proposals } = await graphql<{
      slaReports: { compliant: boolean }[];
      proposals: { status: string }[];
    }>(subgraph, "{ slaReports(first: 100) { compliant } proposals { status } }");
    assert.ok(
      slaReports.some((r) => !r.compliant),
      "no SLA violation",
    );
    // The oracle set's proposal (executed: three signers, quorum 2) and the demo's, open for voting.
    assert.deepEqual(proposals.map((p) => p.status).sort(), ["CREATED", "EXECUTED"]);

    const healthUrls = /^\s+Oracle health\s+(.+)$/m.exec(output)![1]!.split(", ");
    assert.equal(healthUrls.length, 3, "three oracle nodes");
    for (const url of healthUrls) {
      const health = await fetch(url);
      assert.equal(health.status, 200, url);
      assert.equal(((await health.json()) as { ok: boolean }).ok, true, url);
    }

    const dapp = await fetch(row(output, "dApp"));
    assert.equal(dapp.status, 200);
    assert.match(dapp.url, /\/ipfs\/[a-z0-9]+\/$/);
    assert.match(await dapp.text(), /<div id="root">/);

    await stop(running);
    for (const name of PORT_VARIABLES) {
      assert.equal(await portInUse(Number(env[name])), false, `${name} ${env[name]} still in use`);
    }
    assert.ok(!existsSync(join(env.DATA_DIR!, "postgres", "postmaster.pid")), "PostgreSQL still running");
  });

  it("starts again from the same data folder with a fresh chain, reusing the dApp build", async () => {
    running = start(env);
    const output = await ready(running, 300_000);
    assert.match(output, /dApp build reused/);
    const seconds = Number(/ready in (\d+\.\d) s/.exec(output)![1]);
    console.log(`  second start ready in ${seconds} s`);
    await stop(running);
  });

  it("stops the leftovers of a start that was killed, then starts", async () => {
    running = start(env);
    await ready(running, 300_000);
    const pids = readdirSync(join(env.DATA_DIR!, "pids")).map((file) =>
      Number(readFileSync(join(env.DATA_DIR!, "pids", file), "utf8").split(" ")[0]),
    );
    assert.ok(pids.length >= 3, "chain, graph-node and oracle node record their pids");
    running.child.kill("SIGKILL");
    await running.exited;

    running = start(env);
    const output = await ready(running, 300_000);
    assert.match(output, /was killed; stopped what it left: /);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), `pid ${pid} still running`);
    await stop(running);
  });

  it("stops everything on SIGTERM to npm", async () => {
    running = start(env, [], true);
    await ready(running, 300_000);
    running.child.kill("SIGTERM");
    await running.exited;
    for (const name of PORT_VARIABLES) {
      await waitFor(
        `${name} to be free`,
        async () => ((await portInUse(Number(env[name]))) ? undefined : true),
        30_000,
      );
    }
    assert.ok(!existsSync(join(env.DATA_DIR!, "start.pid")));
  });

  it("refuses a port in use, naming it and how to change it", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env.ORACLE_HTTP_PORT), "127.0.0.1", resolve));
    try {
      running = start(env);
      assert.equal(await running.exited, 1);
      assert.match(running.output(), new RegExp(`ORACLE_HTTP_PORT ${env.ORACLE_HTTP_PORT}`));
      assert.match(running.output(), /ORACLE_HTTP_PORT=\d+ npm start/);
    } finally {
      blocker.close();
    }
  });
});
