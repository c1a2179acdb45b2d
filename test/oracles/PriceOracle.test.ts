import { expect } from "chai";

import type { MockERC20, MockV3Aggregator, PriceOracle } from "../../types/ethers-contracts/index.ts";
import { ethers, networkHelpers } from "../helpers/fixture.ts";
import { deployUupsProxy } from "../helpers/proxies.ts";

const { loadFixture, time } = networkHelpers;

const HEARTBEAT = 3_600;
const GRACE_PERIOD = 3_600;
const E8 = 10n ** 8n;
/** Sequencer uptime feeds answer 0 while the sequencer is up and 1 while it is down. */
const SEQUENCER_UP = 0n;
const SEQUENCER_DOWN = 1n;

/** Rounds `numerator / denominator` up, for expected quotes computed independently of PriceMath. */
function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

/** A fresh oracle (only the native currency's id reserved), a USD feed, an ETH feed and three tokens. */
async function deployOracleFixture() {
  const [admin, other] = await ethers.getSigners();
  const oracle = await deployUupsProxy<PriceOracle>("PriceOracle", [admin.address]);
  const ethFeed = await ethers.deployContract("MockV3Aggregator", [8, 3_000n * E8]);
  const usdFeed = await ethers.deployContract("MockV3Aggregator", [8, E8]);
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const wbtc = await ethers.deployContract("MockERC20", ["Wrapped BTC", "WBTC", 8]);
  const dai = await ethers.deployContract("MockERC20", ["Dai", "DAI", 18]);
  return { oracle, ethFeed, usdFeed, usdc, wbtc, dai, admin, other };
}

/** The fixture with the native currency, USDC and DAI configured (ids 0, 1, 2). */
async function configuredOracleFixture() {
  const f = await deployOracleFixture();
  await f.oracle.setPaymentToken(ethers.ZeroAddress, f.ethFeed, HEARTBEAT);
  await f.oracle.setPaymentToken(f.usdc, f.usdFeed, HEARTBEAT);
  await f.oracle.setPaymentToken(f.dai, f.usdFeed, HEARTBEAT);
  return f;
}

async function deployFeed(decimals: number, answer: bigint): Promise<MockV3Aggregator> {
  return ethers.deployContract("MockV3Aggregator", [decimals, answer]);
}

async function deployToken(decimals: number): Promise<MockERC20> {
  return ethers.deployContract("MockERC20", [`Token ${decimals}`, `T${decimals}`, decimals]);
}

