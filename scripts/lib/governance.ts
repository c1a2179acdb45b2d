import type { Deployment } from "@d-cloudx/sdk";
import type { Signer } from "ethers";

import type {
  DAOGovernance,
  DCXToken,
  GovernedPriceFeed,
  ResourceVerifier,
  RewardDistributor,
  TimelockController,
} from "../../types/ethers-contracts/index.ts";
import {
  type Connection,
  type CoreContracts,
  DeploymentError,
  type ProxyDeployer,
  deploymentBlock,
  send,
} from "./core.ts";

const DCX = 10n ** 18n;
const DAY = 86_400;

/** Token, rewards, verification and DAO parameters chosen at deployment. */
export interface GovernanceSettings {
  dcxCap: bigint;
  treasuryAllocation: bigint;
  /** DCX each local demo account receives (and delegates to itself). */
  demoAllocation: bigint;
  /**
   * Whether the treasury allocation is minted to the DAO's timelock (spent only by proposals, and
   * never delegated, so it votes for nobody) rather than to the treasury account.
   */
  treasuryHeldByTimelock: boolean;
  /** USD price of DCX (8 decimals) in its DAO-set feed, and the heartbeat the PriceOracle enforces. */
  dcxPriceE8: bigint;
  dcxPriceHeartbeatSeconds: number;
  rewardEpochSeconds: number;
  rewardRatePerSecond: bigint;
  /** The most a provider's rewards may be worth, in basis points of the protocol fees it pays. */
  rewardPerFeeBps: number;
  verifierQuorum: number;
  verifierMaxValiditySeconds: number;
  votingDelaySeconds: number;
  votingPeriodSeconds: number;
  timelockDelaySeconds: number;
  proposalThreshold: bigint;
  quorumPercent: number;
}

export const PRODUCTION_GOVERNANCE: GovernanceSettings = {
  dcxCap: 1_000_000_000n * DCX,
  treasuryAllocation: 400_000_000n * DCX,
  demoAllocation: 0n,
  treasuryHeldByTimelock: true,
  dcxPriceE8: 50_000_000n,
  dcxPriceHeartbeatSeconds: 30 * DAY,
  rewardEpochSeconds: 7 * DAY,
  rewardRatePerSecond: DCX,
  rewardPerFeeBps: 5_000,
  verifierQuorum: 2,
  verifierMaxValiditySeconds: 30 * DAY,
  votingDelaySeconds: DAY,
  votingPeriodSeconds: 5 * DAY,
  timelockDelaySeconds: 2 * DAY,
  proposalThreshold: 100_000n * DCX,
  quorumPercent: 4,
};

/**
 * Local chains: minutes instead of days, one verifier, and ten demo accounts that each hold 5 % of
 * the supply, so any one of them can pass a proposal.
 */
export const LOCAL_GOVERNANCE: GovernanceSettings = {
  ...PRODUCTION_GOVERNANCE,
  treasuryAllocation: 100_000_000n * DCX,
  demoAllocation: 10_000_000n * DCX,
  treasuryHeldByTimelock: false,
  dcxPriceHeartbeatSeconds: 365 * DAY,
  verifierQuorum: 1,
  rewardEpochSeconds: 3_600,
  verifierMaxValiditySeconds: 7 * DAY,
  votingDelaySeconds: 1,
  votingPeriodSeconds: 300,
  timelockDelaySeconds: 60,
  proposalThreshold: 1_000n * DCX,
};

export interface GovernanceRoles {
  /** Deploys and holds every admin role until it hands them to the timelock. */
  deployer: string;
  treasury: string;
  verifiers: string[];
  /** Local demo accounts that receive `demoAllocation`. */
  demoAccounts: string[];
}

export interface GovernanceContracts {
  dcx: DCXToken;
  dcxFeed: GovernedPriceFeed;
  rewards: RewardDistributor;
  verifier: ResourceVerifier;
  governor: DAOGovernance;
  timelock: TimelockController;
}

/**
 * Deploys DCX, its price feed, the reward distributor, the resource verifier, the timelock and the
 * governor; wires them into the core contracts; and records the DAO in `Deployment["governance"]`.
 * The deployer keeps its admin roles until `handOverToTimelock`.
 */
