import { expect } from "chai";

import { LOCAL_GOVERNANCE, passProposal } from "../../scripts/lib/governance.ts";
import {
  ENCRYPTION_KEY,
  PRICE_PER_HOUR_USD_E8,
  connection,
  deployFixture,
  ethers,
  networkHelpers,
} from "../helpers/fixture.ts";

const { loadFixture, time } = networkHelpers;

const E8 = 10n ** 8n;
const DCX = 10n ** 18n;
const INITIAL_PRICE_E8 = LOCAL_GOVERNANCE.dcxPriceE8;
const HEARTBEAT = LOCAL_GOVERNANCE.dcxPriceHeartbeatSeconds;
const INT192_MAX = (1n << 191n) - 1n;

/** The deployed protocol, with the time its DCX / USD feed was deployed (round 1). */
async function feedFixture() {
  const f = await deployFixture();
  // The constructor announced round 1; its block is when the feed was deployed.
  const [created] = await f.dcxFeed.queryFilter(f.dcxFeed.filters.AnswerUpdated(undefined, 1n));
  const deployedAt = BigInt((await ethers.provider.getBlock(created!.blockNumber))!.timestamp);
  return { ...f, deployedAt };
}

/** Timestamp of the block that mined `tx`. */
async function minedAt(tx: Promise<{ wait(): Promise<{ blockNumber: number } | null> }>): Promise<bigint> {
  const receipt = await (await tx).wait();
  return BigInt((await ethers.provider.getBlock(receipt!.blockNumber))!.timestamp);
}

