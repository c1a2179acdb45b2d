// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPriceOracle} from "./IPriceOracle.sol";
import {IQuorumSigned} from "./IQuorumSigned.sol";
import {IResourceVerifier} from "./IResourceVerifier.sol";

/// @title IResourceMarketplace
/// @notice Providers register and list cloud resources; consumers book them, paying in escrow at
/// the oracle price of the resource's USD rate. A booking is Requested until a quorum of oracles
/// confirms provisioning (Active, billing starts), then Completed at its end; it can be Cancelled
/// before provisioning (by the consumer, by anyone once provisioning has timed out, or by a quorum
/// of oracles stating that the consumer's own input makes it unservable) and Terminated early by
/// either party while active.
/// @dev What a booking settles by is fixed when it is booked: its SLA terms (the resource's terms
/// in force just before the second it was requested; see `bookedSlaTerms`), its provisioning
/// deadline (`provisionDeadline`), and the credit policy (SLAEnforcement keys it by `requestedAt`).
/// A provider may change a resource's terms at any time; open bookings keep theirs.
interface IResourceMarketplace {
    /// @notice What a resource is.
    enum ResourceKind {
        VirtualMachine,
        GpuMachine,
        Storage,
        BareMetal,
        Container
    }

    /// @notice Whether a resource takes new bookings. Delisted is final.
    enum ResourceStatus {
        None,
        Listed,
        Paused,
        Delisted
    }

    /// @notice Where a booking is in its lifecycle. Completed, Cancelled and Terminated are final.
    enum BookingStatus {
        None,
        Requested,
        Active,
        Completed,
        Cancelled,
        Terminated
    }

    /// @notice Why a booking was cancelled before provisioning.
    /// @dev ByConsumer: the consumer cancelled (after the free window, for a fee to the provider).
    /// ProvisioningTimedOut: no quorum confirmed it in time, a provider failure (bond slashed).
    /// UnusableEncryptionKey: a quorum of oracles stated that the consumer's encryption key cannot
    /// seal the access details (full refund, nobody slashed, no reputation change).
    enum CancelReason {
        ByConsumer,
        ProvisioningTimedOut,
        UnusableEncryptionKey
    }

    /// @notice The SLA a booking is measured against.
    /// @param uptimeTargetBps Uptime target per period, in basis points.
    /// @param maxLatencyMs Limit on p95 latency per period (0: none).
    struct SlaTerms {
        uint16 uptimeTargetBps;
        uint32 maxLatencyMs;
    }

    /// @notice The terms a provider sets for a resource and may change later.
    /// @param pricePerHourUsdE8 Price per hour in USD, 8 decimals.
    /// @param capacity How many bookings (requested or active) the resource serves at once.
    /// @param minHours Shortest booking.
    /// @param maxHours Longest booking.
    /// @param uptimeTargetBps SLA uptime target per period, in basis points.
    /// @param maxLatencyMs SLA limit on p95 latency per period (0: none).
    /// @param acceptedTokens Payment tokens accepted (`address(0)`: the native currency).
    struct ResourceTerms {
        uint64 pricePerHourUsdE8;
        uint16 capacity;
        uint16 minHours;
        uint16 maxHours;
        uint16 uptimeTargetBps;
        uint32 maxLatencyMs;
        address[] acceptedTokens;
    }

    /// @notice A new listing.
    /// @param metadataCid IPFS CID of the resource's metadata document.
    /// @param region Cloud region or location code, e.g. "eu-west-1".
    struct ResourceParams {
        string metadataCid;
        string region;
        ResourceKind kind;
        ResourceTerms terms;
    }

