import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { renewalBlockedBy, renewalTip, renewalWindowSeconds, runwayState } from "../src/runway.ts";

describe("runway rules", () => {
  it("runs until the funded end, is in grace until the grace ends, then lapses", () => {
    assert.equal(runwayState("active", 1_000, 1_180, 999), "running");
    assert.equal(runwayState("active", 1_000, 1_180, 1_000), "grace");
    assert.equal(runwayState("active", 1_000, 1_180, 1_179), "grace");
    assert.equal(runwayState("active", 1_000, 1_180, 1_180), "lapsed");
    // Without a grace period the booking lapses at its end.
    assert.equal(runwayState("active", 1_000, 1_000, 1_000), "lapsed");
    assert.equal(runwayState("requested", null, null, 5), "requested");
    assert.equal(runwayState("closed", 1_000, 1_180, 1_100), "closed");
  });

  it("opens the renewal window at most one renewal's hours before the end", () => {
    assert.equal(renewalWindowSeconds(6 * 3_600, 1), 3_600);
    assert.equal(renewalWindowSeconds(1_800, 2), 1_800);
  });

  it("takes the tip rounded down", () => {
    assert.equal(renewalTip(999n, 100), 9n);
    assert.equal(renewalTip(1_000n, 0), 0n);
  });

  it("rules a renewal out in renew's order: price, price feed, budget, allowance, balance", () => {
    const funds = {
      pricePerHourUsdE8: 150_000_000n,
      maxPricePerHourUsdE8: 150_000_000n,
      amount: 1_500_000n,
      tip: 15_000n,
      budgetLeft: 1_515_000n,
      allowance: 1_515_000n,
      balance: 1_515_000n,
    };
    assert.equal(renewalBlockedBy(funds), null);
    assert.equal(renewalBlockedBy({ ...funds, balance: 1_514_999n }), "INSUFFICIENT_BALANCE");
    assert.equal(renewalBlockedBy({ ...funds, allowance: 0n, balance: 0n }), "INSUFFICIENT_ALLOWANCE");
    // The escrow takes the amount, BookingRenewals the tip: each allowance is checked on its own.
    assert.equal(renewalBlockedBy({ ...funds, allowance: 1_500_000n, tipAllowance: 15_000n }), null);
    assert.equal(
      renewalBlockedBy({ ...funds, allowance: 1_499_999n, tipAllowance: 15_000n }),
      "INSUFFICIENT_ALLOWANCE",
    );
    assert.equal(renewalBlockedBy({ ...funds, tipAllowance: 14_999n }), "INSUFFICIENT_ALLOWANCE");
    assert.equal(renewalBlockedBy({ ...funds, budgetLeft: 1_514_999n, allowance: 0n }), "BUDGET_EXHAUSTED");
    assert.equal(renewalBlockedBy({ ...funds, amount: 0n, budgetLeft: 0n }), "BOOKING_NOT_RENEWABLE");
    assert.equal(
      renewalBlockedBy({ ...funds, pricePerHourUsdE8: 150_000_001n, budgetLeft: 0n }),
      "PRICE_ABOVE_MAXIMUM",
    );
    // ETH: no allowance, the renewal balance pays.
    assert.equal(renewalBlockedBy({ ...funds, allowance: undefined, balance: 0n }), "INSUFFICIENT_BALANCE");
  });
});
