/**
 * Deploys D-CloudX to the network given with --network, hands every admin and upgrader role to the
 * DAO's timelock, and writes deployments/<network>.json, the one record of addresses and start
 * blocks that the subgraph, dApp and oracle node read.
 *
 * Local chains (chain id 31337) get mock payment tokens and Chainlink mock feeds, one-minute SLA
 * periods, minutes-long governance periods and demo accounts holding DCX (see scripts/lib/protocol.ts
 * for the roles). Public networks take their tokens and feeds from scripts/lib/networks.ts and their
 * roles from TREASURY_ADDRESS, GUARDIAN_ADDRESS, ORACLE_ADDRESSES and VERIFIER_ADDRESSES, all
 * required: nothing falls back to the deployer, oracle and verifier quorums are at least 2, and the
 * treasury's DCX is held by the DAO's timelock, so that no launch holder meets the quorum alone.
 * DEPLOYMENTS_DIR changes where the file goes (default: deployments). Public networks get the
 * production build profile only (`hardhat --build-profile production run …`): the default profile
 * skips via-IR for fast local builds and is not what is audited and measured.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import hre from "hardhat";

import { DeploymentError, deployProtocol, protocolRoles } from "./lib/protocol.ts";

const connection = await hre.network.create();
const { networkName } = connection;
const chainId = Number(await connection.provider.request({ method: "eth_chainId" }));
if (chainId !== 31337 && hre.globalOptions.buildProfile !== "production") {
  throw new Error(
    `Deploying to ${networkName} needs the production build profile: hardhat --build-profile production run …`,
  );
}

let deployment;
try {
  const roles = await protocolRoles(connection);
  console.log(`Deploying D-CloudX to ${networkName} from ${roles.deployer}`);
  ({ deployment } = await deployProtocol(hre, connection, roles));
} catch (error) {
  if (!(error instanceof DeploymentError)) throw error;
  console.error(`Not deploying to ${networkName}: ${error.message}`);
  process.exit(1);
}

const directory = process.env.DEPLOYMENTS_DIR ?? "deployments";
mkdirSync(directory, { recursive: true });
const file = join(directory, `${networkName}.json`);
writeFileSync(file, JSON.stringify(deployment, null, 2) + "\n");

console.table(
  Object.fromEntries(
    Object.entries(deployment.contracts).map(([name, c]) => [name, { proxy: c.proxy, startBlock: c.startBlock }]),
  ),
);
console.table(
  Object.fromEntries(deployment.paymentTokens.map((t) => [t.symbol, { address: t.address, tokenId: t.tokenId }])),
);
console.log(`DAO timelock (holds every admin role): ${deployment.governance.timelock}`);
console.log(`Wrote ${file}`);