    /// @notice A listed resource, as stored. Two storage slots; a booking reads both and writes the
    /// first.
    /// @param acceptedTokens Mask of accepted payment token ids (bit i: token id i).
    /// @param metadataVersion Incremented whenever the metadata document changes.
    /// @param slaSince When the current SLA terms replaced earlier ones (0: never changed); bookings
    /// requested at or before it settle by earlier terms.
    /// @param slaVersions Earlier SLA terms kept for the bookings made under them.
    struct Resource {
        address provider;
        uint64 pricePerHourUsdE8;
        uint16 capacity;
        uint16 activeBookings;
        ResourceStatus status;
        ResourceKind kind;
        uint16 minHours;
        uint16 maxHours;
        uint16 uptimeTargetBps;
        uint32 maxLatencyMs;
        uint64 acceptedTokens;
        uint32 metadataVersion;
        uint32 slaSince;
        uint32 slaVersions;
    }

    /// @notice An EIP-2612 permit signature and its deadline.
    struct Permit {
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice A booking, as stored. One storage slot; its money is in the EscrowManager.
    /// @param requestedAt When it was booked (seconds; fits until 2106). It selects the SLA terms,
    /// provisioning timeout and credit policy the booking settles by.
    struct Booking {
        address consumer;
        uint32 resourceId;
        uint16 hoursBooked;
        uint8 tokenId;
        BookingStatus status;
        uint32 requestedAt;
    }

    /// @notice Emitted when an account registers as a provider.
    event ProviderRegistered(address indexed provider, string profileCid);
    /// @notice Emitted when a provider changes its profile document.
    event ProviderProfileUpdated(address indexed provider, string profileCid);
    /// @notice Emitted when a resource is listed.
    event ResourceListed(
        uint256 indexed resourceId,
        address indexed provider,
        ResourceKind kind,
        string region,
        string metadataCid,
        ResourceTerms terms
    );
    /// @notice Emitted when a resource's terms change; open bookings keep the SLA terms they were booked with.
    event ResourceTermsUpdated(uint256 indexed resourceId, ResourceTerms terms);
    /// @notice Emitted when a resource's metadata document changes.
    event ResourceMetadataUpdated(uint256 indexed resourceId, string metadataCid, uint32 metadataVersion);
    /// @notice Emitted when a resource is paused, resumed or delisted.
    event ResourceStatusChanged(uint256 indexed resourceId, ResourceStatus status);
    /// @notice Emitted when a consumer books a resource; the payment's token and amount are in the
    /// EscrowManager's `Deposited` event, which follows in the same transaction.
    /// @param usdValueE8 Price of the booking in USD (8 decimals).
    /// @param encryptionPublicKey Consumer's X25519 public key, to which access details are encrypted.
    event BookingRequested(
        uint256 indexed bookingId,
        uint256 indexed resourceId,
        address indexed consumer,
        address provider,
        uint256 usdValueE8,
        uint16 hoursBooked,
        bytes32 encryptionPublicKey
    );
    /// @notice Emitted when the consumer extends a booking; the payment's token and amount are in the
    /// EscrowManager's `DepositIncreased` event just before it.
    /// @param usdValueE8 Price of the extra hours in USD (8 decimals), at the resource's price now.
    /// @param hoursBooked The booking's hours with the extension.
    /// @param endsAt When the booking now ends (0 if it is not provisioned yet).
    event BookingExtended(
        uint256 indexed bookingId,
        address indexed consumer,
        uint16 extraHours,
        uint256 usdValueE8,
        uint16 hoursBooked,
        uint40 endsAt
    );
    /// @notice Emitted when a quorum of oracles confirmed provisioning; billing started.
    /// @param accessDetailsCid IPFS CID of the access details, encrypted to the consumer's key.
    event BookingProvisioned(
        uint256 indexed bookingId,
        address indexed consumer,
        string accessDetailsCid,
        uint40 startedAt,
        uint40 endsAt
    );
    /// @notice Emitted when a booking was cancelled before provisioning and refunded.
    /// @param by Who cancelled (for consumer faults, who submitted the oracles' statement).
    event BookingCancelled(
        uint256 indexed bookingId,
        address indexed consumer,
        address indexed by,
        CancelReason reason
    );
    /// @notice Emitted when a booking has run to its end.
    event BookingCompleted(uint256 indexed bookingId, address indexed consumer);
    /// @notice Emitted when a booking was terminated early.
    /// @param byProvider Whether the provider terminated it (a provider failure).
    /// @param refund Unused amount credited to the consumer.
    event BookingTerminated(
        uint256 indexed bookingId,
        address indexed consumer,
        address indexed by,
        bool byProvider,
        uint256 refund
    );
    /// @notice Emitted when the guardian stops new listings and bookings.
    event Paused(address guardian);
    /// @notice Emitted when the guardian resumes new listings and bookings.
    event Unpaused(address guardian);
    /// @notice Emitted when the provisioning timeout changes (for bookings requested from the next second on).
    event ProvisionTimeoutUpdated(uint32 provisionTimeoutSeconds);
    /// @notice Emitted when the resource verifier changes.
    event ResourceVerifierUpdated(address indexed verifier);
    /// @notice Emitted when the oracle signer set that confirms provisioning changes.
    event OracleSignersUpdated(address indexed signers);
    /// @notice Emitted when the minimum bond coverage changes.
    event BondCoverageUpdated(uint16 coverageBps);
    /// @notice Emitted when the fee for late consumer cancellations changes.
    event CancellationPolicyUpdated(uint16 feeBps, uint32 freeSeconds);

