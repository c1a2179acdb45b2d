import { Address, BigInt, Bytes, DataSourceContext, log } from "@graphprotocol/graph-ts";

import {
  BookingCancelled,
  BookingCompleted,
  BookingExtended,
  BookingProvisioned,
  BookingRequested,
  BookingTerminated,
  BondCoverageUpdated,
  CancellationPolicyUpdated,
  OracleSignersUpdated,
  Paused,
  ProviderProfileUpdated,
  ProviderRegistered,
  ProvisionTimeoutUpdated,
  ResourceListed,
  ResourceListedTermsStruct,
  ResourceMetadataUpdated,
  ResourceStatusChanged,
  ResourceTermsUpdated,
  ResourceTermsUpdatedTermsStruct,
  ResourceVerifierUpdated,
  Unpaused,
} from "../generated/ResourceMarketplace/ResourceMarketplace";
import { Booking, BookingExtension, Provider, Resource } from "../generated/schema";
import {
  ProviderProfile as ProviderProfileTemplate,
  ResourceMetadata as ResourceMetadataTemplate,
} from "../generated/templates";
import {
  CANCEL_PROVISIONING_TIMED_OUT,
  CANCEL_REASON_NAMES,
  RESOURCE_KIND_NAMES,
  RESOURCE_LISTED,
  RESOURCE_STATUS_NAMES,
  ZERO,
  ZERO_USD,
} from "./common/constants";
import {
  getAccount,
  getPaymentToken,
  getProtocol,
  getProvider,
  loadBooking,
  recordBookingEvent,
  usd,
} from "./common/entities";
import { extensionId, metadataId, profileId } from "./common/ids";
import { endedInGrace, initBookingRenewals, setEndsAt } from "./common/renewals";
import { MarketDelta, ProviderDelta, recordMarket, recordProvider } from "./common/stats";

// ---------------------------------------------------------------------------------------------
// Providers
// ---------------------------------------------------------------------------------------------

export function handleProviderRegistered(event: ProviderRegistered): void {
  const provider = getProvider(event.params.provider);
  if (!provider.registered) {
    const delta = new MarketDelta();
    delta.providers = 1;
    recordMarket(event.block.timestamp, delta);
  }
  provider.registered = true;
  provider.registeredAt = event.block.timestamp;
  setProfile(provider, event.params.profileCid, event.block.timestamp);
}

export function handleProviderProfileUpdated(event: ProviderProfileUpdated): void {
  setProfile(getProvider(event.params.provider), event.params.profileCid, event.block.timestamp);
}

/**
 * Records a provider's new profile CID and asks graph-node to fetch the document; the file data
 * source's handler stores it as ProviderProfileDocument `<provider>-<version>`.
 */
function setProfile(provider: Provider, cid: string, timestamp: BigInt): void {
  const version = provider.profileVersion + 1;
  const context = new DataSourceContext();
  context.setBytes("provider", provider.id);
  context.setI32("version", version);
  ProviderProfileTemplate.createWithContext(cid, context);
  provider.profileCid = cid;
  provider.profileUpdatedAt = timestamp;
  provider.profileVersion = version;
  provider.profile = profileId(provider.id, version);
  provider.save();
}

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

/**
 * Asks graph-node to fetch a resource's metadata document; the file data source's handler stores
 * it as ResourceMetadata `<resourceId>-<version>`, the id returned here. A CID that graph-node
 * cannot parse is ignored by it, so the resource simply never gets a document.
 */
function requestMetadata(resourceId: i64, version: i32, cid: string): string {
  const context = new DataSourceContext();
  context.setBigInt("resourceId", BigInt.fromI64(resourceId));
  context.setI32("version", version);
  ResourceMetadataTemplate.createWithContext(cid, context);
  return metadataId(resourceId, version);
}

/** Copies a resource's terms from a ResourceListed or ResourceTermsUpdated event. */
function applyTerms<T>(resource: Resource, terms: T): void {
  resource.pricePerHourUsdE8 = terms.pricePerHourUsdE8;
  resource.pricePerHourUsd = usd(terms.pricePerHourUsdE8);
  resource.capacity = terms.capacity;
  resource.minHours = terms.minHours;
  resource.maxHours = terms.maxHours;
  resource.uptimeTargetBps = terms.uptimeTargetBps;
  resource.maxLatencyMs = terms.maxLatencyMs;
  const accepted = terms.acceptedTokens;
  const tokens = new Array<Bytes>(0);
  for (let i = 0; i < accepted.length; i++) {
    tokens.push(getPaymentToken(accepted[i]).id);
  }
  resource.acceptedTokens = tokens;
}

