import { BigDecimal, BigInt } from "@graphprotocol/graph-ts";

export const MARKET_ID = "market";
export const PROTOCOL_ID = "protocol";

export const SECONDS_PER_HOUR: i64 = 3_600;
export const SECONDS_PER_DAY: i64 = 86_400;

export const ZERO = BigInt.zero();
export const ZERO_USD = BigDecimal.zero();
/** USD amounts on chain have 8 decimals (the Chainlink convention). */
export const USD_E8 = BigInt.fromI32(100_000_000).toBigDecimal();

/** GraphQL enum values by their Solidity enum index. */
export const RESOURCE_KINDS = ["VIRTUAL_MACHINE", "GPU_MACHINE", "STORAGE", "BARE_METAL", "CONTAINER"];
/** Index 0 (None) never appears in events. */
export const RESOURCE_STATUSES = ["", "LISTED", "PAUSED", "DELISTED"];
export const REFUND_REASONS = ["CANCELLED", "TERMINATED", "SLA_CREDIT"];
export const CANCEL_REASONS = ["BY_CONSUMER", "PROVISIONING_TIMED_OUT", "UNUSABLE_ENCRYPTION_KEY"];
/** Index 0 (Settled) is never a skip. */
export const SLA_SKIP_REASONS = [
  "",
  "ALREADY_SETTLED",
  "PERIOD_NOT_ENDED",
  "REPORT_WINDOW_CLOSED",
  "EARLIER_PERIOD_OPEN",
];
/** CancelReason.ProvisioningTimedOut: the one cancellation that is a provider failure. */
export const CANCEL_PROVISIONING_TIMED_OUT = 1;

export const RESOURCE_LISTED = "LISTED";
