/**
 * Booking arithmetic, kept exact: the contract charges `PriceOracle.quote(token, price × hours)`
 * (rounded up) and reverts when that exceeds the consumer's `maxPayment`, so the form quotes the
 * same USD amount and adds the slippage margin on top, rounding up in the consumer's favour.
 */
import { type Address, type TransactionReceipt, parseEventLogs } from "viem";

import { parsePercentBps } from "@d-cloudx/sdk/governance";

import { resourceMarketplaceAbi } from "../../generated/contracts.ts";

/** USD price (8 decimals) of `hours` hours, as `ResourceMarketplace._book` computes it. */
export function bookingUsdE8(pricePerHourUsdE8: bigint, hours: number): bigint {
  return pricePerHourUsdE8 * BigInt(hours);
}

/** Most the consumer agrees to pay: the quote plus `slippageBps`, rounded up. */
export function maxPayment(quote: bigint, slippageBps: number): bigint {
  const numerator = quote * BigInt(10_000 + slippageBps);
  return (numerator + 9_999n) / 10_000n;
}

export const DEFAULT_SLIPPAGE = "1";
/** Above this the guard no longer guards. */
const MAX_SLIPPAGE_BPS = 5_000;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Slippage in per cent ("0.5") as basis points: 0–50 %, at most two decimals. */
export function parseSlippageBps(text: string): Parsed<number> {
  const bps = parsePercentBps(text);
  if (bps === undefined || bps > MAX_SLIPPAGE_BPS) {
    return { ok: false, error: `Slippage is a percentage from 0 to ${MAX_SLIPPAGE_BPS / 100}, at most 2 decimals.` };
  }
  return { ok: true, value: bps };
}

/** Booked hours: a whole number within the resource's terms. */
export function parseHours(text: string, minHours: number, maxHours: number): Parsed<number> {
  const hours = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || hours < minHours || hours > maxHours) {
    return { ok: false, error: `Book a whole number of hours from ${minHours} to ${maxHours}.` };
  }
  return { ok: true, value: hours };
}

/** The id of the booking a `book`/`bookWithPermit` transaction created. */
export function bookingIdFromReceipt(receipt: Pick<TransactionReceipt, "logs">, market: Address): bigint | undefined {
  const [event] = parseEventLogs({
    abi: resourceMarketplaceAbi,
    eventName: "BookingRequested",
    logs: receipt.logs,
  }).filter((log) => log.address.toLowerCase() === market.toLowerCase());
  return event?.args.bookingId;
}

/** How long a permit signature stays usable: long enough to confirm, short enough not to linger. */
export const PERMIT_LIFETIME_SECONDS = 30 * 60;
