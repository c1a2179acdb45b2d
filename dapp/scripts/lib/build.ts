/**
 * Builds the dApp for a given stack (deployment and endpoints are fixed at build time) and
 * publishes a build to IPFS as a directory, so it can be loaded from any gateway at /ipfs/<cid>/.
 */
import { openAsBlob, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { run } from "../../../scripts/services/process.ts";

export const DAPP = fileURLToPath(new URL("../../", import.meta.url));

export interface DappEndpoints {
  rpcUrl: string;
  subgraphUrl: string;
  ipfsApiUrl: string;
  ipfsGatewayUrl: string;
}

/** `npm run generate` for the deployment in `deploymentsDir`, then `vite build` into `outDir`. */
export async function buildDapp(options: { deploymentsDir: string; endpoints: DappEndpoints; outDir: string }) {
  const env = {
    ...process.env,
    DEPLOYMENTS_DIR: options.deploymentsDir,
    VITE_RPC_URL: options.endpoints.rpcUrl,
    VITE_SUBGRAPH_URL: options.endpoints.subgraphUrl,
    VITE_IPFS_API_URL: options.endpoints.ipfsApiUrl,
    VITE_IPFS_GATEWAY_URL: options.endpoints.ipfsGatewayUrl,
  };
  await run("npm", ["run", "generate"], { cwd: DAPP, env });
  await run("npx", ["vite", "build", "--outDir", options.outDir, "--emptyOutDir"], { cwd: DAPP, env });
}

/**
 * Adds `dir` to IPFS through the Kubo RPC API (one part per file under "dist/", CIDv1)
 * and returns the root CID.
 */
export async function publishDirectory(ipfsApiUrl: string, dir: string): Promise<string> {
  const body = new FormData();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    body.append("file", await openAsBlob(path), encodeURIComponent(`dist/${relative(dir, path)}`));
  }
  const response = await fetch(`${ipfsApiUrl}/api/v0/add?cid-version=1&pin=true`, {
    method: "POST",
    body,
  });
  if (!response.ok) throw new Error(`IPFS add failed (${response.status}): ${await response.text()}`);
  // One JSON object per line: every file, then the directories, "dist" among them.
  const entries = (await response.text())
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { Name: string; Hash: string });
  const root = entries.find((item) => item.Name === "dist");
  if (!root) throw new Error("IPFS add returned no directory for the build");
  return root.Hash;
}
