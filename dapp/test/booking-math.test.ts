import { encodeAbiParameters, encodeEventTopics, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";

import { resourceMarketplaceAbi } from "../src/generated/contracts.ts";
import {
  bookingIdFromReceipt,
  bookingUsdE8,
  maxPayment,
  parseHours,
  parseSlippageBps,
} from "../src/pages/resource/booking.ts";

describe("booking math", () => {
  it("prices hours exactly in 8-decimal USD", () => {
    expect(bookingUsdE8(120_000_000n, 3)).toBe(360_000_000n);
    expect(bookingUsdE8(1n, 65_535)).toBe(65_535n);
  });

  it("adds slippage to the quote, rounding up so the guard never undercuts the quote", () => {
    expect(maxPayment(1_000_000n, 100)).toBe(1_010_000n);
    expect(maxPayment(1_000_000n, 0)).toBe(1_000_000n);
    // 999 × 1.01 = 1008.99 → 1009
    expect(maxPayment(999n, 100)).toBe(1009n);
    expect(maxPayment(1n, 1)).toBe(2n);
    expect(maxPayment(0n, 100)).toBe(0n);
    // 18-decimal amounts stay exact far beyond Number's precision.
    expect(maxPayment(123_456_789_012_345_678_901n, 50)).toBe(124_074_072_957_407_407_296n);
  });

  it("reads slippage as per cent with up to two decimals", () => {
    expect(parseSlippageBps("1")).toEqual({ ok: true, value: 100 });
    expect(parseSlippageBps("0.5")).toEqual({ ok: true, value: 50 });
    expect(parseSlippageBps(" 2.25 ")).toEqual({ ok: true, value: 225 });
    expect(parseSlippageBps("0")).toEqual({ ok: true, value: 0 });
    expect(parseSlippageBps("50")).toEqual({ ok: true, value: 5000 });
    expect(parseSlippageBps("0.5 %")).toEqual({ ok: true, value: 50 });
    for (const bad of ["", "-1", "50.01", "1.234", "abc", "1e2", "."]) expect(parseSlippageBps(bad).ok).toBe(false);
  });

  it("accepts whole hours within the resource's terms", () => {
    expect(parseHours("4", 1, 72)).toEqual({ ok: true, value: 4 });
    expect(parseHours("72", 1, 72)).toEqual({ ok: true, value: 72 });
    for (const bad of ["0", "73", "1.5", "", "two", "-3"]) expect(parseHours(bad, 1, 72).ok).toBe(false);
  });

  it("finds the new booking's id in the receipt, only from the marketplace", () => {
    const market = "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853";
    const consumer = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
    const log = {
      address: market,
      topics: encodeEventTopics({
        abi: resourceMarketplaceAbi,
        eventName: "BookingRequested",
        args: { bookingId: 42n, resourceId: 7n, consumer },
      }),
      data: encodeAbiParameters(
        [
          { type: "address" },
          { type: "address" },
          { type: "uint256" },
          { type: "uint256" },
          { type: "uint16" },
          { type: "bytes32" },
        ],
        [consumer, zeroAddress, 10n, 20n, 3, `0x${"11".repeat(32)}`],
      ),
      blockHash: `0x${"00".repeat(32)}`,
      blockNumber: 1n,
      logIndex: 0,
      transactionHash: `0x${"00".repeat(32)}`,
      transactionIndex: 0,
      removed: false,
    } as const;
    expect(bookingIdFromReceipt({ logs: [log] as never }, market)).toBe(42n);
    expect(bookingIdFromReceipt({ logs: [{ ...log, address: consumer }] as never }, market)).toBeUndefined();
    expect(bookingIdFromReceipt({ logs: [] }, market)).toBeUndefined();
  });
});
