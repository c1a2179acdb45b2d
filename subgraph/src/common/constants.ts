import { BigDecimal, BigInt } from "@graphprotocol/graph-ts";

export const MARKET_ID = "market";
export const PROTOCOL_ID = "protocol";

export const SECONDS_PER_HOUR: i64 = 3_600;
export const SECONDS_PER_DAY: i64 = 86_400;

export const ZERO = BigInt.zero();
export const ZERO_USD = BigDecimal.zero();
/** USD amounts on chain have 8 decimals (the Chainlink convention). */
export const USD_E8 = BigInt.fromI32(100_000_000).toBigDecimal();

// GraphQL enum values by their Solidity enum value, generated from the contracts by
// `npm run export:abis` (scripts/export-abis.ts).
export { REFUND_REASON_NAMES, RESOURCE_KIND_NAMES, RESOURCE_STATUS_NAMES } from "../generated/enums";

export const RESOURCE_LISTED = "LISTED";
