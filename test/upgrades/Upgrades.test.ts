import { expect } from "chai";
import type { BaseContract } from "ethers";

import { type ContractName, slaReport } from "@d-cloudx/sdk";
import { HOUR, deployFixture, ethers, networkHelpers } from "../helpers/fixture.ts";
import {
  erc7201Slot,
  mappingSlot,
  packedAddress,
  packedField,
  plain,
  shouldUpgradeSafely,
  storageWord,
  upgradesApi,
} from "../helpers/proxies.ts";

const { loadFixture, time } = networkHelpers;

const RATING = 4;
const BOND = 5_000_000n;

/**
 * The marketplace fixture with history in every contract: booking 1 (ETH, one hour) was provisioned,
 * had its first SLA period settled as a violation (a 25 % credit), was completed and rated;
 * booking 2 (USDC) awaits provisioning; the provider has a USDC bond.
 */
async function deployWithHistoryFixture() {
  const f = await deployFixture();
  const { bookingId: completedBooking } = await f.bookActive(f.eth.address, 1);
  await time.increase(f.settings.slaPeriodSeconds);
  const report = slaReport(completedBooking, 0, [{ uptimeBps: 9_800, p95LatencyMs: 20, sampleCount: 60 }]);
  await f.sla.submitReports([report], [await f.signReport(report)]);
  await time.increase(HOUR);
  await f.marketplace.completeBooking(completedBooking);
  await f.marketplace.connect(f.consumer).rateBooking(completedBooking, RATING);
  const { bookingId: pendingBooking } = await f.book(f.usdc.address, 3);
  await f.escrow.connect(f.provider).depositBond(f.usdc.address, BOND);
  return { ...f, completedBooking, pendingBooking, report };
}

type Fixture = Awaited<ReturnType<typeof deployWithHistoryFixture>>;

interface UpgradeCase {
  name: ContractName;
  /** Source file, relative to the repository root. */
  source: string;
  namespace: string;
  proxy(f: Fixture): BaseContract;
  initializeArgs(f: Fixture): Promise<unknown[]>;
  /** State read back through the contract's getters. */
  snapshot(f: Fixture): Promise<unknown>;
  /** Asserts where known state lives in the namespace; returns the words it read. */
  checkLayout(f: Fixture, slot: bigint): Promise<bigint[]>;
  /** What the storage-breaking V2 changed, as the upgrades plugin reports it. */
  layoutError: RegExp;
}

