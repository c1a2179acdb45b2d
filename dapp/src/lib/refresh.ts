/**
 * Which subgraph queries a contract event affects: the one table both refresh paths use (events
 * seen live, lib/live.ts; and the events of the user's own confirmed transactions, lib/tx.tsx).
 * A query is named by its GraphQL operation name. Queries about one account refetch only for
 * events that concern that account: `consumer` queries for events of the account's bookings,
 * `provider` queries for events of its resources. Pure, so the table is unit-tested.
 */
import type { Address } from "viem";

import { sameAddress } from "./tokens.ts";

/** Queries that show the whole market: any event of their kind changes them. */
type Market = readonly string[];

interface Effect {
  market?: Market;
  /** Queries of the consumer the event's booking belongs to. */
  consumer?: readonly string[];
  /** Queries of the provider the event names. */
  provider?: readonly string[];
}

const RESOURCE_VIEWS = ["Marketplace", "ResourcePage", "ProviderPage", "Analytics"];
const BOOKING_MARKET = ["ResourcePage", "ProviderPage", "Analytics"];
const PROVIDER_BOOKINGS = ["ProviderConsole", "ProviderBookings", "EarningBookings"];
const PROVIDER_RECORD = ["Marketplace", "ResourcePage", "ProviderPage", "Analytics"];
const GOVERNANCE = ["GovernanceProposals", "GovernanceProposal"];

export const EFFECTS: Record<string, Effect> = {
  // ResourceMarketplace
  ProviderRegistered: { market: ["Marketplace", "ResourcePage", "ProviderPage"], provider: ["ProviderConsole"] },
  ProviderProfileUpdated: { market: ["Marketplace", "ResourcePage", "ProviderPage"], provider: ["ProviderConsole"] },
  ResourceListed: { market: RESOURCE_VIEWS, provider: ["ProviderConsole", "ProviderResources"] },
  ResourceTermsUpdated: { market: RESOURCE_VIEWS, provider: ["ProviderResources"] },
  ResourceMetadataUpdated: { market: RESOURCE_VIEWS, provider: ["ProviderResources"] },
  ResourceStatusChanged: { market: RESOURCE_VIEWS, provider: ["ProviderConsole", "ProviderResources"] },
  BookingRequested: { market: BOOKING_MARKET, consumer: ["MyBookings", "MyBookingIds"], provider: PROVIDER_BOOKINGS },
  BookingProvisioned: { market: BOOKING_MARKET, consumer: ["MyBookings"], provider: PROVIDER_BOOKINGS },
  BookingExtended: { market: BOOKING_MARKET, consumer: ["MyBookings"], provider: PROVIDER_BOOKINGS },
  BookingCancelled: { market: BOOKING_MARKET, consumer: ["MyBookings"], provider: PROVIDER_BOOKINGS },
  BookingCompleted: { market: BOOKING_MARKET, consumer: ["MyBookings"], provider: PROVIDER_BOOKINGS },
  BookingTerminated: { market: BOOKING_MARKET, consumer: ["MyBookings"], provider: PROVIDER_BOOKINGS },
  Paused: { market: ["ResourcePage"] },
  Unpaused: { market: ["ResourcePage"] },
  ProvisionTimeoutUpdated: { market: ["ResourcePage", "MyBookings"] },
  // BookingRenewals
  RenewalPolicySet: { consumer: ["MyBookings"] },
  RenewalPolicyCancelled: { consumer: ["MyBookings"] },
  BookingRenewed: { consumer: ["MyBookings"] },
  RenewalSkipped: { consumer: ["MyBookings"] },
  RenewalSettingsUpdated: { market: ["MyBookings"] },
  // SLAEnforcement and ReputationSystem
  SlaPeriodsSettled: {
    market: PROVIDER_RECORD,
    consumer: ["MyBookings"],
    provider: ["ProviderConsole", "ProviderSla", "EarningBookings"],
  },
  CreditPolicyUpdated: { market: ["ResourcePage"] },
  ReputationUpdated: { market: PROVIDER_RECORD, provider: ["ProviderConsole"] },
  ProviderRated: {
    market: PROVIDER_RECORD,
    consumer: ["MyBookings"],
    provider: ["ProviderConsole", "ProviderBookings"],
  },
  // EscrowManager
  EarningsWithdrawn: { market: ["Analytics"], provider: ["ProviderConsole", "EarningBookings", "ProviderMovements"] },
  ConsumerRefunded: { consumer: ["MyBookings"], provider: ["ProviderBookings"] },
  StreamResumed: { market: BOOKING_MARKET, consumer: ["MyBookings"], provider: PROVIDER_BOOKINGS },
  GracePeriodUpdated: { market: ["MyBookings"] },
  Claimed: { provider: ["ProviderMovements"] },
  // PriceOracle
  PaymentTokenConfigured: { market: ["PaymentTokens", "ResourcePage"] },
  PaymentTokenDisabled: { market: ["PaymentTokens", "ResourcePage"] },
  PaymentTokenDescribed: { market: ["PaymentTokens"] },
  // DAOGovernance
  ProposalCreated: { market: GOVERNANCE },
  ProposalQueued: { market: GOVERNANCE },
  ProposalExecuted: { market: [...GOVERNANCE, "PaymentTokens", "ResourcePage"] },
  ProposalCanceled: { market: GOVERNANCE },
  VoteCast: { market: GOVERNANCE },
  VoteCastWithParams: { market: GOVERNANCE },
};

/** A decoded contract event, as viem parses logs. */
export interface ChainEvent {
  eventName: string;
  args: Record<string, unknown>;
  blockNumber: bigint | null;
}

/** Who is looking: the connected account and the ids of its bookings (as the subgraph lists them). */
export interface Viewer {
  account?: Address;
  bookingIds: ReadonlySet<string>;
}

/**
 * Whether `event` concerns `viewer` as the consumer of its booking. An event that names its
 * consumer is read directly (BookingRequested, ConsumerRefunded, and every booking lifecycle event
 * once the contracts index the consumer on them); the others through the viewer's booking ids.
 */
export function concernsConsumer(event: ChainEvent, viewer: Viewer): boolean {
  if (!viewer.account) return false;
  const { consumer, bookingId } = event.args as { consumer?: string; bookingId?: bigint };
  if (typeof consumer === "string") return sameAddress(consumer, viewer.account);
  return bookingId !== undefined && viewer.bookingIds.has(String(bookingId));
}

/** Whether `event` names `viewer` as its provider. */
export function concernsProvider(event: ChainEvent, viewer: Viewer): boolean {
  const { provider } = event.args as { provider?: string };
  return viewer.account !== undefined && typeof provider === "string" && sameAddress(provider, viewer.account);
}

/**
 * The queries that `events` affect for `viewer`. The events of the viewer's own transaction
 * (`own`) concern it whichever role it acted in.
 */
export function affectedQueries(events: readonly ChainEvent[], viewer: Viewer, own = false): Set<string> {
  const queries = new Set<string>();
  for (const event of events) {
    const effect = EFFECTS[event.eventName];
    if (!effect) continue;
    for (const name of effect.market ?? []) queries.add(name);
    if (own || concernsConsumer(event, viewer)) for (const name of effect.consumer ?? []) queries.add(name);
    if (own || concernsProvider(event, viewer)) for (const name of effect.provider ?? []) queries.add(name);
  }
  return queries;
}

/** The latest block among `events`. */
export function latestBlock(events: readonly Pick<ChainEvent, "blockNumber">[]): bigint {
  return events.reduce(
    (latest, event) => (event.blockNumber && event.blockNumber > latest ? event.blockNumber : latest),
    0n,
  );
}
