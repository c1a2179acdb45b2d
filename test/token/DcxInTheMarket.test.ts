import { expect } from "chai";

import { ENCRYPTION_KEY, PRICE_PER_HOUR_USD_E8, deployFixture, ethers, networkHelpers } from "../helpers/fixture.ts";

const { loadFixture } = networkHelpers;
const DCX = 10n ** 18n;

describe("DCX in the market", function () {
  it("is a payment token priced by its DAO-set feed", async function () {
    const f = await loadFixture(deployFixture);
    const dcxAddress = await f.dcx.getAddress();
    const entry = f.deployment.paymentTokens.find((t) => t.symbol === "DCX")!;
    expect(entry.address).to.equal(dcxAddress);
    expect(entry.priceFeed).to.equal(await f.dcxFeed.getAddress());
    // $1.50 an hour at $0.50 per DCX.
    const [amount, tokenId] = await f.priceOracle.quote(dcxAddress, PRICE_PER_HOUR_USD_E8);
    expect(amount).to.equal(3n * DCX);
    expect(tokenId).to.equal(BigInt(entry.tokenId));
  });

  it("is a bond token: a provider's DCX bond compensates the consumer when the provider walks away", async function () {
    const f = await loadFixture(deployFixture);
    const dcxAddress = await f.dcx.getAddress();
    const escrowAddress = await f.escrow.getAddress();
    const bond = 1_000n * DCX;
    await f.dcx.connect(f.provider).approve(escrowAddress, bond);
    await expect(f.escrow.connect(f.provider).depositBond(dcxAddress, bond))
      .to.emit(f.escrow, "BondDeposited")
      .withArgs(f.provider.address, dcxAddress, bond);

    const [price] = await f.priceOracle.quote(dcxAddress, PRICE_PER_HOUR_USD_E8 * 4n);
    await f.dcx.connect(f.consumer).approve(escrowAddress, price);
    await f.marketplace.connect(f.consumer).book(f.resourceId, 4, dcxAddress, price, f.minSla, ENCRYPTION_KEY);
    const bookingId = await f.marketplace.bookingCount();
    await f.confirm(bookingId);

    const slash = (price * BigInt(f.settings.bondSlashBps)) / 10_000n;
    await expect(f.marketplace.connect(f.provider).terminateBooking(bookingId))
      .to.emit(f.escrow, "BondSlashed")
      .withArgs(bookingId, f.provider.address, f.consumer.address, dcxAddress, slash);
    expect((await f.escrow.bondOf(f.provider.address, dcxAddress)).amount).to.equal(bond - slash);

    const before = await f.dcx.balanceOf(f.consumer.address);
    const owed = await f.escrow.owed(f.consumer.address, dcxAddress);
    expect(owed).to.be.greaterThan(slash);
    await f.escrow.connect(f.consumer).claim(dcxAddress);
    expect(await f.dcx.balanceOf(f.consumer.address)).to.equal(before + owed);
    expect(await ethers.provider.getBalance(escrowAddress)).to.equal(0n);
  });
});