    /// @notice New listings and bookings are paused.
    error MarketplacePaused();
    /// @notice The account is already a registered provider.
    error MarketplaceAlreadyRegistered(address provider);
    /// @notice The account is not a registered provider.
    error MarketplaceNotProvider(address account);
    /// @notice Not a CIDv0 or base32 CIDv1 of at most 128 bytes.
    error MarketplaceInvalidCid(string cid);
    /// @notice A region code that is empty or longer than 32 bytes.
    error MarketplaceInvalidRegion();
    /// @notice Terms out of range (zero price or capacity, min > max hours, target above 100 %, no tokens).
    error MarketplaceInvalidTerms();
    /// @notice No such resource.
    error MarketplaceUnknownResource(uint256 resourceId);
    /// @notice Only the resource's provider may do this.
    error MarketplaceNotResourceProvider(uint256 resourceId, address caller);
    /// @notice The resource is not in a status that allows this.
    error MarketplaceInvalidResourceStatus(uint256 resourceId, ResourceStatus status);
    /// @notice Booked hours outside the resource's range.
    error MarketplaceInvalidHours(uint256 resourceId, uint256 hoursBooked, uint16 minHours, uint16 maxHours);
    /// @notice Every unit of the resource is booked.
    error MarketplaceNoCapacity(uint256 resourceId, uint16 capacity);
    /// @notice The resource does not accept this payment token.
    error MarketplaceTokenNotAccepted(uint256 resourceId, address token);
    /// @notice The price exceeds the consumer's maximum.
    error MarketplaceSlippage(uint256 amount, uint256 maxPayment);
    /// @notice The SLA the booking would get is looser than the consumer's minimum (a lower uptime
    /// target, or a higher or no latency limit where the consumer asked for one).
    error MarketplaceSlaBelowMinimum(uint256 resourceId, SlaTerms offered, SlaTerms minimum);
    /// @notice Native currency sent with an ERC-20 payment, or too little sent for a native payment.
    error MarketplaceInvalidValue(uint256 expected, uint256 received);
    /// @notice A provider cannot book its own resource.
    error MarketplaceSelfBooking(uint256 resourceId);
    /// @notice Not an X25519 public key access details can be encrypted to (zero, small order or
    /// not canonical).
    error MarketplaceInvalidEncryptionKey(bytes32 encryptionPublicKey);
    /// @notice The provider's bonds are worth less than the minimum coverage of its active bookings
    /// plus this one.
    error MarketplaceInsufficientBond(address provider, uint256 bondUsdE8, uint256 requiredUsdE8);
    /// @notice A booking is extended in the token it was paid in.
    error MarketplaceWrongToken(uint256 bookingId, address token);
    /// @notice The permit failed and the allowance does not cover `maxPayment`.
    error MarketplacePermitFailed(address token);
    /// @notice No such booking.
    error MarketplaceUnknownBooking(uint256 bookingId);
    /// @notice The booking is in its grace: until `graceEndsAt` only its consumer may complete it.
    error MarketplaceInGrace(uint256 bookingId, uint256 graceEndsAt);
    /// @notice The booking is not in a status that allows this.
    error MarketplaceInvalidBookingStatus(uint256 bookingId, BookingStatus status);
    /// @notice The caller may not do this to the booking.
    error MarketplaceUnauthorized(uint256 bookingId, address caller);
    /// @notice Provisioning was confirmed after its deadline.
    error MarketplaceProvisioningExpired(uint256 bookingId, uint256 deadline);
    /// @notice Only the consumer may cancel before the provisioning deadline.
    error MarketplaceProvisioningPending(uint256 bookingId, uint256 deadline);
    /// @notice A consumer-fault statement must name a consumer fault.
    error MarketplaceNotConsumerFault(CancelReason reason);
    /// @notice No oracle signer set is configured to confirm provisioning.
    error MarketplaceNoOracleSigners();
    /// @notice A provisioning timeout outside 1 minute – 7 days.
    error MarketplaceInvalidTimeout(uint256 provisionTimeoutSeconds);
    /// @notice A bond coverage above 100 %.
    error MarketplaceInvalidBondCoverage(uint16 coverageBps);
    /// @notice A cancellation fee above 10 % or a free window above the longest provisioning timeout.
    error MarketplaceInvalidCancellationPolicy(uint16 feeBps, uint32 freeSeconds);