const cases: UpgradeCase[] = [
  {
    name: "PriceOracle",
    source: "contracts/oracles/PriceOracle.sol",
    namespace: "dcloudx.storage.PriceOracle",
    proxy: (f) => f.priceOracle,
    initializeArgs: async (f) => [f.admin.address],
    snapshot: async ({ priceOracle, tokens }) => ({
      tokens: plain(await priceOracle.paymentTokens()),
      configs: await Promise.all(tokens.map(async (t) => plain(await priceOracle.paymentToken(t.address)))),
      quotes: await Promise.all(tokens.map(async (t) => plain(await priceOracle.quote(t.address, 10n ** 8n)))),
    }),
    async checkLayout({ priceOracle, usdc }, slot) {
      const config = await storageWord(priceOracle, mappingSlot("address", usdc.address, slot));
      expect(packedAddress(config)).to.equal(usdc.priceFeed);
      expect(packedField(config, 20, 32)).to.equal(86_400n);
      expect(packedField(config, 24, 8)).to.equal(8n);
      expect(packedField(config, 25, 8)).to.equal(6n);
      expect(packedField(config, 26, 8)).to.equal(1n);
      expect(packedField(config, 27, 8)).to.equal(1n);
      const listLength = await storageWord(priceOracle, slot + 1n);
      // ETH, USDC, DAI and DCX.
      expect(listLength).to.equal(4n);
      const firstElement = BigInt(ethers.keccak256(ethers.toBeHex(slot + 1n, 32)));
      const usdcEntry = await storageWord(priceOracle, firstElement + 1n);
      expect(packedAddress(usdcEntry)).to.equal(usdc.address);
      return [config, listLength, usdcEntry];
    },
    layoutError: /Upgraded `tokenList` to an incompatible type/,
  },
  {
    name: "ReputationSystem",
    source: "contracts/core/ReputationSystem.sol",
    namespace: "dcloudx.storage.Reputation",
    proxy: (f) => f.reputation,
    initializeArgs: async (f) => [f.admin.address],
    snapshot: async ({ reputation, provider, completedBooking }) => ({
      record: plain(await reputation.recordOf(provider)),
      score: await reputation.scoreOf(provider),
      rated: await reputation.isRated(completedBooking),
    }),
    async checkLayout({ reputation, provider, completedBooking }, slot) {
      const recordSlot = mappingSlot("address", provider.address, slot);
      const record = await storageWord(reputation, recordSlot);
      const fields = [0, 4, 8, 12, 16, 20].map((offset) => packedField(record, offset, 32));
      // Completed, failed, compliant, violated, ratings, rating sum; then the credits.
      expect(fields).to.deep.equal([1n, 0n, 0n, 1n, 1n, BigInt(RATING)]);
      expect(packedField(record, 24, 64)).to.equal(2_500n);
      // The weighted totals follow in the record's second slot.
      const weighted = await storageWord(reputation, recordSlot + 1n);
      const { successUsdE8, trialUsdE8 } = await reputation.recordOf(provider);
      expect([packedField(weighted, 0, 128), packedField(weighted, 16, 128)]).to.deep.equal([successUsdE8, trialUsdE8]);
      const rated = await storageWord(reputation, mappingSlot("uint256", completedBooking, slot + 1n));
      expect(rated).to.equal(1n);
      return [record, weighted, rated];
    },
    layoutError: /Inserted `providerCount`/,
  },
  {
    name: "EscrowManager",
    source: "contracts/core/EscrowManager.sol",
    namespace: "dcloudx.storage.Escrow",
    proxy: (f) => f.escrow,
    initializeArgs: async (f) => [f.admin.address, await f.priceOracle.getAddress(), plain(await f.escrow.settings())],
    snapshot: async ({ escrow, consumer, provider, usdc, completedBooking, pendingBooking }) => ({
      settings: plain(await escrow.settings()),
      deposits: [plain(await escrow.depositOf(completedBooking)), plain(await escrow.depositOf(pendingBooking))],
      stream: plain(await escrow.streamOf(completedBooking)),
      owed: await escrow.owed(consumer, ethers.ZeroAddress),
      bond: plain(await escrow.bondOf(provider, usdc.address)),
    }),
    async checkLayout({ escrow, priceOracle, treasury, provider, settings, completedBooking }, slot) {
      const packedSettings = await storageWord(escrow, slot);
      expect(packedAddress(packedSettings)).to.equal(treasury.address);
      expect(packedField(packedSettings, 20, 16)).to.equal(BigInt(settings.protocolFeeBps));
      expect(packedField(packedSettings, 22, 32)).to.equal(BigInt(settings.slaPeriodSeconds));
      expect(packedField(packedSettings, 26, 32)).to.equal(BigInt(settings.reportWindowSeconds));
      expect(packedField(packedSettings, 30, 16)).to.equal(BigInt(settings.bondSlashBps));
      const unbondingDelay = await storageWord(escrow, slot + 1n);
      expect(unbondingDelay).to.equal(BigInt(settings.unbondingDelaySeconds));
      const oracle = await storageWord(escrow, slot + 2n);
      expect(packedAddress(oracle)).to.equal(await priceOracle.getAddress());
      const deposit = await storageWord(escrow, mappingSlot("uint256", completedBooking, slot + 3n));
      expect(packedAddress(deposit)).to.equal(provider.address);
      expect(packedField(deposit, 20, 96)).to.equal((await escrow.depositOf(completedBooking)).amount);
      return [packedSettings, unbondingDelay, oracle, deposit];
    },
    layoutError: /Inserted `feeCollector`/,
  },
  {
    name: "ResourceMarketplace",
    source: "contracts/core/ResourceMarketplace.sol",
    namespace: "dcloudx.storage.Marketplace",
    proxy: (f) => f.marketplace,
    initializeArgs: async (f) => [
      f.admin.address,
      await f.priceOracle.getAddress(),
      await f.escrow.getAddress(),
      await f.reputation.getAddress(),
      f.settings.provisionTimeoutSeconds,
    ],
    snapshot: async ({ marketplace, provider, resourceId, completedBooking, pendingBooking }) => ({
      counts: [await marketplace.resourceCount(), await marketplace.bookingCount()],
      resource: plain(await marketplace.getResource(resourceId)),
      bookings: [
        plain(await marketplace.getBooking(completedBooking)),
        plain(await marketplace.getBooking(pendingBooking)),
      ],
      registeredAt: await marketplace.providerRegisteredAt(provider),
      provisionTimeout: await marketplace.provisionTimeout(),
      paused: await marketplace.paused(),
      slaTerms: plain(await marketplace.bookedSlaTerms(completedBooking)),
      oracleSigners: await marketplace.oracleSigners(),
      cancellationPolicy: plain(await marketplace.cancellationPolicy()),
    }),
    async checkLayout(
      { marketplace, escrow, priceOracle, reputation, sla, consumer, settings, completedBooking },
      slot,
    ) {
      const first = await storageWord(marketplace, slot);
      expect(packedAddress(first)).to.equal(await escrow.getAddress());
      expect(packedField(first, 20, 56)).to.equal(2n);
      expect(packedField(first, 27, 32)).to.equal(BigInt(settings.provisionTimeoutSeconds));
      expect(packedField(first, 31, 8)).to.equal(0n);
      const second = await storageWord(marketplace, slot + 1n);
      expect(packedAddress(second)).to.equal(await priceOracle.getAddress());
      expect(packedField(second, 20, 32)).to.equal(1n);
      // Bond coverage, cancellation fee and free window fill the rest of the slot.
      expect(packedField(second, 24, 16)).to.equal(BigInt(settings.bondCoverageBps));
      expect(packedField(second, 26, 16)).to.equal(BigInt(settings.cancellationFeeBps));
      expect(packedField(second, 28, 32)).to.equal(BigInt(settings.freeCancellationSeconds));
      const third = await storageWord(marketplace, slot + 2n);
      expect(packedAddress(third)).to.equal(await reputation.getAddress());
      // A booking, written in one word: consumer, resource, hours, token id, status, requested at.
      const booking = await storageWord(marketplace, mappingSlot("uint256", completedBooking, slot + 5n));
      const stored = await marketplace.getBooking(completedBooking);
      expect(packedAddress(booking)).to.equal(consumer.address);
      expect(
        [20, 24, 26, 27, 28].map((offset, i) => packedField(booking, offset, [32, 16, 8, 8, 32][i]!)),
      ).to.deep.equal([stored.resourceId, stored.hoursBooked, stored.tokenId, stored.status, stored.requestedAt]);
      const signers = await storageWord(marketplace, slot + 7n);
      expect(packedAddress(signers)).to.equal(await sla.getAddress());
      return [first, second, third, booking, signers];
    },
    layoutError: /Upgraded `bookingCount` to an incompatible type/,
  },
  {
    name: "SLAEnforcement",
    source: "contracts/core/SLAEnforcement.sol",
    namespace: "dcloudx.storage.SLAEnforcement",
    proxy: (f) => f.sla,
    initializeArgs: async (f) => {
      const [baseCreditBps, tiers] = await f.sla.creditPolicy();
      const signers = [f.oracleA, f.oracleB, f.oracleC].map((o) => o.address);
      return [
        f.admin.address,
        await f.marketplace.getAddress(),
        await f.escrow.getAddress(),
        await f.reputation.getAddress(),
        signers,
        f.settings.oracleQuorum,
        baseCreditBps,
        plain(tiers),
      ];
    },
    snapshot: async ({ sla, oracleA, oracleB, oracleC, other, report }) => ({
      quorum: await sla.quorum(),
      signerCount: await sla.signerCount(),
      signers: await Promise.all([oracleA, oracleB, oracleC, other].map((s) => sla.isSigner(s))),
      creditPolicy: plain(await sla.creditPolicy()),
      // The EIP-712 domain (name and version live in the proxy's storage) must not change either.
      digest: await sla.reportDigest(report),
    }),
    async checkLayout({ sla, marketplace, escrow, reputation, oracleA, settings }, slot) {
      const first = await storageWord(sla, slot);
      expect(packedAddress(first)).to.equal(await marketplace.getAddress());
      expect(packedField(first, 20, 16)).to.equal(BigInt(settings.baseCreditBps));
      const escrowWord = await storageWord(sla, slot + 1n);
      expect(packedAddress(escrowWord)).to.equal(await escrow.getAddress());
      const reputationWord = await storageWord(sla, slot + 2n);
      expect(packedAddress(reputationWord)).to.equal(await reputation.getAddress());
      const tierCount = await storageWord(sla, slot + 3n);
      expect(tierCount).to.equal(BigInt(settings.creditTiers.length));
      // The signer set lives in the QuorumSigned namespace shared with the ResourceVerifier.
      const quorumSlot = erc7201Slot("dcloudx.storage.QuorumSigned");
      const quorumWord = await storageWord(sla, quorumSlot);
      expect(packedField(quorumWord, 0, 16)).to.equal(BigInt(settings.oracleQuorum));
      expect(packedField(quorumWord, 2, 16)).to.equal(3n);
      const signer = await storageWord(sla, mappingSlot("address", oracleA.address, quorumSlot + 1n));
      expect(signer).to.equal(1n);
      return [first, escrowWord, reputationWord, tierCount, quorumWord, signer];
    },
    layoutError: /Inserted `reportCount`/,
  },
];

