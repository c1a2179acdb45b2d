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
import { CANCEL_REASON_NAMES } from "../generated/enums";
export {
  CANCEL_REASON_NAMES,
  REFUND_REASON_NAMES,
  RENEWAL_SKIP_REASON_NAMES,
  RESOURCE_KIND_NAMES,
  RESOURCE_STATUS_NAMES,
  SETTLE_STATUS_NAMES,
} from "../generated/enums";
/** CancelReason.ProvisioningTimedOut: the one cancellation that is a provider failure. */
export const CANCEL_PROVISIONING_TIMED_OUT = CANCEL_REASON_NAMES.indexOf("PROVISIONING_TIMED_OUT");

export const RESOURCE_LISTED = "LISTED";