export function handleResourceListed(event: ResourceListed): void {
  const id = event.params.resourceId.toI64();
  const kind = event.params.kind;
  const resource = new Resource(id);
  resource.provider = event.params.provider;
  resource.kind = kind < RESOURCE_KIND_NAMES.length ? RESOURCE_KIND_NAMES[kind] : "OTHER";
  resource.region = event.params.region;
  resource.status = RESOURCE_LISTED;
  applyTerms<ResourceListedTermsStruct>(resource, event.params.terms);
  resource.openBookings = 0;
  resource.bookingCount = 0;
  resource.volumeUsd = ZERO_USD;
  resource.metadataCid = event.params.metadataCid;
  resource.metadataVersion = 1;
  resource.verificationRevoked = false;
  resource.metadata = requestMetadata(id, 1, event.params.metadataCid);
  resource.listedAt = event.block.timestamp;
  resource.updatedAt = event.block.timestamp;
  resource.save();

  const delta = new MarketDelta();
  delta.resources = 1;
  delta.activeResources = 1;
  recordMarket(event.block.timestamp, delta);
  const providerDelta = new ProviderDelta();
  providerDelta.resources = 1;
  providerDelta.activeResources = 1;
  recordProvider(event.params.provider, event.block.timestamp, providerDelta);
}

/** The resource an event is about, or null (with a warning) if the subgraph has not seen it. */
function loadResource(id: BigInt, eventName: string): Resource | null {
  const resource = Resource.load(id.toI64());
  if (resource == null) log.warning("{} for unknown resource {}: ignored", [eventName, id.toString()]);
  return resource;
}

export function handleResourceTermsUpdated(event: ResourceTermsUpdated): void {
  const resource = loadResource(event.params.resourceId, "ResourceTermsUpdated");
  if (resource == null) return;
  applyTerms<ResourceTermsUpdatedTermsStruct>(resource, event.params.terms);
  resource.updatedAt = event.block.timestamp;
  resource.save();
}

export function handleResourceMetadataUpdated(event: ResourceMetadataUpdated): void {
  const id = event.params.resourceId.toI64();
  const version = event.params.metadataVersion.toI32();
  // The document is fetched even for a resource this subgraph has not seen listed (one indexed
  // from a later start block): it is keyed by resource and version, and harmless on its own.
  const metadata = requestMetadata(id, version, event.params.metadataCid);
  const resource = loadResource(event.params.resourceId, "ResourceMetadataUpdated");
  if (resource == null) return;
  resource.metadataCid = event.params.metadataCid;
  resource.metadataVersion = version;
  resource.metadata = metadata;
  // An attestation covers one metadata version (0: never verified): the new metadata is not verified.
  const verified = resource.verifiedMetadataVersion;
  if (verified != 0 && verified != version) resource.verifiedUntil = null;
  resource.updatedAt = event.block.timestamp;
  resource.save();
}

export function handleResourceStatusChanged(event: ResourceStatusChanged): void {
  const resource = loadResource(event.params.resourceId, "ResourceStatusChanged");
  if (resource == null) return;
  const index = event.params.status;
  // Status 0 (None) is never emitted.
  if (index < 1 || index >= RESOURCE_STATUS_NAMES.length) {
    log.warning("ResourceStatusChanged with unknown status {} for resource {}: ignored", [
      index.toString(),
      resource.id.toString(),
    ]);
    return;
  }
  const status = RESOURCE_STATUS_NAMES[index];
  const wasActive = resource.status == RESOURCE_LISTED;
  const isActive = status == RESOURCE_LISTED;
  resource.status = status;
  resource.updatedAt = event.block.timestamp;
  resource.save();
  if (wasActive == isActive) return;

  const change = isActive ? 1 : -1;
  const delta = new MarketDelta();
  delta.activeResources = change;
  recordMarket(event.block.timestamp, delta);
  const providerDelta = new ProviderDelta();
  providerDelta.activeResources = change;
  recordProvider(Address.fromBytes(resource.provider), event.block.timestamp, providerDelta);
}

// ---------------------------------------------------------------------------------------------
// Bookings
// ---------------------------------------------------------------------------------------------

/**
 * A new booking. What was paid (token and amount) is the EscrowManager's record: its Deposited
 * event follows in the same transaction (handleDeposited), before anyone can query the booking.
 */
