/**
 * Every example of docs/integrators.md, run as written, in order, against one local stack: a chain
 * with D-CloudX and the demo data, the IPFS node, and graph-node indexing it. Blocks tagged
 * `ts test` are type-checked against the sdk and run with Node, `sh test` run in bash with `dcx`
 * on the PATH, `graphql test` are sent through the GraphQL playground the docs point to (GraphiQL,
 * served without a CDN) and must answer with data for every field asked. A code block that is
 * neither tagged nor plain output (`text`) fails the test: no example goes unrun.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";

import { toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

import {
  type GraphiqlServer,
  HARDHAT_MNEMONIC,
  REPOSITORY,
  type Stack,
  freePort,
  keepMining,
  startGraphiql,
  startStack,
} from "@d-cloudx/devstack";

import { seedDemo } from "../../scripts/start/demo/index.ts";

const DOC = join(REPOSITORY, "docs", "integrators.md");
/** Code blocks that show output or shapes, not something to run. */
const NOT_RUNNABLE = new Set(["text"]);
/** The examples' account: Hardhat's #6, a demo consumer with ETH and USDC. */
const EXAMPLE_KEY = toHex(mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: 6 }).getHdKey().privateKey!);

interface Example {
  language: string;
  code: string;
  line: number;
}

/** The fenced code blocks of a Markdown document, with their info strings. */
function codeBlocks(markdown: string): { info: string; code: string; line: number }[] {
  const blocks = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !lines[i]!.startsWith(open[1]!); i++) body.push(lines[i]!);
    assert.ok(i < lines.length, `docs/integrators.md:${start + 1}: code block never closed`);
    blocks.push({ info: open[2]!.trim(), code: body.join("\n"), line: start + 1 });
  }
  return blocks;
}

function examples(): Example[] {
  const found: Example[] = [];
  for (const block of codeBlocks(readFileSync(DOC, "utf8"))) {
    const [language = "", tag] = block.info.split(/\s+/);
    if (tag === "test") found.push({ language, code: block.code, line: block.line });
    else
      assert.ok(
        NOT_RUNNABLE.has(language),
        `docs/integrators.md:${block.line}: a \`${block.info || "(untagged)"}\` block is not run by this test; ` +
          "tag it `ts test`, `sh test` or `graphql test` (or `text` for output)",
      );
  }
  return found;
}

/**
 * Runs a program to its end without blocking this process: the stack's relays to graph-node and
 * its IPFS node run in this process, and the examples talk to them.
 */
function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, output }));
  });
}

/**
 * What an answer lacks: a query's fields that came back null, and lists that came back empty at
 * any depth (first items only). Other nested nulls (a booking not ended yet) are answers.
 */
function emptyFields(data: unknown, path = "data", depth = 0): string[] {
  if (data === null) return depth === 1 ? [path] : [];
  if (Array.isArray(data)) return data.length ? emptyFields(data[0], `${path}[0]`, depth + 1) : [path];
  if (typeof data === "object")
    return Object.entries(data as object).flatMap(([key, value]) => emptyFields(value, `${path}.${key}`, depth + 1));
  return [];
}

// Read before any test: a block that would go unrun fails the file outright.
const all = examples();

describe("docs/integrators.md", { timeout: 900_000 }, () => {
  let work: string;
  let stack: Stack;
  let playground: GraphiqlServer;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "dcx-docs-"));
    stack = await startStack({ dataDir: join(work, "stack"), mode: "private" });
    await seedDemo({ rpcUrl: stack.rpcUrl, ipfsApiUrl: stack.ipfsUrl, deployment: stack.deployment });
    await keepMining(stack.rpcUrl);
    await stack.graphNode.waitUntilSynced();
    playground = await startGraphiql(await freePort(), stack.graphNode.subgraphUrl);
    // The examples run from a folder of their own that resolves packages as the repository does.
    mkdirSync(join(work, "examples"));
    symlinkSync(join(REPOSITORY, "node_modules"), join(work, "examples", "node_modules"));
    writeFileSync(join(work, "examples", "package.json"), JSON.stringify({ type: "module", private: true }));
    env = {
      ...process.env,
      PATH: [dirname(process.execPath), join(REPOSITORY, "node_modules", ".bin"), process.env.PATH].join(":"),
      DCX_RPC_URL: stack.rpcUrl,
      DCX_DEPLOYMENT: join(work, "stack", "deployments", "localhost.json"),
      DCX_SUBGRAPH_URL: stack.graphNode.subgraphUrl,
      DCX_IPFS_GATEWAY: stack.ipfsUrl,
      DCX_PRIVATE_KEY: EXAMPLE_KEY,
    };
  });

  after(async () => {
    await playground?.stop();
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("has examples of every kind, and every code block is one or plain output", () => {
    for (const language of ["ts", "sh", "graphql"])
      assert.ok(
        all.some((example) => example.language === language),
        `no \`${language} test\` example`,
      );
    for (const example of all) assert.ok(["ts", "sh", "graphql"].includes(example.language), `line ${example.line}`);
  });

  it("serves the GraphQL playground offline: one page with GraphiQL inlined", async () => {
    const response = await fetch(playground.url);
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.match(page, /YogaGraphiQL\.renderYogaGraphiQL/);
    assert.doesNotMatch(page, /<(script|link)[^>]+(src|href)="https?:/, "the page loads nothing from elsewhere");
    assert.equal((await fetch(new URL("nothing-here", playground.url))).status, 404);
  });

  it("type-checks every TypeScript example against the sdk", async () => {
    const files = all
      .filter((example) => example.language === "ts")
      .map((example) => {
        const file = `line-${example.line}.ts`;
        writeFileSync(join(work, "examples", file), example.code);
        return file;
      });
    writeFileSync(
      join(work, "examples", "tsconfig.json"),
      JSON.stringify({
        extends: join(REPOSITORY, "tsconfig.base.json"),
        compilerOptions: { noEmit: true, types: ["node"] },
        files,
      }),
    );
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const result = await run(process.execPath, [tsc, "-p", join(work, "examples")]);
    assert.equal(result.status, 0, `the examples do not type-check:\n${result.output}`);
  });

  for (const example of all) {
    it(`runs the ${example.language} example at line ${example.line}`, async () => {
      const where = `docs/integrators.md:${example.line}`;
      if (example.language === "graphql") {
        await stack.graphNode.waitUntilSynced();
        const response = await fetch(new URL("graphql", playground.url), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: example.code }),
        });
        const body = (await response.json()) as { data?: unknown; errors?: unknown };
        assert.equal(body.errors, undefined, `${where}: ${JSON.stringify(body.errors)}`);
        assert.deepEqual(emptyFields(body.data), [], `${where} answers nothing for some of its fields`);
        return;
      }
      const file = join(work, "examples", `line-${example.line}.${example.language}`);
      writeFileSync(file, example.code);
      const result = await run(
        example.language === "ts" ? process.execPath : "bash",
        example.language === "ts" ? [file] : ["-euo", "pipefail", file],
        {
          cwd: join(work, "examples"),
          env,
          timeoutMs: 180_000,
        },
      );
      assert.equal(result.status, 0, `${where} failed:\n${result.output}`);
    });
  }
});