export async function deployGovernance(
  connection: Connection,
  { deploy }: ProxyDeployer,
  core: CoreContracts,
  roles: GovernanceRoles,
  settings: GovernanceSettings,
): Promise<{ contracts: GovernanceContracts; governance: Deployment["governance"]; dcxTokenId: number }> {
  const { ethers } = connection;
  // The timelock comes first: on public networks it holds the treasury's DCX from the start.
  const timelock = (await ethers.deployContract("TimelockController", [
    settings.timelockDelaySeconds,
    [],
    [ethers.ZeroAddress],
    roles.deployer,
  ])) as unknown as TimelockController;
  const timelockAddress = await timelock.getAddress();
  const allocations = [
    { to: settings.treasuryHeldByTimelock ? timelockAddress : roles.treasury, amount: settings.treasuryAllocation },
    ...roles.demoAccounts.map((to) => ({ to, amount: settings.demoAllocation })),
  ].filter((a) => a.amount > 0n);
  if (settings.treasuryHeldByTimelock) checkLaunchAllocation(allocations, timelockAddress, settings.quorumPercent);
  const dcx = await deploy<DCXToken>("DCXToken", [roles.deployer, settings.dcxCap, allocations]);
  const dcxAddress = await dcx.getAddress();
  const dcxFeed = (await ethers.deployContract("GovernedPriceFeed", [
    roles.deployer,
    8,
    "DCX / USD",
    settings.dcxPriceE8,
  ])) as unknown as GovernedPriceFeed;
  await send(
    core.priceOracle.setPaymentToken(dcxAddress, await dcxFeed.getAddress(), settings.dcxPriceHeartbeatSeconds),
  );

  const rewards = await deploy<RewardDistributor>("RewardDistributor", [
    roles.deployer,
    dcxAddress,
    await core.reputation.getAddress(),
    await core.priceOracle.getAddress(),
    settings.rewardEpochSeconds,
    settings.rewardRatePerSecond,
    settings.rewardPerFeeBps,
  ]);
  await send(dcx.grantRole(await dcx.MINTER_ROLE(), await rewards.getAddress()));
  await send(rewards.grantRole(await rewards.RECORDER_ROLE(), await core.sla.getAddress()));
  await send(core.sla.setRewardDistributor(await rewards.getAddress()));

  const verifier = await deploy<ResourceVerifier>("ResourceVerifier", [
    roles.deployer,
    await core.marketplace.getAddress(),
    roles.verifiers,
    settings.verifierQuorum,
    settings.verifierMaxValiditySeconds,
  ]);
  await send(core.marketplace.setResourceVerifier(await verifier.getAddress()));

  const governor = await deploy<DAOGovernance>("DAOGovernance", [
    dcxAddress,
    timelockAddress,
    settings.votingDelaySeconds,
    settings.votingPeriodSeconds,
    settings.proposalThreshold,
    settings.quorumPercent,
  ]);
  const governorAddress = await governor.getAddress();
  await send(timelock.grantRole(await timelock.PROPOSER_ROLE(), governorAddress));
  await send(timelock.grantRole(await timelock.CANCELLER_ROLE(), governorAddress));

  return {
    contracts: { dcx, dcxFeed, rewards, verifier, governor, timelock },
    governance: {
      timelock: timelockAddress,
      timelockStartBlock: await deploymentBlock(connection, timelock),
      timelockDelaySeconds: settings.timelockDelaySeconds,
      votingDelaySeconds: settings.votingDelaySeconds,
      votingPeriodSeconds: settings.votingPeriodSeconds,
      quorumPercent: settings.quorumPercent,
      proposalThreshold: settings.proposalThreshold.toString(),
    },
    dcxTokenId: Number((await core.priceOracle.paymentToken(dcxAddress)).id),
  };
}

/**
 * Gives the timelock the admin and upgrader roles of every contract and the DCX price feed, and
 * takes them (and the timelock's own admin role) from the deployer. After this, only a passed
 * proposal can change a parameter or upgrade a contract.
 */
