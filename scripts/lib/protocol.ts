import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type Deployment, parseDeployment } from "@d-cloudx/sdk";
import {
  type Connection,
  type CoreContracts,
  type CoreRoles,
  type CoreSettings,
  DeploymentError,
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

export { DeploymentError };

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
 * ORACLE_ADDRESSES and VERIFIER_ADDRESSES (comma-separated), which must all be set.
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
  // A public deployment never falls back to the deployer: a role it holds by accident is a key that
  // can move the treasury's money, pause the market or sign for the oracles.
  const missing = PUBLIC_ROLE_VARIABLES.filter((name) => !process.env[name]?.trim());
  if (missing.length > 0) {
    throw new DeploymentError(
      `Set ${missing.join(", ")} before deploying to a public network: the treasury, the guardian, ` +
        "the oracle node operators and the resource verifiers (comma-separated addresses for the last two).",
    );
  }
  const list = (name: string) => {
    const addresses = process.env[name]!.split(",").map((a) => a.trim());
    for (const address of addresses) {
      if (!ethers.isAddress(address)) throw new DeploymentError(`${name}: not an address: "${address}"`);
    }
    return addresses;
  };
  return {
    deployer,
    admin: deployer,
    treasury: list("TREASURY_ADDRESS")[0]!,
    guardian: list("GUARDIAN_ADDRESS")[0]!,
    oracles: list("ORACLE_ADDRESSES"),
    verifiers: list("VERIFIER_ADDRESSES"),
    demoAccounts: [],
  };
}

/** The roles a public deployment must be given explicitly. */
export const PUBLIC_ROLE_VARIABLES = ["TREASURY_ADDRESS", "GUARDIAN_ADDRESS", "ORACLE_ADDRESSES", "VERIFIER_ADDRESSES"];

/**
 * On a public network a single oracle or verifier key must never be enough: each quorum is at least
 * two, and there must be at least as many signers as the quorum.
 */
export function checkPublicQuorums(roles: ProtocolRoles, oracleQuorum: number, verifierQuorum: number): void {
  for (const [what, quorum, signers] of [
    ["oracle", oracleQuorum, roles.oracles.length],
    ["verifier", verifierQuorum, roles.verifiers.length],
  ] as const) {
    if (quorum < 2)
      throw new DeploymentError(`The ${what} quorum must be at least 2 on a public network (not ${quorum}).`);
    if (signers < quorum) {
      throw new DeploymentError(
        `The ${what} quorum of ${quorum} needs at least ${quorum} ${what} addresses (got ${signers}).`,
      );
    }
  }
}

/**
 * Deploys all of D-CloudX, registers the payment tokens (mocks on local chains), wires the DAO and
 * hands it every admin and upgrader role. Returns the validated deployment record. `settings`
 * replaces the network's defaults (tests use it).
 */
export async function deployProtocol(
  hre: HardhatRuntimeEnvironment,
  connection: Connection,
  roles: ProtocolRoles,
  settingsOverride?: CoreSettings,
): Promise<DeployedProtocol> {
  const { ethers, networkName } = connection;
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const local = chainId === LOCAL_CHAIN_ID;
  const settings = settingsOverride ?? (local ? LOCAL_SETTINGS : PRODUCTION_SETTINGS);
  const governanceSettings = local ? LOCAL_GOVERNANCE : PRODUCTION_GOVERNANCE;
  if (!local) {
    checkPublicQuorums(roles, settings.oracleQuorum, governanceSettings.verifierQuorum);
    if (!LIVE_NETWORKS[networkName]) {
      throw new DeploymentError(`No payment tokens configured for ${networkName} in scripts/lib/networks.ts`);
    }
  }

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
    const network = LIVE_NETWORKS[networkName]!;
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
