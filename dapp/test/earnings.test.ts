import { describe, expect, it } from "vitest";

import { type EarningBooking, earningsByToken, parseTokenAmount, streamed } from "../src/pages/provider/earnings.ts";

const ETH = "0x0000000000000000000000000000000000000000";
const USDC = "0x3aa5ebb10dc797cac828524e59a333d0a371443c";

const booking = (change: Partial<EarningBooking>): EarningBooking => ({
  id: "1",
  status: "ACTIVE",
  token: { id: ETH },
  amount: "3600",
  withdrawn: "0",
  refunded: "0",
  slaCredits: "0",
  startedAt: "1000",
  endsAt: "4600",
  ...change,
});

describe("streamed", () => {
  it("streams an active booking linearly between start and end", () => {
    expect(streamed(booking({}), 500)).toBe(0n);
    expect(streamed(booking({}), 1900)).toBe(900n);
    expect(streamed(booking({}), 9999)).toBe(3600n);
  });

  it("counts what a finished booking did not refund", () => {
    expect(streamed(booking({ status: "COMPLETED" }), 0)).toBe(3600n);
    expect(streamed(booking({ status: "TERMINATED", refunded: "1000" }), 0)).toBe(2600n);
    expect(streamed(booking({ status: "REQUESTED", startedAt: null, endsAt: null }), 9999)).toBe(0n);
  });
});

describe("earningsByToken", () => {
  it("sums accrued, withdrawable and withdrawn per token and lists the bookings ready to withdraw", () => {
    const bookings = [
      booking({ id: "1", withdrawn: "300", slaCredits: "100" }),
      booking({ id: "2", status: "COMPLETED", withdrawn: "3600" }),
      booking({ id: "3", token: { id: USDC }, status: "COMPLETED", amount: "5000000" }),
    ];
    const withdrawable = new Map([
      ["1", 200n],
      ["2", 0n],
      ["3", 5_000_000n],
    ]);
    expect(earningsByToken(bookings, withdrawable, 2800)).toEqual([
      { token: ETH, accrued: 1800n - 400n, withdrawable: 200n, withdrawn: 3900n, bookingIds: [1n] },
      { token: USDC, accrued: 5_000_000n, withdrawable: 5_000_000n, withdrawn: 0n, bookingIds: [3n] },
    ]);
  });

  it("never reports negative accruals (credits beyond what streamed)", () => {
    const [entry] = earningsByToken([booking({ slaCredits: "500" })], new Map(), 1100);
    expect(entry?.accrued).toBe(0n);
  });
});

describe("parseTokenAmount", () => {
  it("reads amounts in the token's smallest unit", () => {
    expect(parseTokenAmount("1.5", 18)).toBe(1_500_000_000_000_000_000n);
    expect(parseTokenAmount("250", 6)).toBe(250_000_000n);
    expect(parseTokenAmount("0.000001", 6)).toBe(1n);
  });

  it("refuses zero, over-precise and unreadable amounts", () => {
    for (const text of ["", "0", "0.0", "0.0000001", "-1", "1e3", "1,5", "abc"]) {
      expect(parseTokenAmount(text, 6)).toBeUndefined();
    }
  });
});
