/** RPC failures told apart by JSON-RPC error code and viem's error classes, never by message text. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  EstimateGasExecutionError,
  ExecutionRevertedError,
  HttpRequestError,
  InvalidInputRpcError,
  LimitExceededRpcError,
  RpcRequestError,
  TimeoutError,
  encodeErrorResult,
} from "viem";

import { sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import { classifyRpcError, decodeRevert } from "../src/tx/rpc-errors.ts";

const rpcError = (code: number, message: string, data?: string) =>
  new RpcRequestError({ body: {}, url: "http://127.0.0.1", error: { code, message, data } });

describe("RPC error classification", () => {
  it("classifies by code whatever the message says", () => {
    assert.equal(classifyRpcError(rpcError(3, "insufficient funds (not really)")), "reverted");
    assert.equal(classifyRpcError(rpcError(-32000, "execution reverted (not really)")), "rejected");
    assert.equal(classifyRpcError(new InvalidInputRpcError(rpcError(-32000, "nonce too low"))), "rejected");
    assert.equal(classifyRpcError(rpcError(-32005, "slow down")), "unreachable");
    assert.equal(classifyRpcError(new LimitExceededRpcError(rpcError(-32005, ""))), "unreachable");
    assert.equal(classifyRpcError(rpcError(-32601, "method not found")), "other");
    assert.equal(classifyRpcError(new Error("execution reverted")), "other");
  });

  it("sees through viem's wrappers to the cause", () => {
    const reverted = new EstimateGasExecutionError(new ExecutionRevertedError({ cause: rpcError(3, "x") }), {});
    assert.equal(classifyRpcError(reverted), "reverted");
    assert.equal(classifyRpcError(new HttpRequestError({ url: "http://127.0.0.1", status: 503 })), "unreachable");
    assert.equal(classifyRpcError(new TimeoutError({ body: {}, url: "http://127.0.0.1" })), "unreachable");
  });

  it("decodes a custom error from the revert data", () => {
    const data = encodeErrorResult({
      abi: sLAEnforcementAbi,
      errorName: "QuorumUnknownSigner",
      args: [`0x${"11".repeat(20)}`],
    });
    assert.equal(decodeRevert(rpcError(3, "execution reverted", data)), `QuorumUnknownSigner(0x${"11".repeat(20)})`);
  });
});