describe("GovernedPriceFeed", function () {
  describe("as a Chainlink feed", function () {
    it("describes itself: 8 decimals, DCX / USD, version 1", async function () {
      const { dcxFeed } = await loadFixture(feedFixture);
      expect(await dcxFeed.decimals()).to.equal(8n);
      expect(await dcxFeed.description()).to.equal("DCX / USD");
      expect(await dcxFeed.version()).to.equal(1n);
    });

    it("answers the deployment's price as round 1, updated when it was deployed", async function () {
      const { dcxFeed, deployedAt } = await loadFixture(feedFixture);
      const round = [1n, INITIAL_PRICE_E8, deployedAt, deployedAt, 1n];
      expect(await dcxFeed.latestRoundData()).to.deep.equal(round);
      expect(await dcxFeed.getRoundData(1)).to.deep.equal(round);
    });

    it("records each price the DAO sets as a new round, stamped with its block's time", async function () {
      const { dcxFeed, deployedAt, admin } = await loadFixture(feedFixture);
      const timelock = admin;

      await time.increase(600);
      const setTwo = dcxFeed.connect(timelock).setAnswer(2n * E8);
      const secondAt = await minedAt(setTwo);
      await expect(setTwo)
        .to.emit(dcxFeed, "AnswerUpdated")
        .withArgs(2n * E8, 2n, secondAt);
      expect(await dcxFeed.latestRoundData()).to.deep.equal([2n, 2n * E8, secondAt, secondAt, 2n]);

      await time.increase(600);
      const setThree = dcxFeed.connect(timelock).setAnswer(INT192_MAX);
      const thirdAt = await minedAt(setThree);
      await expect(setThree).to.emit(dcxFeed, "AnswerUpdated").withArgs(INT192_MAX, 3n, thirdAt);
      expect(await dcxFeed.latestRoundData()).to.deep.equal([3n, INT192_MAX, thirdAt, thirdAt, 3n]);
      expect(thirdAt).to.be.greaterThan(secondAt);

      // Earlier rounds keep their answers.
      expect(await dcxFeed.getRoundData(1)).to.deep.equal([1n, INITIAL_PRICE_E8, deployedAt, deployedAt, 1n]);
      expect(await dcxFeed.getRoundData(2)).to.deep.equal([2n, 2n * E8, secondAt, secondAt, 2n]);
    });

    it("rejects a price that is not positive or does not fit in int192", async function () {
      const { dcxFeed, admin } = await loadFixture(feedFixture);
      const timelock = admin;
      for (const answer of [0n, -1n, -E8, INT192_MAX + 1n]) {
        await expect(dcxFeed.connect(timelock).setAnswer(answer))
          .to.be.revertedWithCustomError(dcxFeed, "GovernedPriceFeedInvalidAnswer")
          .withArgs(answer);
      }
      expect((await dcxFeed.latestRoundData())[0]).to.equal(1n);
    });

    it("refuses a non-positive initial price", async function () {
      const { dcxFeed, deployer } = await loadFixture(feedFixture);
      for (const answer of [0n, -5n]) {
        await expect(ethers.deployContract("GovernedPriceFeed", [deployer.address, 8, "X / USD", answer]))
          .to.be.revertedWithCustomError(dcxFeed, "GovernedPriceFeedInvalidAnswer")
          .withArgs(answer);
      }
    });

    it("has no round 0 and no round beyond the latest", async function () {
      const { dcxFeed, admin } = await loadFixture(feedFixture);
      for (const roundId of [0n, 2n, (1n << 80n) - 1n]) {
        await expect(dcxFeed.getRoundData(roundId))
          .to.be.revertedWithCustomError(dcxFeed, "GovernedPriceFeedNoRound")
          .withArgs(roundId);
      }
      await dcxFeed.connect(admin).setAnswer(E8);
      expect((await dcxFeed.getRoundData(2n))[1]).to.equal(E8);
      await expect(dcxFeed.getRoundData(3n))
        .to.be.revertedWithCustomError(dcxFeed, "GovernedPriceFeedNoRound")
        .withArgs(3n);
    });
  });

  describe("governance", function () {
    it("lets only the timelock set the price once the deployment has handed it over", async function () {
      const { dcxFeed, deployer, outsider, oracle, timelock } = await loadFixture(feedFixture);
      const adminRole = await dcxFeed.DEFAULT_ADMIN_ROLE();
      expect(await dcxFeed.hasRole(adminRole, timelock)).to.equal(true);
      expect(await dcxFeed.hasRole(adminRole, deployer)).to.equal(false);
      for (const caller of [deployer, outsider, oracle]) {
        await expect(dcxFeed.connect(caller).setAnswer(E8))
          .to.be.revertedWithCustomError(dcxFeed, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, adminRole);
      }
      expect((await dcxFeed.latestRoundData())[1]).to.equal(INITIAL_PRICE_E8);
    });

    it("takes a new price from a passed proposal", async function () {
      const { dcxFeed, governor, voters } = await loadFixture(feedFixture);
      await passProposal(connection, governor, voters, {
        targets: [await dcxFeed.getAddress()],
        values: [0n],
        calldatas: [dcxFeed.interface.encodeFunctionData("setAnswer", [75_000_000n])],
        description: "Reprice DCX at $0.75",
      });
      const [roundId, answer] = await dcxFeed.latestRoundData();
      expect([roundId, answer]).to.deep.equal([2n, 75_000_000n]);
    });
  });

  describe("in the PriceOracle", function () {
    it("is DCX's feed, with the DAO's heartbeat", async function () {
      const { priceOracle, dcx, dcxFeed, deployment } = await loadFixture(feedFixture);
      const config = await priceOracle.paymentToken(dcx);
      expect(config.feed).to.equal(await dcxFeed.getAddress());
      expect(config.heartbeatSeconds).to.equal(BigInt(HEARTBEAT));
      expect(config.feedDecimals).to.equal(8n);
      expect(config.tokenDecimals).to.equal(18n);
      expect(config.enabled).to.equal(true);
      const record = deployment.paymentTokens.find((t) => t.symbol === "DCX")!;
      expect(record.priceFeed).to.equal(await dcxFeed.getAddress());
      expect(BigInt(record.tokenId)).to.equal(config.id);
    });

    it("quotes DCX at the feed's price, and at the new one once the DAO changes it", async function () {
      const { priceOracle, dcx, dcxFeed, admin } = await loadFixture(feedFixture);
      const usdE8 = PRICE_PER_HOUR_USD_E8 * 2n; // $3
      // $3 at $0.50 is 6 DCX; 1 DCX is worth $0.50.
      expect((await priceOracle.quote(dcx, usdE8))[0]).to.equal(6n * DCX);
      expect(await priceOracle.toUsd(dcx, DCX)).to.equal(INITIAL_PRICE_E8);

      await dcxFeed.connect(admin).setAnswer(2n * E8);
      expect((await priceOracle.quote(dcx, usdE8))[0]).to.equal((3n * DCX) / 2n);
      expect(await priceOracle.toUsd(dcx, DCX)).to.equal(2n * E8);
      // A price that does not divide evenly: the quote rounds up, never in the payer's favour.
      await dcxFeed.connect(admin).setAnswer(3n * E8);
      expect((await priceOracle.quote(dcx, E8))[0]).to.equal(DCX / 3n + 1n);
    });

    it("goes stale once the DAO lets a heartbeat pass without a new price, until it sets one", async function () {
      const { priceOracle, marketplace, escrow, dcx, dcxFeed, consumer, resourceId, deployedAt, admin, minSla } =
        await loadFixture(feedFixture);
      const dcxAddress = await dcx.getAddress();
      await time.increaseTo(deployedAt + BigInt(HEARTBEAT));
      expect((await priceOracle.quote(dcx, E8))[0]).to.equal(2n * DCX);

      await time.increase(1);
      await expect(priceOracle.quote(dcx, E8))
        .to.be.revertedWithCustomError(priceOracle, "PriceOracleStalePrice")
        .withArgs(dcxAddress, deployedAt, HEARTBEAT);
      await expect(priceOracle.toUsd(dcx, DCX))
        .to.be.revertedWithCustomError(priceOracle, "PriceOracleStalePrice")
        .withArgs(dcxAddress, deployedAt, HEARTBEAT);
      // Bookings in DCX stop with it.
      await dcx.connect(consumer).approve(escrow, 10n * DCX);
      await expect(marketplace.connect(consumer).book(resourceId, 2, dcx, 10n * DCX, minSla, ENCRYPTION_KEY))
        .to.be.revertedWithCustomError(priceOracle, "PriceOracleStalePrice")
        .withArgs(dcxAddress, deployedAt, HEARTBEAT);

      await dcxFeed.connect(admin).setAnswer(INITIAL_PRICE_E8);
      expect((await priceOracle.quote(dcx, E8))[0]).to.equal(2n * DCX);
    });
  });
});
