import { describe, expect, it } from "vitest";

import { type MoneyBooking, bookingUsdE8, moneyBreakdown } from "../src/pages/bookings/money.ts";
import { fixture } from "./fixtures/indexed.ts";

const START = 1_000_000;
const base: MoneyBooking = {
  status: "ACTIVE",
  hoursBooked: 2,
  amount: "7200000", // 7.2 USDC (6 decimals): 1000 units a second
  usdValueE8: "720000000", // $7.20
  startedAt: String(START),
  endsAt: String(START + 7200),
  refunded: "0",
  slaCredits: "0",
  slashed: "0",
};

describe("moneyBreakdown", () => {
  it("keeps everything in escrow while requested", () => {
    const money = moneyBreakdown({ ...base, status: "REQUESTED", startedAt: null, endsAt: null }, START + 100);
    expect(money).toMatchObject({ paid: 7_200_000n, streamed: 0n, remaining: 7_200_000n, netCost: 0n });
  });

  it("streams an active booking by the second and counts SLA credits off the cost", () => {
    const money = moneyBreakdown({ ...base, refunded: "1500", slaCredits: "1500" }, START + 1800);
    expect(money.streamed).toBe(1_800_000n);
    expect(money.remaining).toBe(5_400_000n);
    expect(money.slaCredits).toBe(1500n);
    expect(money.refundedUnused).toBe(0n);
    expect(money.netCost).toBe(1_798_500n);
  });

  it("stops streaming at the end, before the booking is completed", () => {
    const money = moneyBreakdown(base, START + 10_000);
    expect(money.streamed).toBe(7_200_000n);
    expect(money.remaining).toBe(0n);
  });

  it("streams an extension made while running after the old end, at the extension's own rate", () => {
    // Extended by 1 h for 7.2 USDC (twice the rate) while running: the end moves from 2 h to 3 h.
    const extended = {
      ...base,
      hoursBooked: 3,
      amount: "14400000",
      usdValueE8: "1440000000",
      endsAt: String(START + 3 * 3600),
      extensions: [{ hours: 1, amount: "7200000", endsAt: String(START + 3 * 3600) }],
    };
    expect(moneyBreakdown(extended, START + 3600).streamed).toBe(3_600_000n);
    expect(moneyBreakdown(extended, START + 7200 + 1800).streamed).toBe(7_200_000n + 3_600_000n);
    expect(moneyBreakdown(extended, START + 7200 + 1800).remaining).toBe(3_600_000n);
  });

  it("splits a terminated booking's refund into unused time and SLA credits", () => {
    // Terminated after 1800 s: endsAt moved to then, the unused 5.4 USDC refunded, plus a 1000 credit.
    const money = moneyBreakdown(
      { ...base, status: "TERMINATED", endsAt: String(START + 1800), refunded: "5401000", slaCredits: "1000" },
      START + 5000,
    );
    expect(money.streamed).toBe(1_800_000n);
    expect(money.refundedUnused).toBe(5_400_000n);
    expect(money.remaining).toBe(0n);
    expect(money.streamed + money.refundedUnused).toBe(money.paid);
  });

  it("refunds a cancelled booking in full and counts bond compensation as a gain", () => {
    const money = moneyBreakdown(
      { ...base, status: "CANCELLED", startedAt: null, endsAt: null, refunded: "7200000", slashed: "720000" },
      START,
    );
    expect(money).toMatchObject({ streamed: 0n, refundedUnused: 7_200_000n, remaining: 0n, netCost: -720_000n });
  });
});

describe("moneyBreakdown on bookings as the subgraph indexed them", () => {
  it("splits every finished booking's payment into what streamed and what came back unused", () => {
    for (const booking of fixture.bookings) {
      const money = moneyBreakdown(booking, fixture.now);
      if (booking.status === "CANCELLED") {
        expect(money.refundedUnused, booking.id).toBe(money.paid);
      } else {
        // Streamed to the provider plus refunded for unused time is the payment, exactly.
        expect(money.streamed + money.refundedUnused, booking.id).toBe(money.paid);
        expect(money.slaCredits, booking.id).toBe(BigInt(booking.slaCredits));
      }
      expect(money.remaining, booking.id).toBe(0n);
    }
  });
});

describe("bookingUsdE8", () => {
  it("values token amounts at the booking's own rate", () => {
    expect(bookingUsdE8(base, 3_600_000n)).toBe(360_000_000n);
    expect(bookingUsdE8({ amount: "0", usdValueE8: "5" }, 1n)).toBe(0n);
  });
});