    /// @notice Registers the caller as a provider.
    /// @param profileCid IPFS CID of the provider's profile document.
    function registerProvider(string calldata profileCid) external;

    /// @notice Replaces the caller's profile document.
    function updateProviderProfile(string calldata profileCid) external;

    /// @notice Lists a resource of the caller (a registered provider).
    /// @return resourceId The new resource's id.
    function listResource(ResourceParams calldata params) external returns (uint256 resourceId);

    /// @notice Changes a resource's terms. Open bookings keep the price they paid and the SLA terms
    /// they were booked with; new SLA terms apply to bookings requested from the next second on.
    function updateResourceTerms(uint256 resourceId, ResourceTerms calldata terms) external;

    /// @notice Replaces a resource's metadata document.
    function updateResourceMetadata(uint256 resourceId, string calldata metadataCid) external;

    /// @notice Stops (`stopBookings` true) or resumes new bookings of a resource.
    function setResourcePaused(uint256 resourceId, bool stopBookings) external;

    /// @notice Delists a resource for good. Open bookings run on.
    function delistResource(uint256 resourceId) external;

    /// @notice Books `hoursBooked` hours of a resource, paying the USD price converted at the oracle price.
    /// @param token Payment token (`address(0)`: native currency, sent with the call; ERC-20s must be
    /// approved to the EscrowManager).
    /// @param maxPayment Most the caller will pay; protects against price moves. For the native
    /// currency, any value sent above the price is returned.
    /// @param minSla The loosest SLA the caller accepts (what it was shown): protects against the
    /// provider loosening the terms before the booking lands. A `maxLatencyMs` of 0 accepts any.
    /// @param encryptionPublicKey The caller's X25519 public key for the access details.
    /// @return bookingId The new booking's id.
    function book(
        uint256 resourceId,
        uint16 hoursBooked,
        address token,
        uint256 maxPayment,
        SlaTerms calldata minSla,
        bytes32 encryptionPublicKey
    ) external payable returns (uint256 bookingId);

