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

  it("explains why an SLA change is refused while a resource is booked", () => {
    const decoded = decodeError(reverted("MarketplaceSlaLoosened", [7n]));
    expect(decoded.message).toBe(
      "Resource #7 has open bookings: its uptime target can only go up and its latency limit only down until they end.",
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