export function handleBookingRequested(event: BookingRequested): void {
  const params = event.params;
  const id = params.bookingId.toI64();
  const amountUsd = usd(params.usdValueE8);

  const booking = new Booking(id);
  booking.resource = params.resourceId.toI64();
  booking.provider = params.provider;
  booking.consumer = params.consumer;
  booking.token = getPaymentToken(Address.zero()).id;
  booking.status = "REQUESTED";
  booking.hoursBooked = params.hoursBooked;
  booking.amount = ZERO;
  booking.usdValueE8 = params.usdValueE8;
  booking.amountUsd = amountUsd;
  booking.encryptionPublicKey = params.encryptionPublicKey;
  booking.requestedAt = event.block.timestamp;
  booking.withdrawn = ZERO;
  booking.withdrawnUsd = ZERO_USD;
  booking.fees = ZERO;
  booking.refunded = ZERO;
  booking.refundedUsd = ZERO_USD;
  booking.slaCredits = ZERO;
  booking.slaCreditsUsd = ZERO_USD;
  booking.slashed = ZERO;
  booking.cancellationFee = ZERO;
  booking.slaPeriodsSettled = 0;
  booking.slaPeriodsViolated = 0;
  booking.extensionCount = 0;
  booking.hoursExtended = 0;
  initBookingRenewals(booking);
  booking.save();

  const resource = loadResource(params.resourceId, "BookingRequested");
  if (resource != null) {
    resource.openBookings += 1;
    resource.bookingCount += 1;
    resource.volumeUsd = resource.volumeUsd.plus(amountUsd);
    resource.save();
  }

  const consumer = getAccount(params.consumer);
  consumer.bookingCount += 1;
  consumer.spentUsd = consumer.spentUsd.plus(amountUsd);
  consumer.save();

  const delta = new MarketDelta();
  delta.bookings = 1;
  delta.openBookings = 1;
  delta.volumeUsd = amountUsd;
  recordMarket(event.block.timestamp, delta);
  const providerDelta = new ProviderDelta();
  providerDelta.bookings = 1;
  providerDelta.volumeUsd = amountUsd;
  recordProvider(params.provider, event.block.timestamp, providerDelta);
  recordBookingEvent(event, id, "REQUESTED", params.consumer);
}

/** A quorum of oracles confirmed provisioning; whoever submitted their statement is no actor. */
export function handleBookingProvisioned(event: BookingProvisioned): void {
  const booking = loadBooking(event.params.bookingId, "BookingProvisioned");
  if (booking == null) return;
  booking.status = "ACTIVE";
  booking.provisionedAt = event.block.timestamp;
  booking.accessDetailsCid = event.params.accessDetailsCid;
  booking.startedAt = event.params.startedAt;
  setEndsAt(booking, event.params.endsAt);
  booking.save();
  recordBookingEvent(event, booking.id, "PROVISIONED", null);
}

/**
 * The consumer extended a booking: its hours, end and USD value grow; the escrow's DepositIncreased
 * event just before recorded the payment.
 */
export function handleBookingExtended(event: BookingExtended): void {
  const params = event.params;
  const booking = loadBooking(params.bookingId, "BookingExtended");
  if (booking == null) return;
  const amountUsd = usd(params.usdValueE8);
  const extension = BookingExtension.load(extensionId(booking.id, booking.extensionCount));
  if (extension == null) {
    log.warning("BookingExtended without its deposit for booking {}", [booking.id.toString()]);
    return;
  }
  extension.hours = params.extraHours;
  extension.usdValueE8 = params.usdValueE8;
  extension.amountUsd = amountUsd;
  extension.hoursBooked = params.hoursBooked;
  if (params.endsAt.gt(ZERO)) extension.endsAt = params.endsAt;
  extension.save();

  booking.hoursBooked = params.hoursBooked;
  booking.hoursExtended += params.extraHours;
  booking.extensionCount += 1;
  booking.usdValueE8 = booking.usdValueE8.plus(params.usdValueE8);
  booking.amountUsd = booking.amountUsd.plus(amountUsd);
  if (params.endsAt.gt(ZERO)) setEndsAt(booking, params.endsAt);
  booking.save();

  const resource = Resource.load(booking.resource);
  if (resource != null) {
    resource.volumeUsd = resource.volumeUsd.plus(amountUsd);
    resource.save();
  }
  const consumer = getAccount(params.consumer);
  consumer.spentUsd = consumer.spentUsd.plus(amountUsd);
  consumer.save();
  const token = getPaymentToken(Address.fromBytes(booking.token));
  token.volumeUsd = token.volumeUsd.plus(amountUsd);
  token.save();

  const delta = new MarketDelta();
  delta.volumeUsd = amountUsd;
  delta.extensions = 1;
  delta.hoursExtended = params.extraHours;
  recordMarket(event.block.timestamp, delta);
  const providerDelta = new ProviderDelta();
  providerDelta.volumeUsd = amountUsd;
  providerDelta.extensions = 1;
  providerDelta.hoursExtended = params.extraHours;
  recordProvider(Address.fromBytes(booking.provider), event.block.timestamp, providerDelta);
  recordBookingEvent(event, booking.id, "EXTENDED", params.consumer);
}

/**
 * Moves a booking to a final status, frees its unit of the resource's capacity and records the
 * outcome in the statistics. Returns false (and changes nothing) if the booking was already closed.
 */
