// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {ManagedUpgradeable} from "../access/ManagedUpgradeable.sol";
import {IEscrowManager} from "../interfaces/IEscrowManager.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IQuorumSigned} from "../interfaces/IQuorumSigned.sol";
import {IReputationSystem} from "../interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../interfaces/IResourceMarketplace.sol";
import {IResourceVerifier} from "../interfaces/IResourceVerifier.sol";
import {CidFormat} from "../libraries/CidFormat.sol";
import {X25519Key} from "../libraries/X25519Key.sol";

/// @title ResourceMarketplace
/// @notice Providers, their resources and the lifecycle of every booking. Payments live in the
/// EscrowManager, which this contract instructs at each step of a booking.
/// @dev Booked terms without a slot per booking: the booking slot is full, and a booking's
/// `requestedAt` already says which terms it was made under. A resource keeps its earlier SLA terms
/// (with the time each was replaced) only when they change; a booking settles by the terms in force
/// just before the second it was requested, found by binary search over the resource's history
/// when it is older than the current terms. Bookings of a resource whose terms never changed (the
/// usual case) pay nothing for this. The provisioning timeout keeps its history the same way.
contract ResourceMarketplace is IResourceMarketplace, ManagedUpgradeable {
    /// @notice Role that may pause new listings and bookings.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice Role that extends bookings on their consumers' behalf (BookingRenewals).
    bytes32 public constant RENEWER_ROLE = keccak256("RENEWER_ROLE");
    /// @notice EIP-712 type hash of the oracles' provisioning confirmation.
    bytes32 public constant PROVISIONING_TYPEHASH = keccak256(
        "Provisioning(uint256 bookingId,address consumer,string accessDetailsCid)"
    );
    /// @notice EIP-712 type hash of the oracles' statement that a booking's own input makes it unservable.
    bytes32 public constant CONSUMER_FAULT_TYPEHASH = keccak256(
        "ConsumerFault(uint256 bookingId,address consumer,uint8 reason)"
    );

    uint256 private constant MAX_REGION_LENGTH = 32;
    uint256 private constant BPS = 10_000;
    uint256 private constant MIN_PROVISION_TIMEOUT_SECONDS = 1 minutes;
    uint256 private constant MAX_PROVISION_TIMEOUT_SECONDS = 7 days;
    uint16 private constant MAX_CANCELLATION_FEE_BPS = 1_000;

    /// @dev What a booking costs and whom it pays, and the bond coverage it needs (read with the
    /// price oracle's address, from the same slot).
    struct Quote {
        address provider;
        uint256 usdValueE8;
        uint256 amount;
        uint8 tokenId;
        uint16 bondCoverageBps;
    }

    /// @dev A value that was replaced, and when: a resource's SLA terms (uptime target in the low
    /// 16 bits, latency limit above) or the provisioning timeout. One storage slot.
    struct Replaced {
        uint32 replacedAt;
        uint224 value;
    }

    /// @custom:storage-location erc7201:dcloudx.storage.Marketplace
    struct MarketplaceStorage {
        // One slot, read by every booking.
        IEscrowManager escrow;
        uint56 bookingCount;
        uint32 provisionTimeoutSeconds;
        bool paused;
        // One slot, also read by every booking (for the price oracle).
        IPriceOracle priceOracle;
        uint32 resourceCount;
        uint16 bondCoverageBps;
        uint16 cancellationFeeBps;
        uint32 freeCancellationSeconds;
        IReputationSystem reputation;
        mapping(address provider => uint40) providerRegisteredAt;
        mapping(uint256 resourceId => Resource) resources;
        mapping(uint256 bookingId => Booking) bookings;
        // One slot, read by confirmations and cancellations: when the timeout last changed (0:
        // never) and how many timeouts it replaced so far.
        IResourceVerifier verifier;
        uint32 provisionTimeoutVersions;
        uint32 provisionTimeoutSince;
        IQuorumSigned oracleSigners;
        /// @dev Earlier SLA terms of each resource, oldest first (see `Resource.slaVersions`).
        mapping(uint256 resourceId => mapping(uint256 version => Replaced)) slaHistory;
        /// @dev Earlier provisioning timeouts, oldest first.
        mapping(uint256 version => Replaced) provisionTimeoutHistory;
    }

    // keccak256(abi.encode(uint256(keccak256("dcloudx.storage.Marketplace")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xa8f4221703c73a9f5efa9e099f970933afbaae8ddf8cb4ed2ccb74e46df82700;

    function _getMarketplaceStorage() private pure returns (MarketplaceStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @notice Initializes the proxy.
    /// @param admin Holder of the admin and upgrader roles (the DAO timelock in production).
    function initialize(
        address admin,
        IPriceOracle oracle,
        IEscrowManager escrow,
        IReputationSystem reputation,
        uint32 provisionTimeoutSeconds
    ) external initializer {
        __Managed_init(admin);
        if (address(oracle) == address(0) || address(escrow) == address(0) || address(reputation) == address(0)) {
            revert ManagedZeroAddress();
        }
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        $.priceOracle = oracle;
        $.escrow = escrow;
        $.reputation = reputation;
        $.provisionTimeoutSeconds = _validTimeout(provisionTimeoutSeconds);
        emit ProvisionTimeoutUpdated(provisionTimeoutSeconds);
    }

    /// @dev The pause flag shares the slot every booking reads anyway.
    modifier whenNotPaused() {
        if (_getMarketplaceStorage().paused) revert MarketplacePaused();
        _;
    }

    // ---------------------------------------------------------------------------------------------
    // Providers and resources
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IResourceMarketplace
    function registerProvider(string calldata profileCid) external {
        _checkCid(profileCid);
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        if ($.providerRegisteredAt[msg.sender] != 0) revert MarketplaceAlreadyRegistered(msg.sender);
        $.providerRegisteredAt[msg.sender] = uint40(block.timestamp);
        emit ProviderRegistered(msg.sender, profileCid);
    }

    /// @inheritdoc IResourceMarketplace
    function updateProviderProfile(string calldata profileCid) external {
        _checkCid(profileCid);
        if (_getMarketplaceStorage().providerRegisteredAt[msg.sender] == 0) revert MarketplaceNotProvider(msg.sender);
        emit ProviderProfileUpdated(msg.sender, profileCid);
    }

    /// @inheritdoc IResourceMarketplace
    function listResource(ResourceParams calldata params) external whenNotPaused returns (uint256 resourceId) {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        if ($.providerRegisteredAt[msg.sender] == 0) revert MarketplaceNotProvider(msg.sender);
        _checkCid(params.metadataCid);
        if (bytes(params.region).length == 0 || bytes(params.region).length > MAX_REGION_LENGTH) {
            revert MarketplaceInvalidRegion();
        }
        ResourceTerms calldata terms = params.terms;
        uint64 acceptedTokens = _validateTerms($, terms);

        resourceId = ++$.resourceCount;
        $.resources[resourceId] = Resource({
            provider: msg.sender,
            pricePerHourUsdE8: terms.pricePerHourUsdE8,
            capacity: terms.capacity,
            activeBookings: 0,
            status: ResourceStatus.Listed,
            kind: params.kind,
            minHours: terms.minHours,
            maxHours: terms.maxHours,
            uptimeTargetBps: terms.uptimeTargetBps,
            maxLatencyMs: terms.maxLatencyMs,
            acceptedTokens: acceptedTokens,
            metadataVersion: 1,
            slaSince: 0,
            slaVersions: 0
        });
        emit ResourceListed(resourceId, msg.sender, params.kind, params.region, params.metadataCid, terms);
    }

    /// @inheritdoc IResourceMarketplace
    function updateResourceTerms(uint256 resourceId, ResourceTerms calldata terms) external {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Resource storage resource = _ownedResource($, resourceId);
        if (resource.status == ResourceStatus.Delisted) {
            revert MarketplaceInvalidResourceStatus(resourceId, resource.status);
        }
        uint64 acceptedTokens = _validateTerms($, terms);
        if (terms.uptimeTargetBps != resource.uptimeTargetBps || terms.maxLatencyMs != resource.maxLatencyMs) {
            // Bookings requested up to this second keep the terms being replaced.
            uint32 version = resource.slaVersions;
            $.slaHistory[resourceId][version] = Replaced({
                replacedAt: uint32(block.timestamp),
                value: uint224(resource.uptimeTargetBps) | (uint224(resource.maxLatencyMs) << 16)
            });
            resource.slaVersions = version + 1;
            resource.slaSince = uint32(block.timestamp);
            resource.uptimeTargetBps = terms.uptimeTargetBps;
            resource.maxLatencyMs = terms.maxLatencyMs;
        }
        resource.pricePerHourUsdE8 = terms.pricePerHourUsdE8;
        resource.capacity = terms.capacity;
        resource.minHours = terms.minHours;
        resource.maxHours = terms.maxHours;
        resource.acceptedTokens = acceptedTokens;
        emit ResourceTermsUpdated(resourceId, terms);
    }

    /// @inheritdoc IResourceMarketplace
    function updateResourceMetadata(uint256 resourceId, string calldata metadataCid) external {
        _checkCid(metadataCid);
        Resource storage resource = _ownedResource(_getMarketplaceStorage(), resourceId);
        if (resource.status == ResourceStatus.Delisted) {
            revert MarketplaceInvalidResourceStatus(resourceId, resource.status);
        }
        uint32 version = ++resource.metadataVersion;
        emit ResourceMetadataUpdated(resourceId, metadataCid, version);
    }

    /// @inheritdoc IResourceMarketplace
    function setResourcePaused(uint256 resourceId, bool stopBookings) external {
        Resource storage resource = _ownedResource(_getMarketplaceStorage(), resourceId);
        ResourceStatus from = stopBookings ? ResourceStatus.Listed : ResourceStatus.Paused;
        if (resource.status != from) revert MarketplaceInvalidResourceStatus(resourceId, resource.status);
        resource.status = stopBookings ? ResourceStatus.Paused : ResourceStatus.Listed;
        emit ResourceStatusChanged(resourceId, resource.status);
    }

    /// @inheritdoc IResourceMarketplace
    function delistResource(uint256 resourceId) external {
        Resource storage resource = _ownedResource(_getMarketplaceStorage(), resourceId);
        if (resource.status == ResourceStatus.Delisted) {
            revert MarketplaceInvalidResourceStatus(resourceId, resource.status);
        }
        resource.status = ResourceStatus.Delisted;
        emit ResourceStatusChanged(resourceId, ResourceStatus.Delisted);
    }

    // ---------------------------------------------------------------------------------------------
    // Bookings
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IResourceMarketplace
    function book(
        uint256 resourceId,
        uint16 hoursBooked,
        address token,
        uint256 maxPayment,
        SlaTerms calldata minSla,
        bytes32 encryptionPublicKey
    ) external payable whenNotPaused returns (uint256 bookingId) {
        return _book(resourceId, hoursBooked, token, maxPayment, minSla, encryptionPublicKey);
    }

    /// @inheritdoc IResourceMarketplace
    function bookWithPermit(
        uint256 resourceId,
        uint16 hoursBooked,
        address token,
        uint256 maxPayment,
        SlaTerms calldata minSla,
        bytes32 encryptionPublicKey,
        Permit calldata permit
    ) external whenNotPaused returns (uint256 bookingId) {
        _permit(token, maxPayment, permit);
        return _book(resourceId, hoursBooked, token, maxPayment, minSla, encryptionPublicKey);
    }

    /// @inheritdoc IResourceMarketplace
    function extendBooking(
        uint256 bookingId,
        uint16 extraHours,
        address token,
        uint256 maxPayment,
        SlaTerms calldata minSla
    ) external payable whenNotPaused returns (uint40 endsAt) {
        return _extend(bookingId, extraHours, token, maxPayment, minSla);
    }

    /// @inheritdoc IResourceMarketplace
    function extendBookingWithPermit(
        uint256 bookingId,
        uint16 extraHours,
        address token,
        uint256 maxPayment,
        SlaTerms calldata minSla,
        Permit calldata permit
    ) external whenNotPaused returns (uint40 endsAt) {
        _permit(token, maxPayment, permit);
        return _extend(bookingId, extraHours, token, maxPayment, minSla);
    }

    /// @dev Lets the EscrowManager take up to `maxPayment` of the caller's `token` by its permit.
    function _permit(address token, uint256 maxPayment, Permit calldata permit) private {
        // The native currency has no permits; an address without code would fail outside the try.
        if (token.code.length == 0) revert MarketplacePermitFailed(token);
        address spender = address(_getMarketplaceStorage().escrow);
        // A permit can be front-run with the same signature; what matters is the allowance.
        try
            IERC20Permit(token).permit(msg.sender, spender, maxPayment, permit.deadline, permit.v, permit.r, permit.s)
        {} catch {
            if (IERC20(token).allowance(msg.sender, spender) < maxPayment) revert MarketplacePermitFailed(token);
        }
    }

    function _extend(
        uint256 bookingId,
        uint16 extraHours,
        address token,
        uint256 maxPayment,
        SlaTerms calldata minSla
    ) private returns (uint40 endsAt) {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = _extendable($, bookingId);
        Quote memory quote = _extensionQuote($, booking, extraHours, token, maxPayment, minSla);
        if (quote.tokenId != booking.tokenId) revert MarketplaceWrongToken(bookingId, token);
        if (quote.bondCoverageBps != 0) _checkBondCoverage($, quote);
        uint256 value = _nativeValue(token, quote.amount);

        booking.hoursBooked += extraHours;
        // The consumer pays an ERC-20 extension, also when the renewer extends on its behalf.
        endsAt = $.escrow.extendDeposit{value: value}(bookingId, booking.consumer, token, quote.amount, extraHours);
        emit BookingExtended(bookingId, booking.consumer, extraHours, quote.usdValueE8, booking.hoursBooked, endsAt);
        if (msg.value > value) Address.sendValue(payable(msg.sender), msg.value - value);
    }

    /// @dev The booking, if it is running, or requested and still within its provisioning deadline
    /// (past it, the booking only awaits its refund), and the caller is its consumer or the renewer.
    function _extendable(
        MarketplaceStorage storage $,
        uint256 bookingId
    ) private view returns (Booking storage booking) {
        booking = $.bookings[bookingId];
        if (booking.status != BookingStatus.Active) {
            _bookingIn($, bookingId, BookingStatus.Requested);
            uint256 deadline = _deadline($, booking.requestedAt);
            if (block.timestamp > deadline) revert MarketplaceProvisioningExpired(bookingId, deadline);
        }
        if (msg.sender != booking.consumer && !hasRole(RENEWER_ROLE, msg.sender)) {
            revert MarketplaceUnauthorized(bookingId, msg.sender);
        }
    }

    /// @dev Checks that the booking may be extended by `extraHours` under at least `minSla`, and
    /// prices the extension.
    function _extensionQuote(
        MarketplaceStorage storage $,
        Booking storage booking,
        uint16 extraHours,
        address token,
        uint256 maxPayment,
        SlaTerms calldata minSla
    ) private view returns (Quote memory) {
        uint256 resourceId = booking.resourceId;
        Resource memory resource = $.resources[resourceId];
        if (resource.status != ResourceStatus.Listed)
            revert MarketplaceInvalidResourceStatus(resourceId, resource.status);
        // Before provisioning, an extension only lengthens the booking: no longer than one booking may be.
        uint256 hoursAfter = uint256(booking.hoursBooked) + extraHours;
        uint256 mostHours = booking.status == BookingStatus.Active ? type(uint16).max : resource.maxHours;
        if (extraHours == 0 || extraHours > resource.maxHours || hoursAfter > mostHours) {
            revert MarketplaceInvalidHours(resourceId, hoursAfter, 1, resource.maxHours);
        }
        SlaTerms memory booked = _slaAt($, resourceId, resource, booking.requestedAt);
        _checkMinimumSla(resourceId, booked.uptimeTargetBps, booked.maxLatencyMs, minSla);
        return _price($, resourceId, resource, extraHours, token, maxPayment);
    }

    function _book(
        uint256 resourceId,
        uint16 hoursBooked,
        address token,
        uint256 maxPayment,
        SlaTerms calldata minSla,
        bytes32 encryptionPublicKey
    ) private returns (uint256 bookingId) {
        if (!X25519Key.isUsable(encryptionPublicKey)) revert MarketplaceInvalidEncryptionKey(encryptionPublicKey);
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Quote memory quote = _quote($, resourceId, hoursBooked, token, maxPayment, minSla);
        uint256 value = _nativeValue(token, quote.amount);
        if (quote.bondCoverageBps != 0) _checkBondCoverage($, quote);

        bookingId = _storeBooking($, resourceId, hoursBooked, quote.tokenId);
        // What was paid is the escrow's record (its Deposited event).
        emit BookingRequested(
            bookingId,
            resourceId,
            msg.sender,
            quote.provider,
            quote.usdValueE8,
            hoursBooked,
            encryptionPublicKey
        );

        $.escrow.deposit{value: value}(bookingId, msg.sender, quote.provider, token, quote.amount);
        if (msg.value > value) Address.sendValue(payable(msg.sender), msg.value - value);
    }

    /// @dev Records a new requested booking of the caller and takes a unit of the resource's capacity.
    /// The booking is written as the one word its struct packs into (consumer, resourceId,
    /// hoursBooked, tokenId, status, requestedAt, from the low bits up), in a single SSTORE: the
    /// compiler writes a packed struct member by member here, which costs 600 gas more on every
    /// booking. The layout cannot change (storage compatibility), and the tests read it back.
    function _storeBooking(
        MarketplaceStorage storage $,
        uint256 resourceId,
        uint16 hoursBooked,
        uint8 tokenId
    ) private returns (uint256 bookingId) {
        bookingId = ++$.bookingCount;
        Booking storage booking = $.bookings[bookingId];
        uint256 word =
            uint256(uint160(msg.sender)) |
                (uint256(uint32(resourceId)) << 160) |
                (uint256(hoursBooked) << 192) |
                (uint256(tokenId) << 208) |
                (uint256(uint8(BookingStatus.Requested)) << 216) |
                (uint256(uint32(block.timestamp)) << 224);
        assembly ("memory-safe") {
            sstore(booking.slot, word)
        }
        ++$.resources[resourceId].activeBookings;
    }

    /// @dev Checks that the caller may book the resource for `hoursBooked` under at least `minSla`,
    /// and prices the booking.
    function _quote(
        MarketplaceStorage storage $,
        uint256 resourceId,
        uint16 hoursBooked,
        address token,
        uint256 maxPayment,
        SlaTerms calldata minSla
    ) private view returns (Quote memory) {
        Resource memory resource = $.resources[resourceId];
        if (resource.status != ResourceStatus.Listed) {
            if (resource.status == ResourceStatus.None) revert MarketplaceUnknownResource(resourceId);
            revert MarketplaceInvalidResourceStatus(resourceId, resource.status);
        }
        if (resource.provider == msg.sender) revert MarketplaceSelfBooking(resourceId);
        if (hoursBooked < resource.minHours || hoursBooked > resource.maxHours) {
            revert MarketplaceInvalidHours(resourceId, hoursBooked, resource.minHours, resource.maxHours);
        }
        if (resource.activeBookings >= resource.capacity) revert MarketplaceNoCapacity(resourceId, resource.capacity);
        if (block.timestamp > resource.slaSince) {
            _checkMinimumSla(resourceId, resource.uptimeTargetBps, resource.maxLatencyMs, minSla);
        } else {
            // The terms changed this second: a booking now gets the ones before.
            SlaTerms memory offered = _slaAt($, resourceId, resource, block.timestamp);
            _checkMinimumSla(resourceId, offered.uptimeTargetBps, offered.maxLatencyMs, minSla);
        }

        return _price($, resourceId, resource, hoursBooked, token, maxPayment);
    }

    /// @dev Prices `hoursBooked` of the resource in `token` at its price now.
    function _price(
        MarketplaceStorage storage $,
        uint256 resourceId,
        Resource memory resource,
        uint16 hoursBooked,
        address token,
        uint256 maxPayment
    ) private view returns (Quote memory) {
        uint256 usdValueE8 = uint256(resource.pricePerHourUsdE8) * hoursBooked;
        (IPriceOracle oracle, uint16 coverageBps) = ($.priceOracle, $.bondCoverageBps);
        (uint256 amount, uint8 tokenId) = oracle.quote(token, usdValueE8);
        if ((resource.acceptedTokens >> tokenId) & 1 == 0) revert MarketplaceTokenNotAccepted(resourceId, token);
        if (amount > maxPayment) revert MarketplaceSlippage(amount, maxPayment);
        return
            Quote({
                provider: resource.provider,
                usdValueE8: usdValueE8,
                amount: amount,
                tokenId: tokenId,
                bondCoverageBps: coverageBps
            });
    }

    /// @dev Reverts if the offered SLA is looser than `minimum`.
    function _checkMinimumSla(
        uint256 resourceId,
        uint16 uptimeTargetBps,
        uint32 maxLatencyMs,
        SlaTerms calldata minimum
    ) private pure {
        if (
            uptimeTargetBps < minimum.uptimeTargetBps ||
            (minimum.maxLatencyMs != 0 && (maxLatencyMs == 0 || maxLatencyMs > minimum.maxLatencyMs))
        ) revert MarketplaceSlaBelowMinimum(resourceId, SlaTerms(uptimeTargetBps, maxLatencyMs), minimum);
    }

    /// @dev Reverts unless the provider's bonds cover `bondCoverageBps` of its active bookings plus this one.
    function _checkBondCoverage(MarketplaceStorage storage $, Quote memory quote) private view {
        (uint256 bondUsdE8, uint256 activeUsdE8) = $.escrow.bondCoverage(quote.provider);
        uint256 requiredUsdE8 = ((activeUsdE8 + quote.usdValueE8) * quote.bondCoverageBps) / BPS;
        if (bondUsdE8 < requiredUsdE8) revert MarketplaceInsufficientBond(quote.provider, bondUsdE8, requiredUsdE8);
    }

    /// @dev The native currency the escrow takes for `amount` of `token`; checks what was sent.
    function _nativeValue(address token, uint256 amount) private view returns (uint256) {
        if (token == address(0)) {
            if (msg.value < amount) revert MarketplaceInvalidValue(amount, msg.value);
            return amount;
        }
        if (msg.value != 0) revert MarketplaceInvalidValue(0, msg.value);
        return 0;
    }

    /// @inheritdoc IResourceMarketplace
    function confirmProvisioning(
        uint256 bookingId,
        string calldata accessDetailsCid,
        bytes[] calldata signatures
    ) external {
        _checkCid(accessDetailsCid);
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = _bookingIn($, bookingId, BookingStatus.Requested);
        uint256 deadline = _deadline($, booking.requestedAt);
        if (block.timestamp > deadline) revert MarketplaceProvisioningExpired(bookingId, deadline);
        address consumer = booking.consumer;
        _verifyOracles(
            $,
            keccak256(abi.encode(PROVISIONING_TYPEHASH, bookingId, consumer, keccak256(bytes(accessDetailsCid)))),
            signatures
        );

        booking.status = BookingStatus.Active;
        (uint40 startedAt, uint40 endsAt) = $.escrow.startStream(bookingId, booking.tokenId, booking.hoursBooked);
        emit BookingProvisioned(bookingId, consumer, accessDetailsCid, startedAt, endsAt);
    }

    /// @inheritdoc IResourceMarketplace
    function cancelForConsumerFault(uint256 bookingId, CancelReason reason, bytes[] calldata signatures) external {
        if (reason != CancelReason.UnusableEncryptionKey) {
            revert MarketplaceNotConsumerFault(reason);
        }
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = _bookingIn($, bookingId, BookingStatus.Requested);
        address consumer = booking.consumer;
        _verifyOracles(
            $,
            keccak256(abi.encode(CONSUMER_FAULT_TYPEHASH, bookingId, consumer, uint8(reason))),
            signatures
        );

        booking.status = BookingStatus.Cancelled;
        _release($, booking.resourceId);
        $.escrow.refundDeposit(bookingId, consumer, booking.tokenId, 0, false);
        emit BookingCancelled(bookingId, consumer, msg.sender, reason);
    }

    /// @inheritdoc IResourceMarketplace
    function cancelBooking(uint256 bookingId) external {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = _bookingIn($, bookingId, BookingStatus.Requested);
        uint256 requestedAt = booking.requestedAt;
        uint256 deadline = _deadline($, requestedAt);
        bool timedOut = block.timestamp > deadline;
        address consumer = booking.consumer;
        if (!timedOut && msg.sender != consumer) revert MarketplaceProvisioningPending(bookingId, deadline);

        booking.status = BookingStatus.Cancelled;
        address provider = _release($, booking.resourceId);
        uint16 feeBps =
            !timedOut && block.timestamp > requestedAt + $.freeCancellationSeconds ? $.cancellationFeeBps : 0;
        $.escrow.refundDeposit(bookingId, consumer, booking.tokenId, feeBps, timedOut);
        if (timedOut) $.reputation.recordBookingFailed(provider, _tryBookingUsd($, bookingId, booking.tokenId));
        emit BookingCancelled(
            bookingId,
            consumer,
            msg.sender,
            timedOut ? CancelReason.ProvisioningTimedOut : CancelReason.ByConsumer
        );
    }

    /// @inheritdoc IResourceMarketplace
    function completeBooking(uint256 bookingId) external {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = _bookingIn($, bookingId, BookingStatus.Active);
        booking.status = BookingStatus.Completed;
        // Reverts before the booking's end.
        uint256 graceEndsAt = $.escrow.closeStream(bookingId);
        if (block.timestamp < graceEndsAt && msg.sender != booking.consumer) {
            revert MarketplaceInGrace(bookingId, graceEndsAt);
        }
        $.reputation.recordBookingCompleted(_release($, booking.resourceId));
        emit BookingCompleted(bookingId, booking.consumer);
    }

    /// @inheritdoc IResourceMarketplace
    function terminateBooking(uint256 bookingId) external {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = _bookingIn($, bookingId, BookingStatus.Active);
        address provider = $.resources[booking.resourceId].provider;
        address consumer = booking.consumer;
        bool byProvider = msg.sender == provider;
        if (!byProvider && msg.sender != consumer) revert MarketplaceUnauthorized(bookingId, msg.sender);

        booking.status = BookingStatus.Terminated;
        _release($, booking.resourceId);
        uint256 refund = $.escrow.stopStream(bookingId, consumer, byProvider);
        if (byProvider) $.reputation.recordBookingFailed(provider, _tryBookingUsd($, bookingId, booking.tokenId));
        emit BookingTerminated(bookingId, consumer, msg.sender, byProvider, refund);
    }

    /// @inheritdoc IResourceMarketplace
    function rateBooking(uint256 bookingId, uint8 score) external {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = _bookingIn($, bookingId, BookingStatus.Completed);
        if (msg.sender != booking.consumer) revert MarketplaceUnauthorized(bookingId, msg.sender);
        uint256 usdE8 = $.escrow.depositUsd(bookingId, booking.tokenId);
        $.reputation.recordRating($.resources[booking.resourceId].provider, bookingId, msg.sender, score, usdE8);
    }

    // ---------------------------------------------------------------------------------------------
    // Governance
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IResourceMarketplace
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _getMarketplaceStorage().paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IResourceMarketplace
    function unpause() external onlyRole(GUARDIAN_ROLE) {
        _getMarketplaceStorage().paused = false;
        emit Unpaused(msg.sender);
    }

    /// @inheritdoc IResourceMarketplace
    function setProvisionTimeout(uint32 provisionTimeoutSeconds) external onlyRole(DEFAULT_ADMIN_ROLE) {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        // Bookings requested up to this second keep the timeout being replaced.
        uint32 version = $.provisionTimeoutVersions;
        $.provisionTimeoutHistory[version] = Replaced({
            replacedAt: uint32(block.timestamp),
            value: $.provisionTimeoutSeconds
        });
        $.provisionTimeoutVersions = version + 1;
        $.provisionTimeoutSince = uint32(block.timestamp);
        $.provisionTimeoutSeconds = _validTimeout(provisionTimeoutSeconds);
        emit ProvisionTimeoutUpdated(provisionTimeoutSeconds);
    }

    /// @inheritdoc IResourceMarketplace
    function setResourceVerifier(IResourceVerifier verifier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _getMarketplaceStorage().verifier = verifier;
        emit ResourceVerifierUpdated(address(verifier));
    }

    /// @inheritdoc IResourceMarketplace
    function setOracleSigners(IQuorumSigned signers) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(signers) == address(0)) revert ManagedZeroAddress();
        _getMarketplaceStorage().oracleSigners = signers;
        emit OracleSignersUpdated(address(signers));
    }

    /// @inheritdoc IResourceMarketplace
    function setBondCoverage(uint16 coverageBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (coverageBps > BPS) revert MarketplaceInvalidBondCoverage(coverageBps);
        _getMarketplaceStorage().bondCoverageBps = coverageBps;
        emit BondCoverageUpdated(coverageBps);
    }

    /// @inheritdoc IResourceMarketplace
    function setCancellationPolicy(uint16 feeBps, uint32 freeSeconds) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (feeBps > MAX_CANCELLATION_FEE_BPS || freeSeconds > MAX_PROVISION_TIMEOUT_SECONDS) {
            revert MarketplaceInvalidCancellationPolicy(feeBps, freeSeconds);
        }
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        $.cancellationFeeBps = feeBps;
        $.freeCancellationSeconds = freeSeconds;
        emit CancellationPolicyUpdated(feeBps, freeSeconds);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IResourceMarketplace
    function paused() external view returns (bool) {
        return _getMarketplaceStorage().paused;
    }

    /// @inheritdoc IResourceMarketplace
    function getResource(uint256 resourceId) external view returns (Resource memory) {
        return _getMarketplaceStorage().resources[resourceId];
    }

    /// @inheritdoc IResourceMarketplace
    function getBooking(uint256 bookingId) external view returns (Booking memory) {
        return _getMarketplaceStorage().bookings[bookingId];
    }

    /// @inheritdoc IResourceMarketplace
    function providerRegisteredAt(address provider) external view returns (uint40) {
        return _getMarketplaceStorage().providerRegisteredAt[provider];
    }

    /// @inheritdoc IResourceMarketplace
    function bookedSlaTerms(
        uint256 bookingId
    ) external view returns (address consumer, uint32 requestedAt, SlaTerms memory terms) {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking memory booking = $.bookings[bookingId];
        if (booking.status == BookingStatus.None) revert MarketplaceUnknownBooking(bookingId);
        terms = _slaAt($, booking.resourceId, $.resources[booking.resourceId], booking.requestedAt);
        return (booking.consumer, booking.requestedAt, terms);
    }

    /// @inheritdoc IResourceMarketplace
    function provisionDeadline(uint256 bookingId) external view returns (uint256) {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = $.bookings[bookingId];
        if (booking.status == BookingStatus.None) revert MarketplaceUnknownBooking(bookingId);
        return _deadline($, booking.requestedAt);
    }

    /// @inheritdoc IResourceMarketplace
    function provisionTimeout() external view returns (uint32) {
        return _getMarketplaceStorage().provisionTimeoutSeconds;
    }

    /// @inheritdoc IResourceMarketplace
    function priceOracle() external view returns (IPriceOracle) {
        return _getMarketplaceStorage().priceOracle;
    }

    /// @inheritdoc IResourceMarketplace
    function isResourceVerified(uint256 resourceId) external view returns (bool) {
        IResourceVerifier verifier = _getMarketplaceStorage().verifier;
        return address(verifier) != address(0) && verifier.isVerified(resourceId);
    }

    /// @inheritdoc IResourceMarketplace
    function resourceVerifier() external view returns (IResourceVerifier) {
        return _getMarketplaceStorage().verifier;
    }

    /// @inheritdoc IResourceMarketplace
    function oracleSigners() external view returns (IQuorumSigned) {
        return _getMarketplaceStorage().oracleSigners;
    }

    /// @inheritdoc IResourceMarketplace
    function bondCoverage() external view returns (uint16) {
        return _getMarketplaceStorage().bondCoverageBps;
    }

    /// @inheritdoc IResourceMarketplace
    function cancellationPolicy() external view returns (uint16 feeBps, uint32 freeSeconds) {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        return ($.cancellationFeeBps, $.freeCancellationSeconds);
    }

    /// @inheritdoc IResourceMarketplace
    function resourceCount() external view returns (uint256) {
        return _getMarketplaceStorage().resourceCount;
    }

    /// @inheritdoc IResourceMarketplace
    function bookingCount() external view returns (uint256) {
        return _getMarketplaceStorage().bookingCount;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _bookingIn(
        MarketplaceStorage storage $,
        uint256 bookingId,
        BookingStatus expected
    ) private view returns (Booking storage booking) {
        booking = $.bookings[bookingId];
        if (booking.status != expected) {
            if (booking.status == BookingStatus.None) revert MarketplaceUnknownBooking(bookingId);
            revert MarketplaceInvalidBookingStatus(bookingId, booking.status);
        }
    }

    function _ownedResource(
        MarketplaceStorage storage $,
        uint256 resourceId
    ) private view returns (Resource storage resource) {
        resource = $.resources[resourceId];
        if (resource.status == ResourceStatus.None) revert MarketplaceUnknownResource(resourceId);
        if (resource.provider != msg.sender) revert MarketplaceNotResourceProvider(resourceId, msg.sender);
    }

    /// @dev The SLA terms of a booking of the resource requested at `bookedAt`: those in force
    /// just before that second (terms changed in the same second apply from the next one).
    function _slaAt(
        MarketplaceStorage storage $,
        uint256 resourceId,
        Resource memory resource,
        uint256 bookedAt
    ) private view returns (SlaTerms memory) {
        if (bookedAt > resource.slaSince || resource.slaVersions == 0) {
            return SlaTerms(resource.uptimeTargetBps, resource.maxLatencyMs);
        }
        uint224 past = _valueAt($.slaHistory[resourceId], resource.slaVersions, bookedAt);
        return SlaTerms(uint16(past), uint32(past >> 16));
    }

    /// @dev When provisioning of a booking requested at `requestedAt` times out, by the timeout in
    /// force just before that second.
    function _deadline(MarketplaceStorage storage $, uint256 requestedAt) private view returns (uint256) {
        if (requestedAt > $.provisionTimeoutSince || $.provisionTimeoutVersions == 0) {
            return requestedAt + $.provisionTimeoutSeconds;
        }
        return requestedAt + _valueAt($.provisionTimeoutHistory, $.provisionTimeoutVersions, requestedAt);
    }

    /// @dev The value in force just before the second `at`, from a history of `versions` replaced
    /// values ordered by when they were replaced: the first one replaced at or after `at`.
    function _valueAt(
        mapping(uint256 => Replaced) storage history,
        uint256 versions,
        uint256 at
    ) private view returns (uint224) {
        uint256 low = 0;
        uint256 high = versions - 1;
        while (low < high) {
            uint256 middle = (low + high) / 2;
            if (history[middle].replacedAt >= at) high = middle;
            else low = middle + 1;
        }
        return history[low].value;
    }

    /// @dev Reverts unless a quorum of the oracle signers signed the statement with `structHash`.
    function _verifyOracles(
        MarketplaceStorage storage $,
        bytes32 structHash,
        bytes[] calldata signatures
    ) private view {
        IQuorumSigned signers = $.oracleSigners;
        if (address(signers) == address(0)) revert MarketplaceNoOracleSigners();
        signers.verifyStatement(structHash, signatures);
    }

    /// @dev The booking's amount in USD at today's price, or 0 if its token cannot be priced now
    /// (a failure then counts at the reputation system's minimum value; it never blocks a refund).
    function _tryBookingUsd(
        MarketplaceStorage storage $,
        uint256 bookingId,
        uint8 tokenId
    ) private view returns (uint256) {
        try $.escrow.depositUsd(bookingId, tokenId) returns (uint256 usdE8) {
            return usdE8;
        } catch {
            return 0;
        }
    }

    /// @dev Frees one unit of a resource's capacity and returns its provider.
    function _release(MarketplaceStorage storage $, uint256 resourceId) private returns (address provider) {
        Resource storage resource = $.resources[resourceId];
        --resource.activeBookings;
        return resource.provider;
    }

    function _validateTerms(MarketplaceStorage storage $, ResourceTerms calldata terms) private view returns (uint64) {
        if (
            terms.pricePerHourUsdE8 == 0 ||
            terms.capacity == 0 ||
            terms.minHours == 0 ||
            terms.minHours > terms.maxHours ||
            terms.uptimeTargetBps > BPS ||
            terms.acceptedTokens.length == 0
        ) revert MarketplaceInvalidTerms();
        return $.priceOracle.tokenMask(terms.acceptedTokens);
    }

    function _checkCid(string calldata cid) private pure {
        if (!CidFormat.isCid(cid)) revert MarketplaceInvalidCid(cid);
    }

    function _validTimeout(uint32 provisionTimeoutSeconds) private pure returns (uint32) {
        if (
            provisionTimeoutSeconds < MIN_PROVISION_TIMEOUT_SECONDS ||
            provisionTimeoutSeconds > MAX_PROVISION_TIMEOUT_SECONDS
        ) revert MarketplaceInvalidTimeout(provisionTimeoutSeconds);
        return provisionTimeoutSeconds;
    }
}
