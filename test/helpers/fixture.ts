import hre from "hardhat";
import type { Signer } from "ethers";

import {
  type ConsumerFault,
  type SlaReport,
  consumerFaultTypes,
  provisioningTypes,
  slaDomain,
  slaReportTypes,
} from "@d-cloudx/sdk";
import { type Connection, type CoreSettings, LOCAL_SETTINGS } from "../../scripts/lib/core.ts";
import { deployProtocol, protocolRoles } from "../../scripts/lib/protocol.ts";

/** One in-process chain shared by the TypeScript tests; fixtures snapshot and restore it. */
export const connection: Connection = await hre.network.create();
export const { ethers, networkHelpers } = connection;

export const METADATA_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
export const ACCESS_CID = "bafkreidvbhs33ighmljlvr7zbv2ywwzcmp5adtf4kqvlly67cy56bdtmve";
/** X25519 public keys, as the dApp derives them from a wallet signature. */
export const ENCRYPTION_KEY = "0xfcd70d27f99ef6d94e43566bf3d5b6c6667abae525d7c03c7efdda7385c94170";
export const OTHER_ENCRYPTION_KEY = "0xc43e6c3e48b264be7dfb41dbeb757483212824bfe2d3abad2d05f8104d163649";
export const PRICE_PER_HOUR_USD_E8 = 150_000_000n; // $1.50
export const HOUR = 3_600;

/**
 * Settings of the test deployment: local settings with a 2-of-3 oracle quorum and no grace, so that
 * anyone may complete a booking at its end (the grace tests deploy with their own).
 */
export const TEST_SETTINGS: CoreSettings = { ...LOCAL_SETTINGS, oracleQuorum: 2, gracePeriodSeconds: 0 };

/** Signers sorted by address, as the quorum contracts require their signatures. */
function byAddress<T extends { address: string }>(signers: T[]): T[] {
  return [...signers].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
}

/**
 * The contract tests' one base fixture: the whole protocol as scripts/deploy.ts deploys it on a
 * local chain (core contracts, mock payment tokens ETH, 6-decimal USDC and 18-decimal DAI, DCX with
 * its DAO-set price feed, rewards, the resource verifier and the DAO holding every admin role),
 * with three oracle signers in a 2-of-3 quorum, a registered provider with one listed resource that
 * accepts every payment token, and consumers holding and approving the stablecoins.
 *
 * Accounts: #0 deployer and guardian, #1 treasury, #2 oracle A (also the resource verifier), #3
 * provider, #4 consumer, #5–#7 voters, #8 oracle B, #9 oracle C, #10 another account; #0–#9 hold
 * 10M DCX each, delegated to themselves; #12 holds nothing. `admin` is the DAO's timelock, as a
 * signer, for what only a passed proposal may call; the contracts are connected to it.
 */
export function deployFixture() {
  return deployFixtureWith(TEST_SETTINGS);
}

