import { describe, expect, it } from "vitest";

import {
  formatBps,
  formatDuration,
  formatRelative,
  formatToken,
  formatUsd,
  formatUsdE8,
  shortenAddress,
} from "../src/lib/format.ts";

describe("format", () => {
  it("shortens addresses and leaves short text alone", () => {
    expect(shortenAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")).toBe("0x7099…79C8");
    expect(shortenAddress("0x1234")).toBe("0x1234");
  });

  it("formats USD with cents, keeping sub-cent amounts visible", () => {
    expect(formatUsd("1234.5")).toBe("$1,234.50");
    expect(formatUsd("0.0042")).toBe("$0.0042");
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd("not a number")).toBe("–");
    expect(formatUsdE8(250_000_000n)).toBe("$2.50");
  });

  it("formats token amounts exactly, rounding down and grouping", () => {
    expect(formatToken(1_234_567_891_000_000_000_000n, 18, "ETH")).toBe("1,234.567891 ETH");
    expect(formatToken(1_500_000n, 6, "USDC")).toBe("1.5 USDC");
    expect(formatToken(0n, 6, "USDC")).toBe("0 USDC");
    expect(formatToken(1n, 18, "ETH")).toBe("<0.000001 ETH");
  });

  it("formats basis points and durations", () => {
    expect(formatBps(9950)).toBe("99.5 %");
    expect(formatBps(10_000n)).toBe("100 %");
    expect(formatDuration(45)).toBe("45 s");
    expect(formatDuration(7_500)).toBe("2 h 5 min");
    expect(formatDuration(273_600)).toBe("3 d 4 h");
    expect(formatDuration(-5)).toBe("0 s");
    expect(formatDuration(3_618)).toBe("1 h");
    expect(formatDuration(90_061)).toBe("1 d 1 h");
    expect(formatRelative(1_000 + 3_600, 1_000)).toBe("in 1 h");
    expect(formatRelative(1_000 - 120, 1_000)).toBe("2 min ago");
  });
});
