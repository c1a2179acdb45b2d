import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type Deployment, parseDeployment } from "@d-cloudx/sdk";
import {
  type Connection,
  type CoreContracts,
  type CoreRoles,
  type CoreSettings,
  LOCAL_SETTINGS,
  PRODUCTION_SETTINGS,
  deployCore,
  proxyDeployer,
  send,
} from "./core.ts";
import {
  type GovernanceContracts,
  type GovernanceSettings,
  LOCAL_GOVERNANCE,
  PRODUCTION_GOVERNANCE,
  delegateDemoVotes,
  deployGovernance,
  handOverToTimelock,
} from "./governance.ts";
import { type LocalPaymentToken, deployLocalPaymentTokens } from "./local-tokens.ts";
import { LIVE_NETWORKS } from "./networks.ts";

export const LOCAL_CHAIN_ID = 31337n;

/** Who holds what in a deployment. */
export interface ProtocolRoles extends CoreRoles {
  deployer: string;
  verifiers: string[];
  demoAccounts: string[];
}

export interface DeployedProtocol {
  deployment: Deployment;
  contracts: CoreContracts & GovernanceContracts;
  /** Mock tokens and feeds, on local chains. */
  localTokens: LocalPaymentToken[];
  settings: CoreSettings;
  governanceSettings: GovernanceSettings;
}

/**
 * Local chains use the node's unlocked accounts: #0 deployer and guardian, #1 treasury, #2 oracle
 * node operator (SLA signer, provisioning confirmer and resource verifier); #0–#9 are demo accounts
 * that receive DCX. Public networks take their roles from TREASURY_ADDRESS, GUARDIAN_ADDRESS,
 * ORACLE_ADDRESSES and VERIFIER_ADDRESSES (comma-separated), each defaulting to the deployer.
 */
export async function protocolRoles(connection: Connection): Promise<ProtocolRoles> {
  const { ethers } = connection;
  const local = (await ethers.provider.getNetwork()).chainId === LOCAL_CHAIN_ID;
  const signers = await ethers.getSigners();
  const deployer = signers[0]!.address;
  if (local) {
    return {
      deployer,
      admin: deployer,
      treasury: signers[1]!.address,
      guardian: deployer,
      oracles: [signers[2]!.address],
      verifiers: [signers[2]!.address],
      demoAccounts: signers.slice(0, 10).map((s) => s.address),
    };
  }
  const list = (value: string | undefined) => {
    const addresses = (value ?? deployer).split(",").map((a) => a.trim());
    for (const address of addresses) {
      if (!ethers.isAddress(address)) throw new Error(`Not an address: "${address}"`);
    }
    return addresses;
  };
  return {
    deployer,
    admin: deployer,
    treasury: list(process.env.TREASURY_ADDRESS)[0]!,
    guardian: list(process.env.GUARDIAN_ADDRESS)[0]!,
    oracles: list(process.env.ORACLE_ADDRESSES),
    verifiers: list(process.env.VERIFIER_ADDRESSES),
    demoAccounts: [],
  };
}

/**
 * Deploys all of D-CloudX, registers the payment tokens (mocks on local chains), wires the DAO and
 * hands it every admin and upgrader role. Returns the validated deployment record.
 */
export async function deployProtocol(
  hre: HardhatRuntimeEnvironment,
  connection: Connection,
  roles: ProtocolRoles,
): Promise<DeployedProtocol> {
  const { ethers, networkName } = connection;
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const local = chainId === LOCAL_CHAIN_ID;
  const settings = local ? LOCAL_SETTINGS : PRODUCTION_SETTINGS;
  const governanceSettings = local ? LOCAL_GOVERNANCE : PRODUCTION_GOVERNANCE;

  const proxies = await proxyDeployer(hre, connection);
  const core = await deployCore(hre, connection, roles, settings, proxies);
  const paymentTokens: Deployment["paymentTokens"] = [];
  let localTokens: LocalPaymentToken[] = [];
  if (local) {
    localTokens = await deployLocalPaymentTokens(connection, core.contracts.priceOracle);
    for (const { symbol, address, decimals, tokenId, priceFeed } of localTokens) {
      paymentTokens.push({ symbol, address, decimals, tokenId, priceFeed });
    }
  } else {
    const network = LIVE_NETWORKS[networkName];
    if (!network) throw new Error(`No payment tokens configured for ${networkName} in scripts/lib/networks.ts`);
    const { priceOracle } = core.contracts;
    for (const token of network.paymentTokens) {
      await send(priceOracle.setPaymentToken(token.address, token.priceFeed, token.heartbeatSeconds));
      const config = await priceOracle.paymentToken(token.address);
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
      await send(priceOracle.setSequencerUptimeFeed(address, gracePeriodSeconds));
    }
  }

  const dao = await deployGovernance(connection, proxies, core.contracts, roles, governanceSettings);
  paymentTokens.push({
    symbol: "DCX",
    address: await dao.contracts.dcx.getAddress(),
    decimals: 18,
    tokenId: dao.dcxTokenId,
    priceFeed: await dao.contracts.dcxFeed.getAddress(),
  });
  await handOverToTimelock(core.contracts, dao.contracts, roles.deployer);
  if (local) await delegateDemoVotes(connection, dao.contracts.dcx, roles.demoAccounts);

  const deployment = parseDeployment({
    network: networkName,
    chainId: Number(chainId),
    deployedAt: new Date().toISOString(),
    contracts: proxies.record,
    governance: dao.governance,
    paymentTokens,
    settings: {
      slaPeriodSeconds: settings.slaPeriodSeconds,
      reportWindowSeconds: settings.reportWindowSeconds,
      provisionTimeoutSeconds: settings.provisionTimeoutSeconds,
      protocolFeeBps: settings.protocolFeeBps,
    },
  });
  return {
    deployment,
    contracts: { ...core.contracts, ...dao.contracts },
    localTokens,
    settings,
    governanceSettings,
  };
}
