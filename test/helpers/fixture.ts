import hre from "hardhat";

import { slaDomain, slaReportTypes, type SlaReport } from "@d-cloudx/sdk";
import { type Connection, type CoreSettings, LOCAL_SETTINGS, deployCore } from "../../scripts/lib/core.ts";
import { deployLocalPaymentTokens } from "../../scripts/lib/local-tokens.ts";

/** One in-process chain shared by the TypeScript tests; fixtures snapshot and restore it. */
export const connection: Connection = await hre.network.create();
export const { ethers, networkHelpers } = connection;

export const METADATA_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
export const ACCESS_CID = "bafkreidvbhs33ighmljlvr7zbv2ywwzcmp5adtf4kqvlly67cy56bdtmve";
export const ENCRYPTION_KEY = "0x" + "ab".repeat(32);
export const PRICE_PER_HOUR_USD_E8 = 150_000_000n; // $1.50
export const HOUR = 3_600;

/** Settings of the test deployment: local settings with a 2-of-3 oracle quorum. */
export const TEST_SETTINGS: CoreSettings = { ...LOCAL_SETTINGS, oracleQuorum: 2 };

/**
 * Every core contract, three payment tokens (ETH, 6-decimal USDC, 18-decimal DAI), a registered
 * provider with one listed resource accepting all three, and a consumer holding and approving
 * the stablecoins.
 */
export async function deployMarketplaceFixture() {
  const [admin, treasury, guardian, oracleA, oracleB, oracleC, provider, consumer, other] = await ethers.getSigners();
  const oracles = [oracleA, oracleB, oracleC];
  const { contracts, record } = await deployCore(
    hre,
    connection,
    {
      admin: admin.address,
      treasury: treasury.address,
      guardian: guardian.address,
      oracles: oracles.map((o) => o.address),
    },
    TEST_SETTINGS,
  );
  const tokens = await deployLocalPaymentTokens(connection, contracts.priceOracle);
  const bySymbol = (symbol: string) => tokens.find((t) => t.symbol === symbol)!;
  const eth = bySymbol("ETH");
  const usdc = bySymbol("USDC");
  const dai = bySymbol("DAI");
  const escrowAddress = await contracts.escrow.getAddress();

  for (const token of [usdc.token!, dai.token!]) {
    const amount = 10n ** BigInt(Number(await token.decimals()) + 9);
    await token.mint(consumer.address, amount);
    await token.mint(other.address, amount);
    await token.mint(provider.address, amount);
    await token.connect(consumer).approve(escrowAddress, ethers.MaxUint256);
    await token.connect(other).approve(escrowAddress, ethers.MaxUint256);
    await token.connect(provider).approve(escrowAddress, ethers.MaxUint256);
  }

  await contracts.marketplace.connect(provider).registerProvider(METADATA_CID);
  const terms = {
    pricePerHourUsdE8: PRICE_PER_HOUR_USD_E8,
    capacity: 10,
    minHours: 1,
    maxHours: 720,
    uptimeTargetBps: 9_950,
    maxLatencyMs: 250,
    acceptedTokens: tokens.map((t) => t.address),
  };
  await contracts.marketplace
    .connect(provider)
    .listResource({ metadataCid: METADATA_CID, region: "eu-west-1", kind: 0, terms });
  const resourceId = 1n;

  const chainId = (await ethers.provider.getNetwork()).chainId;
  const ethersTypes = { SlaReport: [...slaReportTypes.SlaReport] }; // ethers wants mutable arrays
  const domain = slaDomain(chainId, await contracts.sla.getAddress());

  /** Books `hours` of the resource as `consumer`, paying the exact quote. */
  async function book(token = eth.address, hours = 2, from = consumer) {
    const [amount] = await contracts.priceOracle.quote(token, PRICE_PER_HOUR_USD_E8 * BigInt(hours));
    const value = token === ethers.ZeroAddress ? amount : 0n;
    await contracts.marketplace.connect(from).book(resourceId, hours, token, amount, ENCRYPTION_KEY, { value });
    return { bookingId: await contracts.marketplace.bookingCount(), amount };
  }

  /** Books and confirms provisioning. */
  async function bookActive(token = eth.address, hours = 2, from = consumer) {
    const booked = await book(token, hours, from);
    await contracts.marketplace.connect(oracleA).confirmProvisioning(booked.bookingId, ACCESS_CID);
    return booked;
  }

  /** A report signed by `signers`, ordered by signer address as SLAEnforcement requires. */
  async function signReport(report: SlaReport, signers = [oracleA, oracleB]) {
    const sorted = [...signers].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
    return Promise.all(sorted.map((s) => s.signTypedData(domain, ethersTypes, report)));
  }

  return {
    ...contracts,
    record,
    tokens,
    eth,
    usdc,
    dai,
    terms,
    resourceId,
    domain,
    admin,
    treasury,
    guardian,
    oracleA,
    oracleB,
    oracleC,
    provider,
    consumer,
    other,
    book,
    bookActive,
    signReport,
    settings: TEST_SETTINGS,
  };
}
