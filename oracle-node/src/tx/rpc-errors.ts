/**
 * What a failed JSON-RPC call means, told by its error code (EIP-1474) and viem's error classes,
 * never by the wording of a node's message, which differs between clients and versions.
 */
import {
  BaseError,
  ExecutionRevertedError,
  HttpRequestError,
  type Hex,
  TimeoutError,
  WebSocketRequestError,
  decodeErrorResult,
} from "viem";

import { escrowManagerAbi, resourceMarketplaceAbi, resourceVerifierAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import { describeError } from "../chain.ts";

const ERROR_ABI = [...resourceMarketplaceAbi, ...escrowManagerAbi, ...sLAEnforcementAbi, ...resourceVerifierAbi];

/** EIP-1474: execution reverted (with the revert data). */
const EXECUTION_REVERTED = 3;
/** EIP-1474: invalid input, transaction rejected, invalid params: the node refused the request. */
const REJECTED = new Set([-32000, -32003, -32602]);
/** EIP-1474: limit exceeded (rate limiting). */
const LIMIT_EXCEEDED = -32005;

/**
 * - `reverted`: the contract refused the call (the revert data says why);
 * - `rejected`: the node refused a transaction (nonce, funds, already known: the chain's state tells which);
 * - `unreachable`: the request did not get an answer (network, timeout, HTTP 429/5xx, rate limit);
 * - `other`.
 */
export type RpcFailure = "reverted" | "rejected" | "unreachable" | "other";

export function classifyRpcError(error: unknown): RpcFailure {
  const codes = errorCodes(error);
  if (codes.includes(EXECUTION_REVERTED) || findInChain(error, (e) => e instanceof ExecutionRevertedError)) {
    return "reverted";
  }
  if (
    codes.includes(LIMIT_EXCEEDED) ||
    findInChain(
      error,
      (e) => e instanceof HttpRequestError || e instanceof TimeoutError || e instanceof WebSocketRequestError,
    )
  ) {
    return "unreachable";
  }
  if (codes.some((code) => REJECTED.has(code))) return "rejected";
  return "other";
}

/** The custom error's name and arguments, when the revert data decodes with a known ABI. */
export function decodeRevert(error: unknown): string {
  const data = revertData(error);
  if (data) {
    try {
      const decoded = decodeErrorResult({ abi: ERROR_ABI, data });
      return `${decoded.errorName}(${(decoded.args ?? []).map(String).join(", ")})`;
    } catch {
      return `reverted with ${data.slice(0, 10)}`;
    }
  }
  return describeError(error);
}

function findInChain(error: unknown, match: (e: unknown) => boolean): unknown {
  if (error instanceof BaseError) return error.walk(match) ?? undefined;
  return match(error) ? error : undefined;
}

/** Every numeric `code` along the error's cause chain. */
function errorCodes(error: unknown): number[] {
  const codes: number[] = [];
  for (let current = error; current && typeof current === "object"; current = (current as { cause?: unknown }).cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "number") codes.push(code);
  }
  return codes;
}

function revertData(error: unknown): Hex | undefined {
  for (let current = error; current && typeof current === "object"; current = (current as { cause?: unknown }).cause) {
    const data = (current as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith("0x") && data.length >= 10) return data as Hex;
    if (data && typeof data === "object" && typeof (data as { data?: unknown }).data === "string") {
      return (data as { data: Hex }).data;
    }
  }
  return undefined;
}