describe("PriceOracle", function () {
  describe("aggregator bounds", function () {
    /** A USDC feed clamped to $0.10 – $10, as an OCR aggregator behind a Chainlink proxy is. */
    async function boundedFixture() {
      const f = await deployOracleFixture();
      const feed = await ethers.deployContract("MockBoundedAggregator", [8, E8, E8 / 10n, 10n * E8]);
      await f.oracle.setPaymentToken(f.usdc, feed, HEARTBEAT);
      return { ...f, feed };
    }

    it("reads the bounds when the token is configured, and refuses answers at or beyond them", async function () {
      const { oracle, feed, usdc } = await loadFixture(boundedFixture);
      const token = await usdc.getAddress();
      expect((await oracle.paymentToken(usdc)).bounded).to.equal(true);
      expect(await oracle.priceBounds(usdc)).to.deep.equal([E8 / 10n, 10n * E8]);
      expect((await oracle.quote(usdc, E8))[0]).to.equal(1_000_000n);
      // The market crashes to $0.01: the aggregator keeps reporting its floor, $0.10.
      for (const answer of [E8 / 10n, 10n * E8]) {
        await feed.updateAnswer(answer);
        await expect(oracle.quote(usdc, E8))
          .to.be.revertedWithCustomError(oracle, "PriceOracleAnswerOutOfBounds")
          .withArgs(token, answer, E8 / 10n, 10n * E8);
        await expect(oracle.toUsd(usdc, 1_000_000n)).to.be.revertedWithCustomError(
          oracle,
          "PriceOracleAnswerOutOfBounds",
        );
        await expect(oracle.usdPrice(usdc)).to.be.revertedWithCustomError(oracle, "PriceOracleAnswerOutOfBounds");
      }
      await feed.updateAnswer(E8 / 10n + 1n);
      expect((await oracle.quote(usdc, E8))[0]).to.equal(ceilDiv(10n ** 14n, E8 / 10n + 1n));
    });

    it("lets anyone read the bounds again when the aggregator changes", async function () {
      const { oracle, feed, usdc, other } = await loadFixture(boundedFixture);
      await feed.setBounds(E8 / 2n, 2n * E8);
      await expect(oracle.connect(other).refreshPriceBounds(usdc))
        .to.emit(oracle, "PriceBoundsUpdated")
        .withArgs(await usdc.getAddress(), true, E8 / 2n, 2n * E8);
      await feed.updateAnswer(E8 / 2n);
      await expect(oracle.quote(usdc, E8)).to.be.revertedWithCustomError(oracle, "PriceOracleAnswerOutOfBounds");
      await expect(oracle.refreshPriceBounds(await other.getAddress()))
        .to.be.revertedWithCustomError(oracle, "PriceOracleUnsupportedToken")
        .withArgs(other.address);
    });

    it("treats feeds without reachable bounds as unbounded, at no extra cost", async function () {
      const { oracle, usdc, dai, usdFeed } = await loadFixture(deployOracleFixture);
      // A plain feed has no aggregator(); an OCR2 feed with a floor of 1 and a huge ceiling has none to reach.
      const loose = await ethers.deployContract("MockBoundedAggregator", [8, E8, 1n, 2n ** 190n]);
      await expect(oracle.setPaymentToken(usdc, usdFeed, HEARTBEAT))
        .to.emit(oracle, "PriceBoundsUpdated")
        .withArgs(await usdc.getAddress(), false, 0n, 2n ** 127n - 1n);
      await oracle.setPaymentToken(dai, loose, HEARTBEAT);
      expect((await oracle.paymentToken(usdc)).bounded).to.equal(false);
      expect((await oracle.paymentToken(dai)).bounded).to.equal(false);
      expect(await oracle.priceBounds(dai)).to.deep.equal([0n, 0n]);
    });

    it("gives the raw checked price with its decimals", async function () {
      const { oracle, usdc, usdFeed } = await loadFixture(deployOracleFixture);
      await oracle.setPaymentToken(usdc, usdFeed, HEARTBEAT);
      expect(await oracle.usdPrice(usdc)).to.deep.equal([E8, 8n, 6n]);
    });
  });

  describe("setPaymentToken", function () {
    it("describes an ERC-20 by its symbol and name, and a token without readable ones by empty strings", async function () {
      const { oracle, usdFeed, usdc } = await loadFixture(deployOracleFixture);
      await expect(oracle.setPaymentToken(usdc, usdFeed, HEARTBEAT))
        .to.emit(oracle, "PaymentTokenDescribed")
        .withArgs(await usdc.getAddress(), "USDC", "USD Coin");

      // A contract with decimals() but no symbol() or name(), and a token whose name is too long.
      const bare = await deployFeed(8, 1n);
      await expect(oracle.setPaymentToken(bare, usdFeed, HEARTBEAT))
        .to.emit(oracle, "PaymentTokenDescribed")
        .withArgs(await bare.getAddress(), "", "");
      const wordy = await ethers.deployContract("MockERC20", ["N".repeat(65), "WORDY", 18]);
      await expect(oracle.setPaymentToken(wordy, usdFeed, HEARTBEAT))
        .to.emit(oracle, "PaymentTokenDescribed")
        .withArgs(await wordy.getAddress(), "WORDY", "");
      await expect(oracle.setPaymentToken(ethers.ZeroAddress, usdFeed, HEARTBEAT)).not.to.emit(
        oracle,
        "PaymentTokenDescribed",
      );
    });

    it("gives the native currency id 0 and ERC-20s ids 1, 2, … in the order they are first added", async function () {
      const { oracle, ethFeed, usdFeed, usdc, dai } = await loadFixture(deployOracleFixture);

      expect(await oracle.setPaymentToken.staticCall(usdc, usdFeed, HEARTBEAT)).to.equal(1n);
      await expect(oracle.setPaymentToken(usdc, usdFeed, HEARTBEAT))
        .to.emit(oracle, "PaymentTokenConfigured")
        .withArgs(await usdc.getAddress(), 1, await usdFeed.getAddress(), HEARTBEAT, 8, 6);
      await expect(oracle.setPaymentToken(dai, usdFeed, 2 * HEARTBEAT))
        .to.emit(oracle, "PaymentTokenConfigured")
        .withArgs(await dai.getAddress(), 2, await usdFeed.getAddress(), 2 * HEARTBEAT, 8, 18);
      // Added last, the native currency still takes the id reserved for it.
      expect(await oracle.setPaymentToken.staticCall(ethers.ZeroAddress, ethFeed, HEARTBEAT)).to.equal(0n);
      await expect(oracle.setPaymentToken(ethers.ZeroAddress, ethFeed, HEARTBEAT))
        .to.emit(oracle, "PaymentTokenConfigured")
        .withArgs(ethers.ZeroAddress, 0, await ethFeed.getAddress(), HEARTBEAT, 8, 18);

      expect(await oracle.paymentTokens()).to.deep.equal([
        ethers.ZeroAddress,
        await usdc.getAddress(),
        await dai.getAddress(),
      ]);
      expect(await oracle.tokenAddress(0)).to.equal(ethers.ZeroAddress);
      expect(await oracle.tokenAddress(1)).to.equal(await usdc.getAddress());
      expect(await oracle.tokenAddress(2)).to.equal(await dai.getAddress());
      expect([...(await oracle.paymentToken(dai))]).to.deep.equal([
        await usdFeed.getAddress(),
        BigInt(2 * HEARTBEAT),
        8n,
        18n,
        2n,
        true,
        false,
      ]);
      expect([...(await oracle.paymentToken(ethers.ZeroAddress))]).to.deep.equal([
        await ethFeed.getAddress(),
        BigInt(HEARTBEAT),
        8n,
        18n,
        0n,
        true,
        false,
      ]);
    });

    it("keeps a token's id when its feed is replaced, enables it again, and never reuses ids", async function () {
      const { oracle, usdc, dai, wbtc } = await loadFixture(configuredOracleFixture);
      await oracle.disablePaymentToken(usdc);
      const feed18 = await deployFeed(18, 10n ** 18n);

      expect(await oracle.setPaymentToken.staticCall(usdc, feed18, 60)).to.equal(1n);
      await expect(oracle.setPaymentToken(usdc, feed18, 60))
        .to.emit(oracle, "PaymentTokenConfigured")
        .withArgs(await usdc.getAddress(), 1, await feed18.getAddress(), 60, 18, 6);
      expect([...(await oracle.paymentToken(usdc))]).to.deep.equal([
        await feed18.getAddress(),
        60n,
        18n,
        6n,
        1n,
        true,
        false,
      ]);

      await oracle.disablePaymentToken(dai);
      await expect(oracle.setPaymentToken(wbtc, feed18, 60))
        .to.emit(oracle, "PaymentTokenConfigured")
        .withArgs(await wbtc.getAddress(), 3, await feed18.getAddress(), 60, 18, 8);
      expect(await oracle.paymentTokens()).to.have.length(4);
    });

    it("rejects a zero heartbeat", async function () {
      const { oracle, usdFeed, usdc } = await loadFixture(deployOracleFixture);
      await expect(oracle.setPaymentToken(usdc, usdFeed, 0))
        .to.be.revertedWithCustomError(oracle, "PriceOracleInvalidHeartbeat")
        .withArgs(0);
    });

    it("rejects a feed that is not a contract, has no decimals() or has more than 36 decimals", async function () {
      const { oracle, usdc, other } = await loadFixture(deployOracleFixture);
      await expect(oracle.setPaymentToken(usdc, other.address, HEARTBEAT))
        .to.be.revertedWithCustomError(oracle, "PriceOracleInvalidFeed")
        .withArgs(other.address);
      // Tokens and feeds both have decimals(); the oracle itself stands in for a contract without it.
      const noDecimals = await oracle.getAddress();
      await expect(oracle.setPaymentToken(usdc, noDecimals, HEARTBEAT))
        .to.be.revertedWithCustomError(oracle, "PriceOracleInvalidFeed")
        .withArgs(noDecimals);
      const feed37 = await deployFeed(37, 1n);
      await expect(oracle.setPaymentToken(usdc, feed37, HEARTBEAT))
        .to.be.revertedWithCustomError(oracle, "PriceOracleInvalidFeed")
        .withArgs(await feed37.getAddress());

      const feed36 = await deployFeed(36, 10n ** 36n);
      await expect(oracle.setPaymentToken(usdc, feed36, HEARTBEAT)).to.emit(oracle, "PaymentTokenConfigured");
    });

    it("rejects a token that is not a contract, has no decimals() or has more than 36 decimals", async function () {
      const { oracle, usdFeed, other } = await loadFixture(deployOracleFixture);
      await expect(oracle.setPaymentToken(other.address, usdFeed, HEARTBEAT))
        .to.be.revertedWithCustomError(oracle, "PriceOracleInvalidToken")
        .withArgs(other.address);
      const noDecimals = await oracle.getAddress();
      await expect(oracle.setPaymentToken(noDecimals, usdFeed, HEARTBEAT))
        .to.be.revertedWithCustomError(oracle, "PriceOracleInvalidToken")
        .withArgs(noDecimals);
      const token37 = await deployToken(37);
      await expect(oracle.setPaymentToken(token37, usdFeed, HEARTBEAT))
        .to.be.revertedWithCustomError(oracle, "PriceOracleInvalidToken")
        .withArgs(await token37.getAddress());
      // A rejected token must not have used up an id.
      expect(await oracle.paymentTokens()).to.deep.equal([ethers.ZeroAddress]);

      const token36 = await deployToken(36);
      await expect(oracle.setPaymentToken(token36, usdFeed, HEARTBEAT))
        .to.emit(oracle, "PaymentTokenConfigured")
        .withArgs(await token36.getAddress(), 1, await usdFeed.getAddress(), HEARTBEAT, 8, 36);
    });

    it("hands out 64 ids at most: the native currency's and 63 ERC-20s'", async function () {
      const { oracle, usdFeed } = await loadFixture(deployOracleFixture);
      const tokens: string[] = [];
      for (let id = 1; id < 64; ++id) {
        const token = await deployToken(18);
        await oracle.setPaymentToken(token, usdFeed, HEARTBEAT);
        tokens.push(await token.getAddress());
      }
      expect(await oracle.tokenAddress(63)).to.equal(tokens[62]);

      const extra = await deployToken(18);
      await expect(oracle.setPaymentToken(extra, usdFeed, HEARTBEAT)).to.be.revertedWithCustomError(
        oracle,
        "PriceOracleTooManyTokens",
      );
      await expect(oracle.tokenAddress(64))
        .to.be.revertedWithCustomError(oracle, "PriceOracleUnknownTokenId")
        .withArgs(64);

      // Tokens that already have an id can still be reconfigured when every id is taken.
      await expect(oracle.setPaymentToken(tokens[62], usdFeed, 2 * HEARTBEAT))
        .to.emit(oracle, "PaymentTokenConfigured")
        .withArgs(tokens[62], 63, await usdFeed.getAddress(), 2 * HEARTBEAT, 8, 18);
      await expect(oracle.setPaymentToken(ethers.ZeroAddress, usdFeed, HEARTBEAT))
        .to.emit(oracle, "PaymentTokenConfigured")
        .withArgs(ethers.ZeroAddress, 0, await usdFeed.getAddress(), HEARTBEAT, 8, 18);
      // The highest id still fits in the 64-bit mask.
      expect(await oracle.tokenMask([ethers.ZeroAddress, ...tokens])).to.equal(2n ** 64n - 1n);
    });

    it("lets only the admin configure payment tokens and the sequencer feed", async function () {
      const { oracle, usdFeed, usdc, other } = await loadFixture(configuredOracleFixture);
      const asOther = oracle.connect(other);
      const adminRole = await oracle.DEFAULT_ADMIN_ROLE();
      await expect(asOther.setPaymentToken(usdc, usdFeed, HEARTBEAT))
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, adminRole);
      await expect(asOther.disablePaymentToken(usdc))
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, adminRole);
      await expect(asOther.setSequencerUptimeFeed(usdFeed, GRACE_PERIOD))
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, adminRole);
      // The upgrader role, held by the admin too, is no configuration right.
      await oracle.grantRole(await oracle.UPGRADER_ROLE(), other.address);
      await expect(asOther.disablePaymentToken(usdc))
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(other.address, adminRole);
    });
  });

  describe("disablePaymentToken", function () {
    it("stops quotes and masks in the token but still values it in USD for existing bookings", async function () {
      const { oracle, usdc } = await loadFixture(configuredOracleFixture);
      const usdcAddress = await usdc.getAddress();
      await expect(oracle.disablePaymentToken(usdc)).to.emit(oracle, "PaymentTokenDisabled").withArgs(usdcAddress, 1);

      expect((await oracle.paymentToken(usdc)).enabled).to.equal(false);
      await expect(oracle.quote(usdc, E8))
        .to.be.revertedWithCustomError(oracle, "PriceOracleUnsupportedToken")
        .withArgs(usdcAddress);
      await expect(oracle.tokenMask([usdc]))
        .to.be.revertedWithCustomError(oracle, "PriceOracleUnsupportedToken")
        .withArgs(usdcAddress);
      expect(await oracle.toUsd(usdc, 2_500_000n)).to.equal(250_000_000n);
      expect(await oracle.tokenAddress(1)).to.equal(usdcAddress);
    });

    it("rejects a token that was never added or is already disabled", async function () {
      const { oracle, usdc, wbtc } = await loadFixture(configuredOracleFixture);
      await expect(oracle.disablePaymentToken(wbtc))
        .to.be.revertedWithCustomError(oracle, "PriceOracleUnsupportedToken")
        .withArgs(await wbtc.getAddress());
      await oracle.disablePaymentToken(usdc);
      await expect(oracle.disablePaymentToken(usdc))
        .to.be.revertedWithCustomError(oracle, "PriceOracleUnsupportedToken")
        .withArgs(await usdc.getAddress());
    });

    it("disables the native currency like any other token", async function () {
      const { oracle } = await loadFixture(configuredOracleFixture);
      await expect(oracle.disablePaymentToken(ethers.ZeroAddress))
        .to.emit(oracle, "PaymentTokenDisabled")
        .withArgs(ethers.ZeroAddress, 0);
      await expect(oracle.quote(ethers.ZeroAddress, E8))
        .to.be.revertedWithCustomError(oracle, "PriceOracleUnsupportedToken")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("tokenMask", function () {
    it("sets the bit of each token's id", async function () {
      const { oracle, usdc, dai } = await loadFixture(configuredOracleFixture);
      expect(await oracle.tokenMask([])).to.equal(0n);
      expect(await oracle.tokenMask([ethers.ZeroAddress])).to.equal(0b001n);
      expect(await oracle.tokenMask([ethers.ZeroAddress, dai])).to.equal(0b101n);
      expect(await oracle.tokenMask([dai, usdc, dai])).to.equal(0b110n);
    });

    it("rejects a token that is not an enabled payment token", async function () {
      const { oracle, usdc, wbtc } = await loadFixture(configuredOracleFixture);
      await expect(oracle.tokenMask([usdc, wbtc]))
        .to.be.revertedWithCustomError(oracle, "PriceOracleUnsupportedToken")
        .withArgs(await wbtc.getAddress());
    });
  });

  describe("token ids", function () {
    it("reserves id 0 for the native currency before anything is configured", async function () {
      const { oracle } = await loadFixture(deployOracleFixture);
      expect(await oracle.paymentTokens()).to.deep.equal([ethers.ZeroAddress]);
      expect(await oracle.tokenAddress(0)).to.equal(ethers.ZeroAddress);
      await expect(oracle.tokenAddress(1))
        .to.be.revertedWithCustomError(oracle, "PriceOracleUnknownTokenId")
        .withArgs(1);
      await expect(oracle.tokenAddress(255))
        .to.be.revertedWithCustomError(oracle, "PriceOracleUnknownTokenId")
        .withArgs(255);
      // Reserved is not configured: no feed yet, so no price.
      expect([...(await oracle.paymentToken(ethers.ZeroAddress))]).to.deep.equal([
        ethers.ZeroAddress,
        0n,
        0n,
        0n,
        0n,
        false,
        false,
      ]);
      await expect(oracle.quote(ethers.ZeroAddress, E8))
        .to.be.revertedWithCustomError(oracle, "PriceOracleUnsupportedToken")
        .withArgs(ethers.ZeroAddress);
      await expect(oracle.toUsd(ethers.ZeroAddress, 1n))
        .to.be.revertedWithCustomError(oracle, "PriceOracleUnsupportedToken")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("quote and toUsd", function () {
    it("rounds quotes up against the payer and USD values down", async function () {
      const { oracle } = await loadFixture(deployOracleFixture);
      const threeDollars = await deployFeed(8, 3n * E8);
      // $1 at $3 a token is a third of a token: the payer is charged the next unit up.
      const cases = [
        { decimals: 6, quote: 333_334n, quoteValueE8: 100_000_200n, belowValueE8: 99_999_900n },
        { decimals: 8, quote: 33_333_334n, quoteValueE8: 100_000_002n, belowValueE8: 99_999_999n },
        // 1.000000000000000002 USD and 0.999999999999999999 USD, both rounded down to 8 decimals.
        { decimals: 18, quote: 333_333_333_333_333_334n, quoteValueE8: 100_000_000n, belowValueE8: 99_999_999n },
      ];
      for (const { decimals, quote, quoteValueE8, belowValueE8 } of cases) {
        const token = await deployToken(decimals);
        await oracle.setPaymentToken(token, threeDollars, HEARTBEAT);
        const [amount] = await oracle.quote(token, E8);
        expect(amount).to.equal(quote, `${decimals} decimals`);
        expect(await oracle.toUsd(token, amount)).to.equal(quoteValueE8, `${decimals} decimals`);
        expect(await oracle.toUsd(token, amount - 1n)).to.equal(belowValueE8, `${decimals} decimals`);
      }
    });

    it("prices the native currency as an 18-decimal token with id 0", async function () {
      const { oracle, ethFeed } = await loadFixture(deployOracleFixture);
      await oracle.setPaymentToken(ethers.ZeroAddress, ethFeed, HEARTBEAT);
      // $1.50 at $3,000 is 0.0005 ETH.
      expect(await oracle.quote(ethers.ZeroAddress, 150_000_000n)).to.deep.equal([5n * 10n ** 14n, 0n]);
      expect(await oracle.toUsd(ethers.ZeroAddress, 10n ** 18n)).to.equal(3_000n * E8);
      expect(await oracle.quote(ethers.ZeroAddress, 0n)).to.deep.equal([0n, 0n]);
    });

    // $1,234.567891 has six decimals, so every feed below can state it exactly.
    const PRICE_E6 = 1_234_567_891n;
    const USD_VALUES_E8 = [1n, 150_000_000n, 108_000_000_000n, 10n ** 20n];

    for (const tokenDecimals of [6, 8, 18]) {
      for (const feedDecimals of [6, 8, 18]) {
        it(`converts a ${tokenDecimals}-decimal token on a ${feedDecimals}-decimal feed`, async function () {
          const { oracle } = await loadFixture(deployOracleFixture);
          const token = await deployToken(tokenDecimals);
          const answer = (PRICE_E6 * 10n ** BigInt(feedDecimals)) / 10n ** 6n;
          const feed = await deployFeed(feedDecimals, answer);
          await oracle.setPaymentToken(token, feed, HEARTBEAT);
          const unit = 10n ** BigInt(tokenDecimals);

          for (const usdE8 of USD_VALUES_E8) {
            // usd / price, in token units, with the price taken at its 6-decimal face value.
            const expected = ceilDiv(usdE8 * unit * 10n ** 6n, PRICE_E6 * E8);
            const [amount, tokenId] = await oracle.quote(token, usdE8);
            expect(amount).to.equal(expected, `quote of ${usdE8}`);
            expect(tokenId).to.equal(1n);
            // The quote is the least amount worth the USD value.
            expect(await oracle.toUsd(token, amount)).to.be.gte(usdE8);
            expect(await oracle.toUsd(token, amount - 1n)).to.be.lt(usdE8);
          }
          for (const amount of [1n, unit, 123_456_789n * unit]) {
            const expected = (amount * PRICE_E6 * E8) / (unit * 10n ** 6n);
            expect(await oracle.toUsd(token, amount)).to.equal(expected, `value of ${amount}`);
          }
        });
      }
    }
  });

  describe("feed checks", function () {
    it("accepts an answer as old as the heartbeat and rejects an older one", async function () {
      const { oracle, usdFeed, usdc } = await loadFixture(configuredOracleFixture);
      const usdcAddress = await usdc.getAddress();
      const now = await time.latest();

      // Calls run at the latest block's timestamp: pinning each update's block pins the age the oracle sees.
      await time.setNextBlockTimestamp(now + 1);
      await usdFeed.updateRoundData(2, E8, now + 1 - HEARTBEAT, now + 1 - HEARTBEAT);
      expect((await oracle.quote(usdc, E8))[0]).to.equal(1_000_000n);

      await time.setNextBlockTimestamp(now + 2);
      await usdFeed.updateRoundData(3, E8, now + 1 - HEARTBEAT, now + 1 - HEARTBEAT);
      await expect(oracle.quote(usdc, E8))
        .to.be.revertedWithCustomError(oracle, "PriceOracleStalePrice")
        .withArgs(usdcAddress, now + 1 - HEARTBEAT, HEARTBEAT);
      await expect(oracle.toUsd(usdc, 1n))
        .to.be.revertedWithCustomError(oracle, "PriceOracleStalePrice")
        .withArgs(usdcAddress, now + 1 - HEARTBEAT, HEARTBEAT);
    });

    it("turns a price stale once the heartbeat passes without an update", async function () {
      const { oracle, usdFeed, dai } = await loadFixture(configuredOracleFixture);
      const updatedAt = await usdFeed.latestTimestamp();
      await time.increaseTo(updatedAt + BigInt(HEARTBEAT) + 1n);
      await expect(oracle.quote(dai, E8))
        .to.be.revertedWithCustomError(oracle, "PriceOracleStalePrice")
        .withArgs(await dai.getAddress(), updatedAt, HEARTBEAT);

      await usdFeed.updateAnswer(E8);
      expect((await oracle.quote(dai, E8))[0]).to.equal(10n ** 18n);
    });

    it("rejects a round that has not finished", async function () {
      const { oracle, usdFeed, usdc } = await loadFixture(configuredOracleFixture);
      const now = await time.latest();
      await usdFeed.updateRoundData(7, E8, 0, now);
      await expect(oracle.quote(usdc, E8))
        .to.be.revertedWithCustomError(oracle, "PriceOracleRoundIncomplete")
        .withArgs(await usdc.getAddress(), 7);
      await expect(oracle.toUsd(usdc, 1n))
        .to.be.revertedWithCustomError(oracle, "PriceOracleRoundIncomplete")
        .withArgs(await usdc.getAddress(), 7);
    });

    it("rejects an update time in the future", async function () {
      const { oracle, usdFeed, usdc } = await loadFixture(configuredOracleFixture);
      const future = (await time.latest()) + 100;
      await usdFeed.updateRoundData(8, E8, future, future);
      await expect(oracle.quote(usdc, E8))
        .to.be.revertedWithCustomError(oracle, "PriceOracleFutureTimestamp")
        .withArgs(await usdc.getAddress(), future);
    });

    it("rejects a zero or negative answer", async function () {
      const { oracle, usdFeed, usdc } = await loadFixture(configuredOracleFixture);
      const usdcAddress = await usdc.getAddress();
      for (const answer of [0n, -1n, -E8]) {
        await usdFeed.updateAnswer(answer);
        await expect(oracle.quote(usdc, E8))
          .to.be.revertedWithCustomError(oracle, "PriceOracleInvalidAnswer")
          .withArgs(usdcAddress, answer);
        await expect(oracle.toUsd(usdc, 1n))
          .to.be.revertedWithCustomError(oracle, "PriceOracleInvalidAnswer")
          .withArgs(usdcAddress, answer);
      }
    });
  });

  describe("L2 sequencer uptime feed", function () {
    /** The configured oracle on an L2 whose sequencer has been up for longer than the grace period. */
    async function sequencerFixture() {
      const f = await configuredOracleFixture();
      const sequencer = await deployFeed(0, SEQUENCER_UP);
      await f.oracle.setSequencerUptimeFeed(sequencer, GRACE_PERIOD);
      await time.increase(GRACE_PERIOD + 1);
      // Keep the price feeds fresh after the time travel.
      await f.ethFeed.updateAnswer(3_000n * E8);
      await f.usdFeed.updateAnswer(E8);
      return { ...f, sequencer };
    }

    it("is set and cleared by the admin", async function () {
      const { oracle } = await loadFixture(configuredOracleFixture);
      const sequencer = await deployFeed(0, SEQUENCER_UP);
      await expect(oracle.setSequencerUptimeFeed(sequencer, GRACE_PERIOD))
        .to.emit(oracle, "SequencerUptimeFeedUpdated")
        .withArgs(await sequencer.getAddress(), GRACE_PERIOD);
      await expect(oracle.setSequencerUptimeFeed(ethers.ZeroAddress, 0))
        .to.emit(oracle, "SequencerUptimeFeedUpdated")
        .withArgs(ethers.ZeroAddress, 0);
    });

    it("rejects a sequencer feed that is not a feed, or a zero grace period", async function () {
      const { oracle, other } = await loadFixture(configuredOracleFixture);
      await expect(oracle.setSequencerUptimeFeed(other.address, GRACE_PERIOD))
        .to.be.revertedWithCustomError(oracle, "PriceOracleInvalidFeed")
        .withArgs(other.address);
      const noDecimals = await oracle.getAddress();
      await expect(oracle.setSequencerUptimeFeed(noDecimals, GRACE_PERIOD))
        .to.be.revertedWithCustomError(oracle, "PriceOracleInvalidFeed")
        .withArgs(noDecimals);
      const sequencer = await deployFeed(0, SEQUENCER_UP);
      await expect(oracle.setSequencerUptimeFeed(sequencer, 0))
        .to.be.revertedWithCustomError(oracle, "PriceOracleInvalidHeartbeat")
        .withArgs(0);
    });

    it("prices tokens while the sequencer is up", async function () {
      const { oracle, usdc } = await loadFixture(sequencerFixture);
      expect((await oracle.quote(usdc, E8))[0]).to.equal(1_000_000n);
      expect(await oracle.toUsd(usdc, 1_000_000n)).to.equal(E8);
    });

    it("refuses prices while the sequencer is down", async function () {
      const { oracle, sequencer, usdc } = await loadFixture(sequencerFixture);
      await sequencer.updateAnswer(SEQUENCER_DOWN);
      await expect(oracle.quote(usdc, E8)).to.be.revertedWithCustomError(oracle, "PriceOracleSequencerDown");
      await expect(oracle.toUsd(usdc, 1n)).to.be.revertedWithCustomError(oracle, "PriceOracleSequencerDown");

      // Without a sequencer feed (L1, local chains) nothing is checked.
      await oracle.setSequencerUptimeFeed(ethers.ZeroAddress, 0);
      expect((await oracle.quote(usdc, E8))[0]).to.equal(1_000_000n);
    });

    it("treats an uninitialized sequencer feed as down", async function () {
      const { oracle, sequencer, usdc } = await loadFixture(sequencerFixture);
      await sequencer.updateRoundData(5, SEQUENCER_UP, await time.latest(), 0);
      await expect(oracle.quote(usdc, E8)).to.be.revertedWithCustomError(oracle, "PriceOracleSequencerDown");
    });

    it("refuses prices for the grace period after the sequencer restarts", async function () {
      const { oracle, sequencer, usdFeed, usdc } = await loadFixture(sequencerFixture);
      await sequencer.updateAnswer(SEQUENCER_UP);
      const restartedAt = await time.latest();

      await expect(oracle.quote(usdc, E8))
        .to.be.revertedWithCustomError(oracle, "PriceOracleSequencerGracePeriod")
        .withArgs(restartedAt, GRACE_PERIOD);
      await time.increaseTo(restartedAt + GRACE_PERIOD);
      await expect(oracle.toUsd(usdc, 1n))
        .to.be.revertedWithCustomError(oracle, "PriceOracleSequencerGracePeriod")
        .withArgs(restartedAt, GRACE_PERIOD);

      // One second later the sequencer has been up longer than the grace period.
      await time.setNextBlockTimestamp(restartedAt + GRACE_PERIOD + 1);
      await usdFeed.updateAnswer(E8);
      expect((await oracle.quote(usdc, E8))[0]).to.equal(1_000_000n);
    });
  });
});
