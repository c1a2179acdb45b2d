import assert from "node:assert/strict";
import { test } from "node:test";

import { BaseError, encodeErrorResult } from "viem";

import { ERROR_MESSAGES, decodeError, errorsAbi } from "../src/errors.ts";

test("every error of every D-CloudX contract and of ERC-20 tokens has a sentence", () => {
  const missing = errorsAbi.map((item) => item.name).filter((name) => !ERROR_MESSAGES[name]);
  assert.deepEqual(missing, []);
});

test("a token's ERC-6093 error is explained from its raw revert data (0xfb8f41b2)", () => {
  const data = encodeErrorResult({
    abi: errorsAbi,
    errorName: "ERC20InsufficientAllowance",
    args: ["0x5FbDB2315678afecb367f032d93F642f64180aa3", 0n, 1_000_000n],
  });
  assert.equal(data.slice(0, 10), "0xfb8f41b2");
  const decoded = decodeError(new BaseError("reverted", { cause: Object.assign(new Error("reverted"), { data }) }));
  assert.equal(decoded.name, "ERC20InsufficientAllowance");
  assert.equal(
    decoded.message,
    "The token allowance for 0x5FbD…0aa3 (0) is smaller than the 1000000 needed: approve the EscrowManager first.",
  );
});
