/**
 * One screen, one source. A screen displays what the subgraph indexed: terms, statuses, records,
 * payment tokens and the protocol's parameters, so that everything on it agrees with everything
 * else and with the block the subgraph has reached (lib/indexing.ts). A listing's metadata or a
 * provider's profile comes from IPFS, fetched once per screen and checked by the sdk's validator
 * (lib/ipfs.ts). The chain is read only for what must be current when someone acts: the price
 * quote, balances and allowances, and, at signing time, the status and terms the transaction
 * depends on (`checkBookable` below), so that a change the subgraph has not indexed yet is caught
 * before the wallet opens rather than by a revert.
 */
import { ResourceStatus } from "@d-cloudx/sdk/protocol";

import { readResourceMarketplaceGetResource, readResourceMarketplacePaused } from "../generated/contracts.ts";
import { wagmiConfig } from "../wagmi.ts";

/** What the booking form showed, to compare with the chain when the consumer signs. */
export interface ShownTerms {
  id: bigint;
  pricePerHourUsdE8: bigint;
  minHours: number;
  maxHours: number;
  /** The SLA shown: the loosest the consumer accepts when booking. */
  uptimeTargetBps: number;
  maxLatencyMs: number;
}

/**
 * Reads the resource and the marketplace from the chain and says, in words, why booking `hours`
 * in the token with id `tokenId` would fail now, or returns undefined if it would not.
 */
export async function checkBookable(shown: ShownTerms, hours: number, tokenId: number): Promise<string | undefined> {
  const [resource, paused] = await Promise.all([
    readResourceMarketplaceGetResource(wagmiConfig, { args: [shown.id] }),
    readResourceMarketplacePaused(wagmiConfig, {}),
  ]);
  if (paused) return "The marketplace has just been paused by its guardian; bookings resume when it is unpaused.";
  if (resource.status !== ResourceStatus.Listed) return "The provider has just paused or delisted this resource.";
  if (resource.activeBookings >= resource.capacity) return "The resource has just been fully booked.";
  if (
    resource.pricePerHourUsdE8 !== shown.pricePerHourUsdE8 ||
    hours < resource.minHours ||
    hours > resource.maxHours ||
    resource.uptimeTargetBps !== shown.uptimeTargetBps ||
    resource.maxLatencyMs !== shown.maxLatencyMs
  ) {
    return "The provider has just changed this resource's terms: the page shows them again in a moment; check and book again.";
  }
  if (((resource.acceptedTokens >> BigInt(tokenId)) & 1n) === 0n) {
    return "The provider no longer accepts this token for this resource.";
  }
  return undefined;
}