    /// @notice Books like `book`, paying in an EIP-2612 token with a permit signed by the caller for
    /// the EscrowManager, in one transaction. A permit that was already used (for instance by a
    /// front-runner) is ignored if the allowance is in place. Allowance left over when the price is
    /// below `maxPayment` stays with the EscrowManager, which only ever pulls a consumer's tokens for
    /// that consumer's own bookings.
    /// @param permit The caller's permit for the EscrowManager to spend `maxPayment` of `token`.
    function bookWithPermit(
        uint256 resourceId,
        uint16 hoursBooked,
        address token,
        uint256 maxPayment,
        SlaTerms calldata minSla,
        bytes32 encryptionPublicKey,
        Permit calldata permit
    ) external returns (uint256 bookingId);

    /// @notice Extends the caller's requested or running booking by `extraHours` (1 to the
    /// resource's `maxHours`), paying the resource's USD price now in the booking's token. The
    /// booking keeps its unit of capacity, its SLA terms, its SLA periods and its protocol fee; a
    /// running stream goes on after its current end at the extension's rate, so nothing already
    /// streamed changes. A running booking must be extended before its grace is over (extended in
    /// its grace, it resumes: billing restarts now, see EscrowManager `extendDeposit`); a requested
    /// one before its provisioning deadline, and to no more than `maxHours` in all. The booking's
    /// consumer extends it, or the renewer (BookingRenewals, by the consumer's renewal policy) on its
    /// behalf; an ERC-20 extension is always paid from the consumer's allowance.
    /// @param token The booking's payment token (`address(0)`: native currency, sent with the call).
    /// @param maxPayment Most the caller will pay for the extension; native currency sent above the
    /// price is returned.
    /// @param minSla The loosest SLA the caller accepts, checked against the booking's own terms.
    /// @return endsAt When the booking now ends (0 if it is not provisioned yet).
    function extendBooking(
        uint256 bookingId,
        uint16 extraHours,
        address token,
        uint256 maxPayment,
        SlaTerms calldata minSla
    ) external payable returns (uint40 endsAt);

    /// @notice Extends like `extendBooking`, paying in an EIP-2612 token with a permit signed by the
    /// caller for the EscrowManager (see `bookWithPermit`).
    function extendBookingWithPermit(
        uint256 bookingId,
        uint16 extraHours,
        address token,
        uint256 maxPayment,
        SlaTerms calldata minSla,
        Permit calldata permit
    ) external returns (uint40 endsAt);

    /// @notice Confirms that a booking's resource is provisioned; billing starts. Anyone may submit
    /// the statement; it needs a quorum of the oracle signers (`oracleSigners`), each of which
    /// reached the machine itself before signing.
    /// @param accessDetailsCid IPFS CID of the access details encrypted to the consumer's key.
    /// @param signatures EIP-712 signatures of `Provisioning(bookingId, accessDetailsCid)` over the
    /// oracle signer set's domain, ordered by ascending signer address.
    function confirmProvisioning(
        uint256 bookingId,
        string calldata accessDetailsCid,
        bytes[] calldata signatures
    ) external;

    /// @notice Cancels a requested booking that a quorum of oracles found unservable because of the
    /// consumer's own input: full refund, nobody slashed, no reputation change. Anyone may submit.
    /// @param reason UnusableEncryptionKey, the only consumer fault there is today.
    /// @param signatures EIP-712 signatures of `ConsumerFault(bookingId, consumer, reason)` over the oracle
    /// signer set's domain, ordered by ascending signer address.
    function cancelForConsumerFault(uint256 bookingId, CancelReason reason, bytes[] calldata signatures) external;

    /// @notice Cancels a booking that is not provisioned and refunds it: the consumer may cancel at
    /// any time (after the free window, less the cancellation fee, which goes to the provider);
    /// anyone once provisioning has timed out (a full refund, and the provider's bond is slashed).
    function cancelBooking(uint256 bookingId) external;

