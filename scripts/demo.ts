/**
 * `npm run demo`: adds the demo data (scripts/start/demo/) to a running local stack, the one
 * `npm start` runs or any other: the chain on CHAIN_PORT (default 8545) with the deployment in
 * DEPLOYMENTS_DIR/localhost.json (default deployments/), IPFS on IPFS_API_PORT (default 5001).
 * It moves the chain's clock forward by about an hour: do not run it against a chain others use.
 */
import { fileURLToPath } from "node:url";

import { readDeployment } from "@d-cloudx/sdk";

import { envPort } from "@d-cloudx/devstack/ports";
import { seedDemo } from "./start/demo/index.ts";

const deploymentsDir = process.env.DEPLOYMENTS_DIR || fileURLToPath(new URL("../deployments", import.meta.url));
const rpcUrl = `http://127.0.0.1:${envPort("CHAIN_PORT")}`;
const ipfsApiUrl = `http://127.0.0.1:${envPort("IPFS_API_PORT")}`;

try {
  const deployment = readDeployment("localhost", deploymentsDir);
  const summary = await seedDemo({ rpcUrl, ipfsApiUrl, deployment, log: console.log });
  console.log(
    `Done: ${summary.resources} resources, ${summary.periodsReported} SLA periods reported, proposal ${summary.proposalId}`,
  );
} catch (error) {
  console.error(`npm run demo failed against ${rpcUrl} and ${ipfsApiUrl}: ${(error as Error).message}`);
  process.exit(1);
}
