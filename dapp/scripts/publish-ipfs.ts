/**
 * `npm run publish:ipfs -w dapp`: adds the build (dapp/dist, from `npm run build -w dapp`) to an
 * IPFS node as one directory and prints its CID and the gateway URL to open. The build uses
 * relative paths and hash routes, so it works from any gateway at /ipfs/<cid>/.
 *
 * IPFS_API_URL: the node's Kubo RPC API (default http://127.0.0.1:${IPFS_API_PORT:-5001});
 * IPFS_GATEWAY_URL: its path gateway (default: the API's address, as the local node serves both).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { publishDapp } from "@d-cloudx/devstack/dapp";

const DIST = fileURLToPath(new URL("../dist", import.meta.url));
/** Without a trailing slash, nor the `/api/v0` that kubo-rpc-client's URLs carry. */
const trim = (url: string) => url.replace(/\/+$/, "").replace(/\/api\/v0$/, "");
const apiUrl = trim(process.env.IPFS_API_URL ?? `http://127.0.0.1:${process.env.IPFS_API_PORT ?? 5001}`);
const gatewayUrl = trim(process.env.IPFS_GATEWAY_URL ?? apiUrl);

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

if (!existsSync(`${DIST}/index.html`)) fail(`No build in ${DIST}: run \`npm run build -w dapp\` first.`);
try {
  const response = await fetch(`${apiUrl}/api/v0/version`, { method: "POST" });
  if (!response.ok) fail(`The IPFS node at ${apiUrl} answered ${response.status} to /api/v0/version.`);
} catch (error) {
  fail(`The IPFS node at ${apiUrl} is unreachable (${(error as Error).message}). Start one or set IPFS_API_URL.`);
}

const cid = await publishDapp(apiUrl, DIST);
console.log(`Published ${DIST}`);
console.log(`CID: ${cid}`);
console.log(`URL: ${gatewayUrl}/ipfs/${cid}/`);