    /// @notice Completes a booking that has reached its end (before it, the EscrowManager reverts
    /// with EscrowStreamNotEnded). During its grace (EscrowManager `gracePeriod` after the end),
    /// when an extension can still resume it, only the consumer may (giving up the grace); anyone
    /// may after it.
    function completeBooking(uint256 bookingId) external;

    /// @notice Ends an active booking early. By the consumer: unused time is refunded. By the
    /// provider: unused time is refunded and it counts as a provider failure.
    function terminateBooking(uint256 bookingId) external;

    /// @notice Rates the provider of a completed booking, 1–5, once. Consumer only; the booking
    /// must be worth at least the reputation system's minimum value.
    function rateBooking(uint256 bookingId, uint8 score) external;

    /// @notice Stops new listings and bookings. Guardian only; withdrawals and refunds never stop.
    function pause() external;

    /// @notice Resumes new listings and bookings. Guardian only.
    function unpause() external;

    /// @notice Sets how long oracles have to confirm provisioning of bookings requested from the
    /// next second on. DAO only; bookings already made keep their deadline.
    function setProvisionTimeout(uint32 provisionTimeoutSeconds) external;

    /// @notice Sets the contract that attests resources (zero: none). DAO only.
    function setResourceVerifier(IResourceVerifier verifier) external;

    /// @notice Sets the oracle signer set whose quorum confirms provisioning and states consumer
    /// faults (SLAEnforcement). DAO only.
    function setOracleSigners(IQuorumSigned signers) external;

    /// @notice Sets the minimum bond coverage: a provider's bonds (in USD, across tokens) must be
    /// worth at least `coverageBps` of its active bookings plus a new one for that booking to be
    /// accepted (0: no minimum). DAO only.
    function setBondCoverage(uint16 coverageBps) external;

    /// @notice Sets what a consumer pays the provider for cancelling a requested booking after
    /// `freeSeconds`: `feeBps` of the booking. DAO only; at most 10 %.
    function setCancellationPolicy(uint16 feeBps, uint32 freeSeconds) external;

    /// @notice Whether new listings and bookings are paused.
    function paused() external view returns (bool);

    /// @notice A resource.
    function getResource(uint256 resourceId) external view returns (Resource memory);

    /// @notice A booking.
    function getBooking(uint256 bookingId) external view returns (Booking memory);

    /// @notice When `provider` registered (0: not registered).
    function providerRegisteredAt(address provider) external view returns (uint40);

    /// @notice What settlement needs about a booking: its consumer, when it was requested (which
    /// selects the credit policy) and the SLA terms it was booked with.
    function bookedSlaTerms(
        uint256 bookingId
    ) external view returns (address consumer, uint32 requestedAt, SlaTerms memory terms);

    /// @notice When a requested booking's provisioning times out.
    function provisionDeadline(uint256 bookingId) external view returns (uint256);

    /// @notice Seconds oracles have to confirm provisioning of bookings requested now.
    function provisionTimeout() external view returns (uint32);

    /// @notice The price oracle that prices bookings.
    function priceOracle() external view returns (IPriceOracle);

    /// @notice Whether the resource has a verification in force (see IResourceVerifier).
    function isResourceVerified(uint256 resourceId) external view returns (bool);

    /// @notice The resource verifier, or zero.
    function resourceVerifier() external view returns (IResourceVerifier);

    /// @notice The oracle signer set that confirms provisioning, or zero.
    function oracleSigners() external view returns (IQuorumSigned);

    /// @notice The minimum bond coverage of active bookings, in basis points (0: none).
    function bondCoverage() external view returns (uint16);

    /// @notice The fee for late consumer cancellations and the free window before it applies.
    function cancellationPolicy() external view returns (uint16 feeBps, uint32 freeSeconds);

    /// @notice Number of resources listed so far (ids run from 1).
    function resourceCount() external view returns (uint256);

    /// @notice Number of bookings made so far (ids run from 1).
    function bookingCount() external view returns (uint256);
}
