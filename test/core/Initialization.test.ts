import { expect } from "chai";

import { escrowSettings } from "../../scripts/lib/core.ts";
import { TEST_SETTINGS, deployFixture, ethers, networkHelpers } from "../helpers/fixture.ts";
import { deployUupsProxy } from "../helpers/proxies.ts";

const { loadFixture } = networkHelpers;

describe("Initialization", function () {
  it("refuses a zero admin", async function () {
    const { priceOracle } = await loadFixture(deployFixture);
    await expect(deployUupsProxy("PriceOracle", [ethers.ZeroAddress])).to.be.revertedWithCustomError(
      priceOracle,
      "ManagedZeroAddress",
    );
  });

  it("refuses escrow settings out of range", async function () {
    const { escrow, priceOracle, admin, treasury } = await loadFixture(deployFixture);
    const valid = escrowSettings(TEST_SETTINGS, treasury.address);
    const invalid = [
      { oracle: ethers.ZeroAddress, settings: valid },
      { oracle: await priceOracle.getAddress(), settings: { ...valid, slaPeriodSeconds: 9 } },
      { oracle: await priceOracle.getAddress(), settings: { ...valid, reportWindowSeconds: 0 } },
      { oracle: await priceOracle.getAddress(), settings: { ...valid, reportWindowSeconds: 30 * 86_400 + 1 } },
    ];
    for (const { oracle, settings } of invalid) {
      await expect(deployUupsProxy("EscrowManager", [admin.address, oracle, settings])).to.be.revertedWithCustomError(
        escrow,
        "EscrowInvalidSettings",
      );
    }
  });

  it("refuses a marketplace without its sibling contracts or with an invalid timeout", async function () {
    const { marketplace, priceOracle, escrow, reputation, admin } = await loadFixture(deployFixture);
    const [oracle, vault, record] = await Promise.all([
      priceOracle.getAddress(),
      escrow.getAddress(),
      reputation.getAddress(),
    ]);
    for (const siblings of [
      [ethers.ZeroAddress, vault, record],
      [oracle, ethers.ZeroAddress, record],
      [oracle, vault, ethers.ZeroAddress],
    ]) {
      await expect(
        deployUupsProxy("ResourceMarketplace", [admin.address, ...siblings, 300]),
      ).to.be.revertedWithCustomError(marketplace, "ManagedZeroAddress");
    }
    await expect(deployUupsProxy("ResourceMarketplace", [admin.address, oracle, vault, record, 30]))
      .to.be.revertedWithCustomError(marketplace, "MarketplaceInvalidTimeout")
      .withArgs(30);
  });

  it("refuses SLA enforcement without its sibling contracts or with an unreachable quorum", async function () {
    const { sla, marketplace, escrow, reputation, admin, oracleA } = await loadFixture(deployFixture);
    const [market, vault, record] = await Promise.all([
      marketplace.getAddress(),
      escrow.getAddress(),
      reputation.getAddress(),
    ]);
    const policy = [TEST_SETTINGS.baseCreditBps, TEST_SETTINGS.creditTiers];
    await expect(
      deployUupsProxy("SLAEnforcement", [
        admin.address,
        ethers.ZeroAddress,
        vault,
        record,
        [oracleA.address],
        1,
        ...policy,
      ]),
    ).to.be.revertedWithCustomError(sla, "ManagedZeroAddress");
    await expect(
      deployUupsProxy("SLAEnforcement", [admin.address, market, vault, record, [oracleA.address], 2, ...policy]),
    )
      .to.be.revertedWithCustomError(sla, "QuorumInvalid")
      .withArgs(2, 1);
  });
});
