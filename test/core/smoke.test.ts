import { expect } from "chai";
import { deployMarketplaceFixture, networkHelpers } from "../helpers/fixture.ts";

describe("smoke", function () {
  it("books", async function () {
    const f = await networkHelpers.loadFixture(deployMarketplaceFixture);
    const { bookingId } = await f.bookActive();
    expect(bookingId).to.equal(1n);
    await expect(f.marketplace.connect(f.other).cancelBooking(bookingId))
      .to.be.revertedWithCustomError(f.marketplace, "MarketplaceInvalidBookingStatus")
      .withArgs(bookingId, 2);
  });
});