/** The base fixture with other protocol settings. */
export async function deployFixtureWith(settings: CoreSettings) {
  const signers = await ethers.getSigners();
  const [deployer, treasury, oracleA, provider, consumer] = signers;
  const [oracleB, oracleC, other] = [signers[8]!, signers[9]!, signers[10]!];
  const outsider = signers[12]!;
  const roles = {
    ...(await protocolRoles(connection)),
    oracles: [oracleA!.address, oracleB.address, oracleC.address],
  };
  const protocol = await deployProtocol(hre, connection, roles, settings);
  const timelockAddress = await protocol.contracts.timelock.getAddress();
  await networkHelpers.impersonateAccount(timelockAddress);
  await networkHelpers.setBalance(timelockAddress, 10n ** 20n);
  const admin = await ethers.getSigner(timelockAddress);
  // Calls without `connect` come from the DAO, which holds every admin role.
  const contracts = Object.fromEntries(
    Object.entries(protocol.contracts).map(([name, contract]) => [name, contract.connect(admin)]),
  ) as typeof protocol.contracts;
  const { marketplace, priceOracle, escrow } = contracts;
  const bySymbol = (symbol: string) => protocol.localTokens.find((t) => t.symbol === symbol)!;
  const eth = bySymbol("ETH");
  const usdc = bySymbol("USDC");
  const dai = bySymbol("DAI");
  const tokens = protocol.localTokens;
  const escrowAddress = await escrow.getAddress();

  for (const token of [usdc.token!, dai.token!]) {
    const amount = 10n ** BigInt(Number(await token.decimals()) + 9);
    for (const holder of [consumer!, other, provider!]) {
      await token.mint(holder.address, amount);
      await token.connect(holder).approve(escrowAddress, ethers.MaxUint256);
    }
  }

  await marketplace.connect(provider).registerProvider(METADATA_CID);
  const terms = {
    pricePerHourUsdE8: PRICE_PER_HOUR_USD_E8,
    capacity: 10,
    minHours: 1,
    maxHours: 720,
    uptimeTargetBps: 9_950,
    maxLatencyMs: 250,
    acceptedTokens: protocol.deployment.paymentTokens.map((t) => t.address),
  };
  await marketplace.connect(provider).listResource({ metadataCid: METADATA_CID, region: "eu-west-1", kind: 0, terms });
  const resourceId = 1n;
  /** The SLA a consumer saw on the resource page: the resource's own. */
  const minSla = { uptimeTargetBps: terms.uptimeTargetBps, maxLatencyMs: terms.maxLatencyMs };

  const chainId = (await ethers.provider.getNetwork()).chainId;
  const domain = slaDomain(chainId, await contracts.sla.getAddress());
  const defaultQuorum = [oracleA!, oracleB];

  /** Books `hours` of `resource` as `from`, paying the exact quote, accepting no looser SLA than `sla`. */
  async function book(
    token = eth.address,
    hours = 2,
    from: Signer & { address: string } = consumer!,
    resource = resourceId,
    sla = minSla,
  ) {
    const [amount] = await priceOracle.quote(token, PRICE_PER_HOUR_USD_E8 * BigInt(hours));
    const value = token === ethers.ZeroAddress ? amount : 0n;
    await marketplace.connect(from).book(resource, hours, token, amount, sla, ENCRYPTION_KEY, { value });
    return { bookingId: await marketplace.bookingCount(), amount };
  }

  /** Quorum signatures (ordered by signer) of a provisioning confirmation. */
  async function signProvisioning(bookingId: bigint, accessDetailsCid = ACCESS_CID, signers = defaultQuorum) {
    const consumerAddress = (await marketplace.getBooking(bookingId)).consumer;
    const statement = { bookingId, consumer: consumerAddress, accessDetailsCid };
    const types = { Provisioning: [...provisioningTypes.Provisioning] };
    return Promise.all(byAddress(signers).map((s) => s.signTypedData(domain, types, statement)));
  }

  /** Confirms provisioning of `bookingId` with a quorum's signatures. */
  async function confirm(bookingId: bigint, signers = defaultQuorum, accessDetailsCid = ACCESS_CID) {
    const signatures = await signProvisioning(bookingId, accessDetailsCid, signers);
    return marketplace.connect(signers[0]).confirmProvisioning(bookingId, accessDetailsCid, signatures);
  }

  /** Books and confirms provisioning. */
  async function bookActive(token = eth.address, hours = 2, from: Signer & { address: string } = consumer!) {
    const booked = await book(token, hours, from);
    await confirm(booked.bookingId);
    return booked;
  }

  /** Quorum signatures (ordered by signer) of a consumer-fault statement. */
  async function signConsumerFault(fault: Omit<ConsumerFault, "consumer">, signers = defaultQuorum) {
    const statement = { ...fault, consumer: (await marketplace.getBooking(fault.bookingId)).consumer };
    const types = { ConsumerFault: [...consumerFaultTypes.ConsumerFault] };
    return Promise.all(byAddress(signers).map((s) => s.signTypedData(domain, types, statement)));
  }

  /** A report signed by `signers`, ordered by signer address as SLAEnforcement requires. */
  async function signReport(report: SlaReport, signers = defaultQuorum) {
    const types = { SlaReport: [...slaReportTypes.SlaReport] }; // ethers wants mutable arrays
    return Promise.all(byAddress(signers).map((s) => s.signTypedData(domain, types, report)));
  }

  return {
    ...protocol,
    ...contracts,
    tokens,
    eth,
    usdc,
    dai,
    terms,
    minSla,
    resourceId,
    domain,
    settings,
    roles,
    deployer: deployer!,
    admin,
    treasury: treasury!,
    guardian: deployer!,
    oracle: oracleA!,
    oracleA: oracleA!,
    oracleB,
    oracleC,
    provider: provider!,
    consumer: consumer!,
    other,
    outsider,
    /** Accounts other than the provider and consumer, with delegated votes. */
    voters: [signers[5]!, signers[6]!, signers[7]!],
    book,
    bookActive,
    confirm,
    signProvisioning,
    signConsumerFault,
    signReport,
  };
}

export type Fixture = Awaited<ReturnType<typeof deployFixtureWith>>;

/** A settled period as a row: uptimeBps, p95LatencyMs, sampleCount, compliant, creditBps, value, credit. */
export type SettledRow = readonly [number, number, number, boolean, number, unknown, unknown];

/**
 * The figures and amounts lists SlaPeriodsSettled carries for `rows`, packed as the event's NatSpec
 * lays them out (a row's value or credit may be a matcher such as anyValue: its amount is then one).
 */
export function settledLists(rows: readonly SettledRow[]): [bigint[], unknown[]] {
  const figures = rows.map(
    ([uptimeBps, p95LatencyMs, sampleCount, compliant, creditBps]) =>
      BigInt(uptimeBps) |
      (BigInt(p95LatencyMs) << 16n) |
      (BigInt(sampleCount) << 48n) |
      (BigInt(creditBps) << 80n) |
      (compliant ? 1n << 96n : 0n),
  );
  const amounts = rows.map(([, , , , , value, credit]) =>
    typeof value === "bigint" ? value | (BigInt(credit as bigint | number) << 128n) : value,
  );
  return [figures, amounts];
}