describe("Upgrades", function () {
  for (const c of cases) {
    describe(c.name, function () {
      shouldUpgradeSafely(deployWithHistoryFixture, {
        ...c,
        namespaces: [{ id: c.namespace, source: c.source, constant: "STORAGE_LOCATION" }],
        checkLayout: (f) => c.checkLayout(f, erc7201Slot(c.namespace)),
        badLayouts: [{ contract: `${c.name}V2BadLayout`, error: c.layoutError }],
      });

      it("lets only UPGRADER_ROLE upgrade, whatever other roles the caller holds", async function () {
        const f = await loadFixture(deployWithHistoryFixture);
        const proxy = await ethers.getContractAt("ManagedUpgradeable", await c.proxy(f).getAddress(), f.admin);
        const upgraderRole = await proxy.UPGRADER_ROLE();
        const v2 = await ethers.deployContract(`${c.name}V2`);
        const v2Address = await v2.getAddress();

        await expect(proxy.connect(f.other).upgradeToAndCall(v2Address, "0x"))
          .to.be.revertedWithCustomError(proxy, "AccessControlUnauthorizedAccount")
          .withArgs(f.other.address, upgraderRole);
        await proxy.revokeRole(upgraderRole, f.admin.address);
        await expect(proxy.upgradeToAndCall(v2Address, "0x"))
          .to.be.revertedWithCustomError(proxy, "AccessControlUnauthorizedAccount")
          .withArgs(f.admin.address, upgraderRole);

        await proxy.grantRole(upgraderRole, f.other.address);
        await expect(proxy.connect(f.other).upgradeToAndCall(v2Address, "0x"))
          .to.emit(proxy, "Upgraded")
          .withArgs(v2Address);
        expect(await upgradesApi.erc1967.getImplementationAddress(await proxy.getAddress())).to.equal(v2Address);
      });
    });
  }
});
