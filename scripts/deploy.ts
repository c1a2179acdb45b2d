/**
 * Deploys D-CloudX to the network given with --network and writes deployments/<network>.json,
 * the one record of addresses and start blocks that the subgraph, dApp and oracle node read.
 *
 * Local chains (chain id 31337) get mock payment tokens and Chainlink mock feeds, one-minute SLA
 * periods, and these roles from the node's unlocked accounts: #0 deployer, admin and guardian,
 * #1 treasury, #2 oracle node operator. Public networks take their tokens and feeds from
 * scripts/lib/networks.ts and their roles from TREASURY_ADDRESS, GUARDIAN_ADDRESS and
 * ORACLE_ADDRESSES (comma-separated), each defaulting to the deployer. DEPLOYMENTS_DIR changes
 * where the file goes (default: deployments).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import hre from "hardhat";

import { type Deployment, parseDeployment } from "@d-cloudx/sdk";
import { type CoreRoles, LOCAL_SETTINGS, PRODUCTION_SETTINGS, deployCore, send } from "./lib/core.ts";
import { deployLocalPaymentTokens } from "./lib/local-tokens.ts";
import { LIVE_NETWORKS } from "./lib/networks.ts";

const LOCAL_CHAIN_ID = 31337n;

const connection = await hre.network.create();
const { ethers, networkName } = connection;
const signers = await ethers.getSigners();
const deployer = signers[0]!;
const chainId = (await ethers.provider.getNetwork()).chainId;
const local = chainId === LOCAL_CHAIN_ID;
const settings = local ? LOCAL_SETTINGS : PRODUCTION_SETTINGS;

function addressList(value: string | undefined, fallback: string): string[] {
  const list = (value ?? fallback).split(",").map((a) => a.trim());
  for (const address of list) {
    if (!ethers.isAddress(address)) throw new Error(`Not an address: "${address}"`);
  }
  return list;
}

const roles: CoreRoles = local
  ? {
      admin: deployer.address,
      treasury: signers[1]!.address,
      guardian: deployer.address,
      oracles: [signers[2]!.address],
    }
  : {
      admin: deployer.address,
      treasury: addressList(process.env.TREASURY_ADDRESS, deployer.address)[0]!,
      guardian: addressList(process.env.GUARDIAN_ADDRESS, deployer.address)[0]!,
      oracles: addressList(process.env.ORACLE_ADDRESSES, deployer.address),
    };

console.log(`Deploying D-CloudX to ${networkName} (chain ${chainId}) from ${deployer.address}`);
const { contracts, record } = await deployCore(hre, connection, roles, settings);

let paymentTokens: Deployment["paymentTokens"];
if (local) {
  const tokens = await deployLocalPaymentTokens(connection, contracts.priceOracle);
  paymentTokens = tokens.map(({ symbol, address, decimals, tokenId, priceFeed }) => ({
    symbol,
    address,
    decimals,
    tokenId,
    priceFeed,
  }));
} else {
  const network = LIVE_NETWORKS[networkName];
  if (!network) throw new Error(`No payment tokens configured for ${networkName} in scripts/lib/networks.ts`);
  paymentTokens = [];
  for (const token of network.paymentTokens) {
    await send(contracts.priceOracle.setPaymentToken(token.address, token.priceFeed, token.heartbeatSeconds));
    const config = await contracts.priceOracle.paymentToken(token.address);
    paymentTokens.push({
      symbol: token.symbol,
      address: token.address,
      decimals: Number(config.tokenDecimals),
      tokenId: Number(config.id),
      priceFeed: token.priceFeed,
    });
  }
  if (network.sequencerUptimeFeed) {
    const { address, gracePeriodSeconds } = network.sequencerUptimeFeed;
    await send(contracts.priceOracle.setSequencerUptimeFeed(address, gracePeriodSeconds));
  }
}

const deployment = parseDeployment({
  network: networkName,
  chainId: Number(chainId),
  deployedAt: new Date().toISOString(),
  contracts: record,
  paymentTokens,
  settings: {
    slaPeriodSeconds: settings.slaPeriodSeconds,
    reportWindowSeconds: settings.reportWindowSeconds,
    provisionTimeoutSeconds: settings.provisionTimeoutSeconds,
    protocolFeeBps: settings.protocolFeeBps,
  },
});
const directory = process.env.DEPLOYMENTS_DIR ?? "deployments";
mkdirSync(directory, { recursive: true });
const file = join(directory, `${networkName}.json`);
writeFileSync(file, JSON.stringify(deployment, null, 2) + "\n");

console.table(
  Object.fromEntries(Object.entries(record).map(([name, c]) => [name, { proxy: c.proxy, startBlock: c.startBlock }])),
);
console.table(Object.fromEntries(paymentTokens.map((t) => [t.symbol, { address: t.address, tokenId: t.tokenId }])));
console.log(`Wrote ${file}`);
