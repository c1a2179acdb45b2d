import { expect } from "chai";
import type { Signer } from "ethers";

import { permitTypes } from "@d-cloudx/sdk";

import { ENCRYPTION_KEY, PRICE_PER_HOUR_USD_E8, deployFixture, ethers, networkHelpers } from "../helpers/fixture.ts";

const { loadFixture, time } = networkHelpers;

const HOURS = 2;
const USD_VALUE_E8 = PRICE_PER_HOUR_USD_E8 * BigInt(HOURS);
const PERMIT_TYPES = { Permit: [...permitTypes.Permit] }; // ethers wants mutable arrays

/**
 * The deployed protocol, with the consumer (#4, who holds DCX and has approved nothing) about to
 * book two hours of the resource in DCX, and a helper that signs EIP-2612 permits.
 */
async function permitFixture() {
  const f = await deployFixture();
  const dcxToken = f.deployment.paymentTokens.find((t) => t.symbol === "DCX")!;
  expect(dcxToken.address).to.equal(await f.dcx.getAddress());
  const escrowAddress = await f.escrow.getAddress();
  const [, name, version, chainId, verifyingContract] = await f.dcx.eip712Domain();
  const domain = { name, version, chainId, verifyingContract };
  const [amount, tokenId] = await f.priceOracle.quote(f.dcx, USD_VALUE_E8);
  // Two hours at $1.50 with DCX at $0.50.
  expect(amount).to.equal(6n * 10n ** 18n);
  // A little room above the quote, as a dApp would leave for price moves.
  const maxPayment = (amount * 101n) / 100n;

  /** A permit by `owner` for `spender` (the EscrowManager unless told) to spend `value` DCX. */
  async function signPermit(
    owner: Signer,
    value: bigint,
    { spender = escrowAddress, deadline = 0n, nonce = -1n, signer = owner } = {},
  ) {
    const ownerAddress = await owner.getAddress();
    const message = {
      owner: ownerAddress,
      spender,
      value,
      nonce: nonce >= 0n ? nonce : await f.dcx.nonces(ownerAddress),
      deadline: deadline || BigInt(await time.latest()) + 3_600n,
    };
    const { v, r, s } = ethers.Signature.from(await signer.signTypedData(domain, PERMIT_TYPES, message));
    return { deadline: message.deadline, v, r, s };
  }

  /** `caller` books two hours of the resource in DCX, up to `maxPayment`, with `permit`; `change` sets other arguments. */
  function bookWithPermit(
    caller: Signer,
    permit: Awaited<ReturnType<typeof signPermit>>,
    change: { resourceId?: bigint; hours?: number; token?: string; maxPayment?: bigint; encryptionKey?: string } = {},
  ) {
    const booking = {
      resourceId: f.resourceId,
      hours: HOURS,
      token: dcxToken.address,
      maxPayment,
      encryptionKey: ENCRYPTION_KEY,
      ...change,
    };
    return f.marketplace
      .connect(caller)
      .bookWithPermit(
        booking.resourceId,
        booking.hours,
        booking.token,
        booking.maxPayment,
        f.minSla,
        booking.encryptionKey,
        permit,
      );
  }

  return { ...f, dcxAddress: dcxToken.address, escrowAddress, amount, tokenId, maxPayment, signPermit, bookWithPermit };
}

