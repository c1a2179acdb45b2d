/**
 * The dApp of the local stack: built for this stack's URLs (VITE_* are read at build time),
 * published to the local IPFS node as a directory, and reachable at a stable address on DAPP_PORT,
 * which redirects to the current build on the IPFS gateway.
 *
 * A build is reused while nothing it depends on has changed (the dApp's sources, the dependencies,
 * the ABIs, the deployment's addresses and the VITE_* values): the local deployment's addresses are
 * the same on every fresh chain, so a second start skips the build.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";

import type { Deployment } from "@d-cloudx/sdk";

import { run } from "./process.ts";
import { ipfsAdd } from "./ipfs-add.ts";
import { type LocalServer, serveLocal } from "./local-server.ts";
import { REPOSITORY, filesUnder } from "./paths.ts";

const DAPP = join(REPOSITORY, "dapp");
const GENERATED = join(DAPP, "src", "generated");
/** Vite's CLI, as the dApp workspace resolves it. */
const VITE = createRequire(join(DAPP, "package.json"))
  .resolve("vite/package.json")
  .replace(/package\.json$/, "bin/vite.js");
/** What a build depends on besides the deployment and its environment. */
const INPUTS = [
  "dapp/src",
  "dapp/public",
  "dapp/schema",
  "dapp/index.html",
  "dapp/package.json",
  "dapp/vite.config.ts",
  "dapp/wagmi.config.ts",
  "sdk/src",
  "package-lock.json",
];

function buildKey(deployment: Deployment, env: Record<string, string | undefined>): string {
  const hash = createHash("sha256");
  // Everything but the time of deployment, which changes on every fresh chain.
  hash.update(JSON.stringify({ ...deployment, deployedAt: undefined, env }));
  for (const input of INPUTS) {
    for (const file of filesUnder(join(REPOSITORY, input))) {
      if (file.startsWith(GENERATED)) continue; // Outputs of `generate`.
      hash.update(relative(REPOSITORY, file)).update(readFileSync(file));
    }
  }
  return hash.digest("hex");
}

export interface DappBuild {
  outDir: string;
  /** Whether this call built it (false: the previous build was still current). */
  built: boolean;
}

/**
 * Builds the dApp into `outDir` with `env` (and any other VITE_* variable set here) unless the
 * build there is current.
 */
export async function buildDapp(options: {
  deployment: Deployment;
  deploymentsDir: string;
  env: Record<string, string>;
  outDir: string;
}): Promise<DappBuild> {
  const { outDir } = options;
  const viteEnv = Object.entries(process.env).filter(([name]) => name.startsWith("VITE_"));
  const key = buildKey(options.deployment, { ...Object.fromEntries(viteEnv), ...options.env });
  const keyFile = `${outDir}.key`;
  if (existsSync(join(outDir, "index.html")) && existsSync(keyFile) && readFileSync(keyFile, "utf8") === key) {
    return { outDir, built: false };
  }
  const env = { ...process.env, ...options.env, DEPLOYMENTS_DIR: options.deploymentsDir };
  try {
    await run("npm", ["run", "generate", "-w", "dapp"], { cwd: REPOSITORY, env });
    await run(process.execPath, [VITE, "build", "--outDir", outDir, "--emptyOutDir"], { cwd: DAPP, env });
  } finally {
    // A build for another deployment (tests, benchmarks) leaves the generated code as it found it.
    if (resolve(options.deploymentsDir) !== join(REPOSITORY, "deployments")) {
      const repositoryEnv = { ...process.env };
      delete repositoryEnv.DEPLOYMENTS_DIR;
      await run("npm", ["run", "generate", "-w", "dapp"], { cwd: REPOSITORY, env: repositoryEnv });
    }
  }
  writeFileSync(keyFile, key);
  return { outDir, built: true };
}

/** The VITE_* values that point a build at a local stack's chain, subgraph and IPFS node. */
export function stackDappEnv(stack: {
  rpcUrl: string;
  ipfsUrl: string;
  graphNode: { subgraphUrl: string };
}): Record<string, string> {
  return {
    VITE_RPC_URL: stack.rpcUrl,
    VITE_SUBGRAPH_URL: stack.graphNode.subgraphUrl,
    VITE_IPFS_API_URL: stack.ipfsUrl,
    VITE_IPFS_GATEWAY_URL: stack.ipfsUrl,
  };
}

/**
 * Writes `deployment` as `deploymentsDir`/localhost.json, where a dApp build (DEPLOYMENTS_DIR) and
 * an oracle node read it; returns that file.
 */
export function writeLocalDeployment(deploymentsDir: string, deployment: Deployment): string {
  mkdirSync(deploymentsDir, { recursive: true });
  const file = join(deploymentsDir, "localhost.json");
  writeFileSync(file, JSON.stringify(deployment, null, 2));
  return file;
}

/**
 * Builds the dApp for a stack into `outDir`, with the stack's deployment as `writeLocalDeployment`
 * wrote it to `deploymentsDir`, and publishes it to the stack's IPFS node; `url` is the build on
 * the node's gateway.
 */
export async function publishStackDapp(
  stack: Parameters<typeof stackDappEnv>[0] & { deployment: Deployment },
  deploymentsDir: string,
  outDir: string,
): Promise<{ outDir: string; cid: string; url: string }> {
  await buildDapp({ deployment: stack.deployment, deploymentsDir, outDir, env: stackDappEnv(stack) });
  const cid = await publishDapp(stack.ipfsUrl, outDir);
  return { outDir, cid, url: `${stack.ipfsUrl}/ipfs/${cid}/` };
}

/** Adds the build to IPFS as one directory; returns its CID. */
export function publishDapp(ipfsApiUrl: string, outDir: string): Promise<string> {
  const files = readdirSync(outDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path: relative(outDir, path), content: readFileSync(path) };
    });
  return ipfsAdd(ipfsApiUrl, files, true);
}

/** Serves a redirect to `target` on 127.0.0.1:`port`, so the dApp keeps one address across builds. */
export function startRedirect(port: number, target: string): Promise<LocalServer> {
  return serveLocal(port, (request, response) => {
    response.writeHead(302, { location: target, "cache-control": "no-store" }).end();
    request.resume();
  });
}
