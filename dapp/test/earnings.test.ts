import { describe, expect, it } from "vitest";

import { earningsByToken, parseTokenAmount } from "../src/pages/provider/earnings.ts";
import { fixture } from "./fixtures/indexed.ts";

describe("earningsByToken on bookings as the subgraph indexed them", () => {
  const finished = fixture.bookings.filter((booking) => booking.status !== "CANCELLED");
  const withdrawable = new Map(Object.entries(fixture.withdrawable).map(([id, amount]) => [id, BigInt(amount)]));

  it("covers bookings that ended with SLA credits (whose `refunded` includes them)", () => {
    expect(finished.some((booking) => booking.status === "COMPLETED" && BigInt(booking.slaCredits) > 0n)).toBe(true);
    expect(finished.some((booking) => booking.status === "TERMINATED" && BigInt(booking.slaCredits) > 0n)).toBe(true);
  });

  it("accrues exactly what the escrow lets the provider withdraw once every period is final", () => {
    for (const entry of earningsByToken(finished, withdrawable, fixture.now)) {
      const onChain = finished
        .filter((booking) => booking.token.id === entry.token)
        .reduce((total, booking) => total + BigInt(fixture.withdrawable[booking.id] ?? 0), 0n);
      expect(entry.accrued, entry.token).toBe(onChain);
      expect(entry.withdrawable, entry.token).toBe(onChain);
    }
  });

  it("lists the bookings with something to withdraw and sums what was withdrawn", () => {
    const [all] = [earningsByToken(finished, withdrawable, fixture.now)];
    const ready = all.flatMap((entry) => entry.bookingIds.map(String)).sort();
    expect(ready).toEqual(
      finished
        .filter((booking) => withdrawable.get(booking.id)! > 0n)
        .map((b) => b.id)
        .sort(),
    );
    const withdrawn = all.reduce((total, entry) => total + entry.withdrawn, 0n);
    expect(withdrawn).toBe(finished.reduce((total, booking) => total + BigInt(booking.withdrawn), 0n));
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