describe("ResourceMarketplace.bookWithPermit", function () {
  it("books and pays in DCX in one transaction, with a permit instead of an approval", async function () {
    const f = await loadFixture(permitFixture);
    const { marketplace, escrow, dcx, consumer, provider, resourceId, dcxAddress, amount, tokenId, maxPayment } = f;
    const { signPermit, bookWithPermit, escrowAddress } = f;
    expect(await dcx.allowance(consumer, escrowAddress)).to.equal(0n);
    const transactionsBefore = await ethers.provider.getTransactionCount(consumer);
    const nonceBefore = await dcx.nonces(consumer);
    const permit = await signPermit(consumer, maxPayment);

    const tx = bookWithPermit(consumer, permit);

    await expect(tx)
      .to.emit(marketplace, "BookingRequested")
      .withArgs(1n, resourceId, consumer.address, provider.address, USD_VALUE_E8, HOURS, ENCRYPTION_KEY)
      .and.to.emit(escrow, "Deposited")
      .withArgs(1n, consumer.address, dcxAddress, amount);
    await expect(tx).to.changeTokenBalances(ethers, dcx, [consumer, escrow], [-amount, amount]);
    await expect(tx).to.emit(dcx, "Approval").withArgs(consumer.address, escrowAddress, maxPayment);
    expect(await ethers.provider.getTransactionCount(consumer)).to.equal(transactionsBefore + 1);
    expect(await dcx.nonces(consumer)).to.equal(nonceBefore + 1n);
    // The escrow pulled the quote; what the permit allowed beyond it is left as an allowance.
    expect(await dcx.allowance(consumer, escrowAddress)).to.equal(maxPayment - amount);
    const booking = await marketplace.getBooking(1n);
    expect([booking.consumer, booking.resourceId, booking.hoursBooked, booking.tokenId]).to.deep.equal([
      consumer.address,
      resourceId,
      BigInt(HOURS),
      tokenId,
    ]);
    const deposit = await escrow.depositOf(1n);
    expect([deposit.provider, deposit.amount]).to.deep.equal([provider.address, amount]);
  });

  it("still books when someone front-runs the permit: the allowance is in place", async function () {
    const f = await loadFixture(permitFixture);
    const { marketplace, escrow, dcx, consumer, outsider, amount, maxPayment } = f;
    const { signPermit, bookWithPermit, escrowAddress } = f;
    const permit = await signPermit(consumer, maxPayment);
    await expect(
      dcx.connect(outsider).permit(consumer, escrowAddress, maxPayment, permit.deadline, permit.v, permit.r, permit.s),
    )
      .to.emit(dcx, "Approval")
      .withArgs(consumer.address, escrowAddress, maxPayment);

    const tx = bookWithPermit(consumer, permit);
    await expect(tx).to.emit(marketplace, "BookingRequested");
    await expect(tx).to.changeTokenBalances(ethers, dcx, [consumer, escrow], [-amount, amount]);
    // The permit was used once, by the front-runner.
    expect(await dcx.nonces(consumer)).to.equal(1n);
    expect(await dcx.allowance(consumer, escrowAddress)).to.equal(maxPayment - amount);
  });

  it("rejects a permit that fails when the allowance does not cover maxPayment", async function () {
    const { marketplace, dcx, consumer, outsider, dcxAddress, maxPayment, signPermit, bookWithPermit } =
      await loadFixture(permitFixture);
    const marketplaceAddress = await marketplace.getAddress();
    const now = BigInt(await time.latest());
    const failing = {
      "signed by someone else": await signPermit(consumer, maxPayment, { signer: outsider }),
      "for another spender": await signPermit(consumer, maxPayment, { spender: marketplaceAddress }),
      "for less than maxPayment": await signPermit(consumer, maxPayment - 1n),
      "for another nonce than the next": await signPermit(consumer, maxPayment, { nonce: 1n }),
      "past its deadline": await signPermit(consumer, maxPayment, { deadline: now }),
      "with a tampered signature": { ...(await signPermit(consumer, maxPayment)), s: ethers.id("tampered") },
    };
    for (const [label, permit] of Object.entries(failing)) {
      await expect(bookWithPermit(consumer, permit), label)
        .to.be.revertedWithCustomError(marketplace, "MarketplacePermitFailed")
        .withArgs(dcxAddress);
    }
    expect(await dcx.nonces(consumer)).to.equal(0n);
    expect(await marketplace.bookingCount()).to.equal(0n);
  });

  it("books with a failed permit when an earlier approval covers maxPayment, and not when it falls short", async function () {
    const {
      marketplace,
      dcx,
      consumer,
      outsider,

      dcxAddress,
      maxPayment,
      signPermit,
      bookWithPermit,
      escrowAddress,
    } = await loadFixture(permitFixture);
    const badPermit = await signPermit(consumer, maxPayment, { signer: outsider });
    await dcx.connect(consumer).approve(escrowAddress, maxPayment - 1n);
    await expect(bookWithPermit(consumer, badPermit))
      .to.be.revertedWithCustomError(marketplace, "MarketplacePermitFailed")
      .withArgs(dcxAddress);

    await dcx.connect(consumer).approve(escrowAddress, maxPayment);
    await expect(bookWithPermit(consumer, badPermit)).to.emit(marketplace, "BookingRequested");
  });

  it("does not let someone else book with a consumer's permit", async function () {
    const {
      marketplace,
      escrow,
      dcx,
      consumer,
      provider,
      outsider,
      resourceId,
      dcxAddress,
      amount,
      maxPayment,
      signPermit,
      bookWithPermit,
    } = await loadFixture(permitFixture);
    const permit = await signPermit(consumer, maxPayment);
    // The permit is checked against the caller, who holds no allowance of their own.
    await expect(bookWithPermit(outsider, permit))
      .to.be.revertedWithCustomError(marketplace, "MarketplacePermitFailed")
      .withArgs(dcxAddress);
    expect(await dcx.nonces(consumer)).to.equal(0n);
    await expect(bookWithPermit(consumer, permit))
      .to.emit(marketplace, "BookingRequested")
      .withArgs(1n, resourceId, consumer.address, provider.address, USD_VALUE_E8, HOURS, ENCRYPTION_KEY)
      .and.to.emit(escrow, "Deposited")
      .withArgs(1n, consumer.address, dcxAddress, amount);
  });

  it("refuses the native currency and addresses without code, which have no permit", async function () {
    const { marketplace, consumer, outsider, maxPayment, signPermit, bookWithPermit } =
      await loadFixture(permitFixture);
    const permit = await signPermit(consumer, maxPayment);
    for (const token of [ethers.ZeroAddress, outsider.address]) {
      await expect(bookWithPermit(consumer, permit, { token }))
        .to.be.revertedWithCustomError(marketplace, "MarketplacePermitFailed")
        .withArgs(token);
    }
  });

  it("falls back to the allowance for a token without EIP-2612", async function () {
    const { marketplace, escrow, priceOracle, localTokens, consumer, signPermit, bookWithPermit } =
      await loadFixture(permitFixture);
    const usdc = localTokens.find((t) => t.symbol === "USDC")!;
    const [amount] = await priceOracle.quote(usdc.address, USD_VALUE_E8);
    // The base fixture approves the escrow for the consumer's USDC: take that back first.
    await usdc.token!.connect(consumer).approve(escrow, 0);
    const permit = await signPermit(consumer, amount);
    await expect(bookWithPermit(consumer, permit, { token: usdc.address, maxPayment: amount }))
      .to.be.revertedWithCustomError(marketplace, "MarketplacePermitFailed")
      .withArgs(usdc.address);

    await usdc.token!.connect(consumer).approve(escrow, amount);
    await expect(bookWithPermit(consumer, permit, { token: usdc.address, maxPayment: amount })).to.changeTokenBalances(
      ethers,
      usdc.token!,
      [consumer, escrow],
      [-amount, amount],
    );
  });

  it("keeps the slippage guard: a quote above maxPayment reverts, and the permit stays unused", async function () {
    const { marketplace, dcx, consumer, amount, signPermit, bookWithPermit, escrowAddress } =
      await loadFixture(permitFixture);
    const tooLittle = amount - 1n;
    const permit = await signPermit(consumer, tooLittle);
    await expect(bookWithPermit(consumer, permit, { maxPayment: tooLittle }))
      .to.be.revertedWithCustomError(marketplace, "MarketplaceSlippage")
      .withArgs(amount, tooLittle);
    expect(await dcx.nonces(consumer)).to.equal(0n);
    expect(await dcx.allowance(consumer, escrowAddress)).to.equal(0n);
  });

  it("keeps the other booking checks after the permit", async function () {
    const { marketplace, provider, consumer, resourceId, maxPayment, signPermit, bookWithPermit } =
      await loadFixture(permitFixture);
    const permit = await signPermit(consumer, maxPayment);
    await expect(bookWithPermit(consumer, permit, { encryptionKey: ethers.ZeroHash }))
      .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidEncryptionKey")
      .withArgs(ethers.ZeroHash);
    await expect(bookWithPermit(consumer, permit, { hours: 0 }))
      .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidHours")
      .withArgs(resourceId, 0, 1, 720);
    await expect(bookWithPermit(consumer, permit, { resourceId: 99n }))
      .to.be.revertedWithCustomError(marketplace, "MarketplaceUnknownResource")
      .withArgs(99n);
    const providerPermit = await signPermit(provider, maxPayment);
    await expect(bookWithPermit(provider, providerPermit))
      .to.be.revertedWithCustomError(marketplace, "MarketplaceSelfBooking")
      .withArgs(resourceId);
  });

  it("is stopped while the marketplace is paused", async function () {
    const { marketplace, deployer, consumer, maxPayment, signPermit, bookWithPermit } =
      await loadFixture(permitFixture);
    const permit = await signPermit(consumer, maxPayment);
    await expect(marketplace.connect(deployer).pause()).to.emit(marketplace, "Paused").withArgs(deployer.address);
    await expect(bookWithPermit(consumer, permit)).to.be.revertedWithCustomError(marketplace, "MarketplacePaused");

    await marketplace.connect(deployer).unpause();
    await expect(bookWithPermit(consumer, permit)).to.emit(marketplace, "BookingRequested");
  });
});
