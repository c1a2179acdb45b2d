import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { upgrades } from "@openzeppelin/hardhat-upgrades";
import type { BaseContract, ContractTransactionResponse } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";

import type { ContractDeployment, ContractName, Deployment } from "@d-cloudx/sdk";
import type {
  BookingRenewals,
  EscrowManager,
  PriceOracle,
  ReputationSystem,
  ResourceMarketplace,
  SLAEnforcement,
} from "../../types/ethers-contracts/index.ts";

/** A network connection with the ethers plugin. */
export type Connection = NetworkConnection & { ethers: HardhatEthers };

/** Protocol parameters chosen at deployment. */
export interface CoreSettings {
  slaPeriodSeconds: number;
  reportWindowSeconds: number;
  provisionTimeoutSeconds: number;
  protocolFeeBps: number;
  bondSlashBps: number;
  unbondingDelaySeconds: number;
  /** Credit for any period that misses the SLA, and deeper tiers by uptime. */
  baseCreditBps: number;
  creditTiers: { uptimeBelowBps: number; creditBps: number }[];
  oracleQuorum: number;
  /** What a consumer pays the provider for cancelling a requested booking after the free window. */
  cancellationFeeBps: number;
  freeCancellationSeconds: number;
  /** Share of a provider's active bookings its bonds must cover for it to take new ones (0: none). */
  bondCoverageBps: number;
  /** How long before a booking's end anyone may renew it by its consumer's renewal policy. */
  renewalWindowSeconds: number;
  /** What a renewal pays its caller, in basis points of the renewal, from the consumer's funds. */
  renewalTipBps: number;
  /** How long after its end a booking stays suspended (not deprovisioned) and can be resumed. */
  gracePeriodSeconds: number;
}

/** AWS-style credits: below target 10 %, below 99 % 25 %, below 95 % the whole period. */
const CREDIT_POLICY = {
  baseCreditBps: 1_000,
  creditTiers: [
    { uptimeBelowBps: 9_900, creditBps: 2_500 },
    { uptimeBelowBps: 9_500, creditBps: 10_000 },
  ],
};

/**
 * Public networks: hourly SLA periods reported up to a day at a time, at once for a period that
 * missed its SLA (the 36-hour report window leaves a day's oldest period 12 hours for the quorum to
 * agree, take over from a silent proposer and land the report), a 2-of-n
 * oracle quorum, a 1 % fee for consumer cancellations after five free minutes, bonds covering a
 * fifth of each provider's active bookings, renewals in the last six hours of a booking with no tip,
 * and a day's grace in which a booking that ran out is suspended and can still be resumed.
 */
export const PRODUCTION_SETTINGS: CoreSettings = {
  slaPeriodSeconds: 3_600,
  reportWindowSeconds: 36 * 3_600,
  provisionTimeoutSeconds: 3_600,
  protocolFeeBps: 250,
  bondSlashBps: 5_000,
  unbondingDelaySeconds: 7 * 24 * 3_600,
  ...CREDIT_POLICY,
  oracleQuorum: 2,
  cancellationFeeBps: 100,
  freeCancellationSeconds: 300,
  bondCoverageBps: 2_000,
  renewalWindowSeconds: 6 * 3_600,
  renewalTipBps: 0,
  gracePeriodSeconds: 24 * 3_600,
};

/**
 * Local chains: one-minute SLA periods so that demos and tests see several of them, one oracle, no
 * bond requirement, so that demo providers can list without bonding, a renewal window of an hour
 * (a running one-hour booking with a renewal policy renews at once) and three minutes of grace.
 */
export const LOCAL_SETTINGS: CoreSettings = {
  ...PRODUCTION_SETTINGS,
  slaPeriodSeconds: 60,
  reportWindowSeconds: 300,
  provisionTimeoutSeconds: 300,
  unbondingDelaySeconds: 3_600,
  oracleQuorum: 1,
  freeCancellationSeconds: 30,
  bondCoverageBps: 0,
  renewalWindowSeconds: 3_600,
  gracePeriodSeconds: 180,
};

/** A deployment refused before anything is sent, with what to do about it. */
export class DeploymentError extends Error {
  override name = "DeploymentError";
}

export interface CoreRoles {
  /** Holds admin and upgrader roles until governance takes them over. */
  admin: string;
  treasury: string;
  guardian: string;
  /** Oracle node operators: a quorum of them confirms provisioning and signs SLA reports. */
  oracles: string[];
}

export interface CoreContracts {
  priceOracle: PriceOracle;
  reputation: ReputationSystem;
  escrow: EscrowManager;
  marketplace: ResourceMarketplace;
  sla: SLAEnforcement;
  renewals: BookingRenewals;
}

export interface DeployedCore {
  contracts: CoreContracts;
  record: Partial<Deployment["contracts"]>;
}