function closeBooking(booking: Booking, status: string, timestamp: BigInt, providerFailed: boolean): boolean {
  if (booking.status != "REQUESTED" && booking.status != "ACTIVE") {
    log.warning("Booking {} is already {}: {} ignored", [booking.id.toString(), booking.status, status]);
    return false;
  }
  booking.status = status;
  const resource = Resource.load(booking.resource);
  if (resource != null && resource.openBookings > 0) {
    resource.openBookings -= 1;
    resource.save();
  }
  const delta = new MarketDelta();
  delta.openBookings = -1;
  if (status == "CANCELLED") delta.cancelled = 1;
  if (status == "COMPLETED") delta.completed = 1;
  if (status == "TERMINATED") delta.terminated = 1;
  const lapsed = status == "COMPLETED" && endedInGrace(booking, timestamp);
  booking.endedInGrace = lapsed;
  if (lapsed) delta.endedInGrace = 1;
  recordMarket(timestamp, delta);
  const providerDelta = new ProviderDelta();
  if (status == "COMPLETED") providerDelta.completed = 1;
  if (lapsed) providerDelta.endedInGrace = 1;
  if (providerFailed) providerDelta.failed = 1;
  recordProvider(Address.fromBytes(booking.provider), timestamp, providerDelta);
  return true;
}

export function handleBookingCancelled(event: BookingCancelled): void {
  const booking = loadBooking(event.params.bookingId, "BookingCancelled");
  if (booking == null) return;
  const reason = event.params.reason;
  const timedOut = reason == CANCEL_PROVISIONING_TIMED_OUT;
  if (!closeBooking(booking, "CANCELLED", event.block.timestamp, timedOut)) return;
  booking.cancelledAt = event.block.timestamp;
  booking.cancelledBy = event.params.by;
  if (reason < CANCEL_REASON_NAMES.length) booking.cancelReason = CANCEL_REASON_NAMES[reason];
  booking.timedOut = timedOut;
  booking.save();
  recordBookingEvent(event, booking.id, "CANCELLED", event.params.by);
}

export function handleBookingCompleted(event: BookingCompleted): void {
  const booking = loadBooking(event.params.bookingId, "BookingCompleted");
  if (booking == null) return;
  if (!closeBooking(booking, "COMPLETED", event.block.timestamp, false)) return;
  booking.completedAt = event.block.timestamp;
  booking.save();
  recordBookingEvent(event, booking.id, "COMPLETED", null);
}

export function handleBookingTerminated(event: BookingTerminated): void {
  const booking = loadBooking(event.params.bookingId, "BookingTerminated");
  if (booking == null) return;
  const byProvider = event.params.byProvider;
  if (!closeBooking(booking, "TERMINATED", event.block.timestamp, byProvider)) return;
  booking.terminatedAt = event.block.timestamp;
  booking.terminatedBy = event.params.by;
  booking.terminatedByProvider = byProvider;
  // Billing stops now: the stream's end moves to the termination.
  const endsAt = booking.endsAt;
  if (endsAt === null || event.block.timestamp.lt(endsAt)) booking.endsAt = event.block.timestamp;
  booking.graceEndsAt = null;
  booking.save();
  recordBookingEvent(event, booking.id, "TERMINATED", event.params.by);
}

// ---------------------------------------------------------------------------------------------
// Governance
// ---------------------------------------------------------------------------------------------

export function handlePaused(_event: Paused): void {
  const protocol = getProtocol();
  protocol.paused = true;
  protocol.save();
}

export function handleUnpaused(_event: Unpaused): void {
  const protocol = getProtocol();
  protocol.paused = false;
  protocol.save();
}

export function handleProvisionTimeoutUpdated(event: ProvisionTimeoutUpdated): void {
  const protocol = getProtocol();
  protocol.provisionTimeoutSeconds = event.params.provisionTimeoutSeconds;
  protocol.save();
}

export function handleResourceVerifierUpdated(event: ResourceVerifierUpdated): void {
  const protocol = getProtocol();
  protocol.resourceVerifier = event.params.verifier;
  protocol.save();
}

export function handleOracleSignersUpdated(event: OracleSignersUpdated): void {
  const protocol = getProtocol();
  protocol.oracleSigners = event.params.signers;
  protocol.save();
}

export function handleBondCoverageUpdated(event: BondCoverageUpdated): void {
  const protocol = getProtocol();
  protocol.bondCoverageBps = event.params.coverageBps;
  protocol.save();
}

export function handleCancellationPolicyUpdated(event: CancellationPolicyUpdated): void {
  const protocol = getProtocol();
  protocol.cancellationFeeBps = event.params.feeBps;
  protocol.freeCancellationSeconds = event.params.freeSeconds;
  protocol.save();
}