export async function handOverToTimelock(
  core: CoreContracts,
  { dcx, dcxFeed, rewards, verifier, timelock }: GovernanceContracts,
  deployer: string,
): Promise<void> {
  const timelockAddress = await timelock.getAddress();
  const managed = [
    core.priceOracle,
    core.reputation,
    core.escrow,
    core.marketplace,
    core.sla,
    core.renewals,
    dcx,
    rewards,
    verifier,
  ];
  for (const contract of managed) {
    const admin = await contract.DEFAULT_ADMIN_ROLE();
    const upgrader = await contract.UPGRADER_ROLE();
    await send(contract.grantRole(admin, timelockAddress));
    await send(contract.grantRole(upgrader, timelockAddress));
    await send(contract.renounceRole(upgrader, deployer));
    await send(contract.renounceRole(admin, deployer));
  }
  const feedAdmin = await dcxFeed.DEFAULT_ADMIN_ROLE();
  await send(dcxFeed.grantRole(feedAdmin, timelockAddress));
  await send(dcxFeed.renounceRole(feedAdmin, deployer));
  await send(timelock.renounceRole(await timelock.DEFAULT_ADMIN_ROLE(), deployer));
}

/** Delegates each local demo account's DCX to itself, so that its balance counts as votes. */
export async function delegateDemoVotes(connection: Connection, dcx: DCXToken, accounts: string[]): Promise<void> {
  for (const account of accounts) {
    const signer = await connection.ethers.getSigner(account);
    await send(dcx.connect(signer).delegate(account));
  }
}

/** What a proposal does: calls the timelock makes, in order. */
export interface ProposalActions {
  targets: string[];
  values: bigint[];
  calldatas: string[];
  description: string;
}

/** Moves the chain's clock forward and mines a block (local chains only). */
export async function advanceTime(connection: Connection, seconds: number): Promise<void> {
  await connection.ethers.provider.send("evm_increaseTime", [seconds]);
  await connection.ethers.provider.send("evm_mine", []);
}

/**
 * Runs a proposal through the whole DAO flow on a local chain: the first voter proposes, every voter
 * votes for it once voting opens, then it is queued in the timelock and executed after the delay.
 * Returns the proposal id.
 */
export async function passProposal(
  connection: Connection,
  governor: DAOGovernance,
  voters: Signer[],
  { targets, values, calldatas, description }: ProposalActions,
  log: (message: string) => void = () => {},
): Promise<bigint> {
  const { ethers } = connection;
  const descriptionHash = ethers.id(description);
  const proposalId = await governor.hashProposal(targets, values, calldatas, descriptionHash);
  await send(governor.connect(voters[0]!).propose(targets, values, calldatas, description));
  log(`proposed ${proposalId}`);
  await advanceTime(connection, Number(await governor.votingDelay()) + 1);
  for (const voter of voters) {
    await send(governor.connect(voter).castVote(proposalId, VOTE_FOR));
  }
  log(`voted by ${voters.length} account(s)`);
  await advanceTime(connection, Number(await governor.votingPeriod()));
  await send(governor.queue(targets, values, calldatas, descriptionHash));
  const eta = Number(await governor.proposalEta(proposalId));
  const now = (await ethers.provider.getBlock("latest"))!.timestamp;
  log(`queued; executable at ${new Date(eta * 1000).toISOString()}`);
  await advanceTime(connection, Math.max(eta - now, 0) + 1);
  await send(governor.execute(targets, values, calldatas, descriptionHash));
  log("executed");
  return proposalId;
}

/** GovernorCountingSimple's support values. */
export const VOTE_AGAINST = 0;
export const VOTE_FOR = 1;
export const VOTE_ABSTAIN = 2;

/**
 * Refuses a launch allocation that lets a single holder meet the DAO's quorum alone: every holder
 * but the timelock (whose tokens vote for nobody until a proposal moves them) must hold less than
 * `quorumPercent` of the initial supply.
 */
export function checkLaunchAllocation(
  allocations: { to: string; amount: bigint }[],
  timelock: string,
  quorumPercent: number,
): void {
  const supply = allocations.reduce((sum, a) => sum + a.amount, 0n);
  for (const { to, amount } of allocations) {
    if (to.toLowerCase() === timelock.toLowerCase()) continue;
    if (amount * 100n >= supply * BigInt(quorumPercent)) {
      throw new DeploymentError(
        `${to} would receive ${amount} of ${supply} DCX at launch, enough to meet the ${quorumPercent} % quorum alone`,
      );
    }
  }
}
