/**
 * Re-placement: when a provider ends a booking (terminates it, or a period settles at the 100 %
 * credit tier, a total failure), the consumer is offered the closest equivalent resource elsewhere:
 * the same kind, cloud and region, at least the same specs and SLA, accepting the same token,
 * within a price per hour the consumer confirms, from the provider with the best reputation.
 * Pure, so that every rule is unit-tested; the subgraph does the searching.
 */
import type { ResourceKind, ResourceMetadataDocument_Filter, Resource_Filter } from "../../generated/gql/graphql.ts";
import type { BookingStatus } from "./timeline.ts";

/** The credit tier that refunds a whole period: the service failed outright. */
export const FULL_CREDIT_BPS = 10_000;

export interface ReplaceableBooking {
  status: BookingStatus;
  hoursBooked: number;
  startedAt?: string | null;
  endsAt?: string | null;
  terminatedAt?: string | null;
  terminatedByProvider?: boolean | null;
  slaReports: readonly { creditBps: number }[];
  token: { id: string };
  provider: { id: string };
  resource: {
    id: string;
    kind: ResourceKind;
    region: string;
    pricePerHourUsdE8: string;
    uptimeTargetBps: number;
    metadata?: {
      service?: string | null;
      cloud?: string | null;
      vcpu?: number | null;
      memoryGib?: string | null;
      gpuModel?: string | null;
      gpuCount?: number | null;
      storageSizeGib?: number | null;
      capacityGib?: number | null;
    } | null;
  };
}

/** Why the booking calls for a re-placement, in words; undefined when it does not. */
export function replacementReason(booking: ReplaceableBooking): string | undefined {
  if (booking.status === "TERMINATED" && booking.terminatedByProvider) return "The provider terminated this booking.";
  if (
    (booking.status === "ACTIVE" || booking.status === "TERMINATED") &&
    booking.slaReports.some((report) => report.creditBps >= FULL_CREDIT_BPS)
  ) {
    return "A period of this booking failed completely (a 100 % credit).";
  }
  return undefined;
}

/** Whole hours the booking had left when it was ended (or has left now), at least 1. */
export function hoursLeft(booking: ReplaceableBooking, now: number): number {
  if (!booking.startedAt) return Math.max(1, booking.hoursBooked);
  const stoppedAt = booking.status === "TERMINATED" && booking.terminatedAt ? Number(booking.terminatedAt) : now;
  const used = Math.max(0, stoppedAt - Number(booking.startedAt));
  return Math.max(1, Math.ceil((booking.hoursBooked * 3_600 - used) / 3_600));
}

/**
 * The subgraph filter for equivalent resources at most `maxPricePerHourUsdE8` an hour, elsewhere
 * than the provider that failed. Specs the old listing does not state are not required.
 */
export function replacementFilter(booking: ReplaceableBooking, maxPricePerHourUsdE8: bigint): Resource_Filter {
  const old = booking.resource;
  const spec = old.metadata ?? {};
  const metadata: ResourceMetadataDocument_Filter = { status: "VALID" };
  if (spec.service) metadata.service = spec.service;
  if (spec.cloud) metadata.cloud = spec.cloud;
  if (spec.vcpu != null) metadata.vcpu_gte = spec.vcpu;
  if (spec.memoryGib != null) metadata.memoryGib_gte = spec.memoryGib;
  if (spec.gpuModel) metadata.gpuModel = spec.gpuModel;
  if (spec.gpuCount != null) metadata.gpuCount_gte = spec.gpuCount;
  if (spec.storageSizeGib != null) metadata.storageSizeGib_gte = spec.storageSizeGib;
  if (spec.capacityGib != null) metadata.capacityGib_gte = spec.capacityGib;
  return {
    status: "LISTED",
    kind: old.kind,
    region: old.region,
    provider_not: booking.provider.id,
    uptimeTargetBps_gte: old.uptimeTargetBps,
    pricePerHourUsdE8_lte: maxPricePerHourUsdE8.toString(),
    acceptedTokens_contains: [booking.token.id],
    metadata_: metadata,
  };
}

export interface Candidate {
  id: string;
  pricePerHourUsdE8: string;
  capacity: number;
  openBookings: number;
  provider: { id: string; scoreBps: number };
}

/** The best of the subgraph's candidates: free capacity, then the best reputation, then the lowest price. */
export function bestCandidate<C extends Candidate>(candidates: readonly C[]): C | undefined {
  return candidates
    .filter((candidate) => candidate.openBookings < candidate.capacity)
    .sort(
      (a, b) =>
        b.provider.scoreBps - a.provider.scoreBps ||
        Number(BigInt(a.pricePerHourUsdE8) - BigInt(b.pricePerHourUsdE8)) ||
        Number(a.id) - Number(b.id),
    )[0];
}

/** Booked hours within the new resource's terms, as close as possible to what was left. */
export function replacementHours(left: number, minHours: number, maxHours: number): number {
  return Math.min(maxHours, Math.max(minHours, left));
}