/** The EscrowManager's `Settings` struct for `settings`. */
export function escrowSettings(settings: CoreSettings, treasury: string) {
  return {
    treasury,
    protocolFeeBps: settings.protocolFeeBps,
    slaPeriodSeconds: settings.slaPeriodSeconds,
    reportWindowSeconds: settings.reportWindowSeconds,
    bondSlashBps: settings.bondSlashBps,
    unbondingDelaySeconds: settings.unbondingDelaySeconds,
  };
}

/** Deploys contracts behind UUPS proxies and records where each one lives. */
export async function proxyDeployer(hre: HardhatRuntimeEnvironment, connection: Connection) {
  const { ethers } = connection;
  const api = await upgrades(hre, connection);
  const record: Partial<Record<ContractName, ContractDeployment>> = {};

  async function deploy<T extends BaseContract>(name: ContractName, args: unknown[]): Promise<T> {
    const factory = await ethers.getContractFactory(name);
    const proxy = await api.deployProxy(factory, args, { kind: "uups" });
    await proxy.waitForDeployment();
    const address = await proxy.getAddress();
    record[name] = {
      proxy: address,
      implementation: await api.erc1967.getImplementationAddress(address),
      startBlock: await deploymentBlock(connection, proxy),
    };
    return proxy as unknown as T;
  }

  return { deploy, record };
}

export type ProxyDeployer = Awaited<ReturnType<typeof proxyDeployer>>;

/** Block in which `contract` was deployed. */
export async function deploymentBlock(connection: Connection, contract: BaseContract): Promise<number> {
  const receipt = await contract.deploymentTransaction()?.wait();
  return receipt?.blockNumber ?? (await connection.ethers.provider.getBlockNumber());
}

/** Deploys every core contract behind a UUPS proxy and wires their roles. */
export async function deployCore(
  hre: HardhatRuntimeEnvironment,
  connection: Connection,
  roles: CoreRoles,
  settings: CoreSettings,
  proxies?: ProxyDeployer,
): Promise<DeployedCore> {
  const { deploy, record } = proxies ?? (await proxyDeployer(hre, connection));
  const priceOracle = await deploy<PriceOracle>("PriceOracle", [roles.admin]);
  const reputation = await deploy<ReputationSystem>("ReputationSystem", [roles.admin]);
  const escrow = await deploy<EscrowManager>("EscrowManager", [
    roles.admin,
    await priceOracle.getAddress(),
    escrowSettings(settings, roles.treasury),
  ]);
  const marketplace = await deploy<ResourceMarketplace>("ResourceMarketplace", [
    roles.admin,
    await priceOracle.getAddress(),
    await escrow.getAddress(),
    await reputation.getAddress(),
    settings.provisionTimeoutSeconds,
  ]);
  const sla = await deploy<SLAEnforcement>("SLAEnforcement", [
    roles.admin,
    await marketplace.getAddress(),
    await escrow.getAddress(),
    await reputation.getAddress(),
    roles.oracles,
    settings.oracleQuorum,
    settings.baseCreditBps,
    settings.creditTiers,
  ]);

  const renewals = await deploy<BookingRenewals>("BookingRenewals", [
    roles.admin,
    await marketplace.getAddress(),
    await escrow.getAddress(),
    settings.renewalWindowSeconds,
    settings.renewalTipBps,
  ]);

  const marketplaceAddress = await marketplace.getAddress();
  const slaAddress = await sla.getAddress();
  const renewalsAddress = await renewals.getAddress();
  await send(escrow.grantRole(await escrow.MARKETPLACE_ROLE(), marketplaceAddress));
  await send(escrow.grantRole(await escrow.SLA_ROLE(), slaAddress));
  await send(marketplace.grantRole(await marketplace.RENEWER_ROLE(), renewalsAddress));
  await send(escrow.setGracePeriod(settings.gracePeriodSeconds));
  await send(reputation.grantRole(await reputation.RECORDER_ROLE(), marketplaceAddress));
  await send(reputation.grantRole(await reputation.RECORDER_ROLE(), slaAddress));
  await send(marketplace.grantRole(await marketplace.GUARDIAN_ROLE(), roles.guardian));
  await send(marketplace.setOracleSigners(slaAddress));
  await send(marketplace.setCancellationPolicy(settings.cancellationFeeBps, settings.freeCancellationSeconds));
  if (settings.bondCoverageBps !== 0) await send(marketplace.setBondCoverage(settings.bondCoverageBps));

  return {
    contracts: { priceOracle, reputation, escrow, marketplace, sla, renewals },
    record,
  };
}

/** Waits for a transaction to be mined. */
export async function send(tx: Promise<ContractTransactionResponse>): Promise<void> {
  await (await tx).wait();
}
