import { resourceMarketplaceAbi } from "@d-cloudx/sdk/abis";
import {
  BaseError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  UserRejectedRequestError,
  encodeErrorResult,
} from "viem";
import { describe, expect, it } from "vitest";

import { decodeError, decodeRevertData } from "../src/lib/errors.ts";

function reverted(errorName: string, args: readonly unknown[]) {
  const data = encodeErrorResult({ abi: resourceMarketplaceAbi, errorName: errorName as never, args: args as never });
  return new ContractFunctionExecutionError(
    new ContractFunctionRevertedError({ abi: resourceMarketplaceAbi, data, functionName: "book" }),
    { abi: resourceMarketplaceAbi, functionName: "book", args: [] },
  );
}

describe("decodeError", () => {
  it("phrases known custom errors with their arguments", () => {
    const decoded = decodeError(reverted("MarketplaceInvalidHours", [1n, 500n, 1, 168]));
    expect(decoded).toMatchObject({ cancelled: false, name: "MarketplaceInvalidHours" });
    expect(decoded.message).toBe("Book between 1 and 168 hours (not 500).");
  });

  it("explains a booking refused because the provider loosened the SLA the consumer was shown", () => {
    const decoded = decodeError(
      reverted("MarketplaceSlaBelowMinimum", [
        7n,
        { uptimeTargetBps: 9_000, maxLatencyMs: 0 },
        { uptimeTargetBps: 9_950, maxLatencyMs: 250 },
      ]),
    );
    expect(decoded.message).toBe(
      "Resource #7's SLA changed since you looked: it now offers 90 % uptime, looser than the 99.5 % uptime within 250 ms you were shown. Review the new terms before booking.",
    );
  });

  it("explains a provider whose bond no longer covers its bookings", () => {
    const decoded = decodeError(
      reverted("MarketplaceInsufficientBond", [
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        150_000_000n,
        600_000_000n,
      ]),
    );
    expect(decoded.message).toBe(
      "The provider's bond ($1.5) no longer covers its bookings ($6 needed); it takes no new bookings until it bonds more.",
    );
  });

  it("names errors it has no phrase for, with shortened addresses", () => {
    const decoded = decodeError(
      reverted("MarketplaceTokenNotAccepted", [3n, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]),
    );
    expect(decoded.name).toBe("MarketplaceTokenNotAccepted");
    expect(decoded.message).toMatch(/does not accept this token/);
  });

  it("decodes errors raised by another contract than the one called", () => {
    // EscrowNothingToWithdraw() bubbling up through a marketplace call.
    const data = `0x${"0".repeat(8)}` as const;
    expect(decodeRevertData(data)).toBeUndefined();
    const decoded = decodeError(
      new BaseError("call reverted", {
        cause: Object.assign(new Error("reverted"), { data: encodeEscrowNothingToWithdraw() }),
      }),
    );
    expect(decoded.name).toBe("EscrowNothingToWithdraw");
    expect(decoded.message).toBe("There is nothing to withdraw yet.");
  });

  it("treats a rejected signature as a quiet cancel", () => {
    const decoded = decodeError(
      new BaseError("rejected", { cause: new UserRejectedRequestError(new Error("User rejected")) }),
    );
    expect(decoded.cancelled).toBe(true);
  });

  it("passes on plain errors", () => {
    expect(decodeError(new Error("boom"))).toEqual({ cancelled: false, message: "boom" });
  });
});

function encodeEscrowNothingToWithdraw() {
  return encodeErrorResult({
    abi: [{ type: "error", name: "EscrowNothingToWithdraw", inputs: [] }],
    errorName: "EscrowNothingToWithdraw",
  });
}
