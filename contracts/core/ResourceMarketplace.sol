// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {ManagedUpgradeable} from "../access/ManagedUpgradeable.sol";
import {IEscrowManager} from "../interfaces/IEscrowManager.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IReputationSystem} from "../interfaces/IReputationSystem.sol";
import {IResourceMarketplace} from "../interfaces/IResourceMarketplace.sol";
import {IResourceVerifier} from "../interfaces/IResourceVerifier.sol";

/// @title ResourceMarketplace
/// @notice Providers, their resources and the lifecycle of every booking. Payments live in the
/// EscrowManager, which this contract instructs at each step of a booking.
contract ResourceMarketplace is IResourceMarketplace, ManagedUpgradeable {
    /// @notice Role that may pause new listings and bookings.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice Role of the oracle nodes that confirm provisioning.
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");

    uint256 private constant MAX_CID_LENGTH = 128;
    uint256 private constant MAX_REGION_LENGTH = 32;
    uint256 private constant BPS = 10_000;
    uint256 private constant MIN_PROVISION_TIMEOUT_SECONDS = 1 minutes;
    uint256 private constant MAX_PROVISION_TIMEOUT_SECONDS = 7 days;

    /// @dev What a booking costs and whom it pays.
    struct Quote {
        address provider;
        uint256 usdValueE8;
        uint256 amount;
        uint8 tokenId;
    }

    /// @custom:storage-location erc7201:dcloudx.storage.Marketplace
    struct MarketplaceStorage {
        // One slot, read by every booking.
        IEscrowManager escrow;
        uint56 bookingCount;
        uint32 provisionTimeoutSeconds;
        bool paused;
        // One slot.
        IPriceOracle priceOracle;
        uint32 resourceCount;
        IReputationSystem reputation;
        mapping(address provider => uint40) providerRegisteredAt;
        mapping(uint256 resourceId => Resource) resources;
        mapping(uint256 bookingId => Booking) bookings;
        IResourceVerifier verifier;
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
        IPriceOracle priceOracle,
        IEscrowManager escrow,
        IReputationSystem reputation,
        uint32 provisionTimeoutSeconds
    ) external initializer {
        __Managed_init(admin);
        if (address(priceOracle) == address(0) || address(escrow) == address(0) || address(reputation) == address(0)) {
            revert ManagedZeroAddress();
        }
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        $.priceOracle = priceOracle;
        $.escrow = escrow;
        $.reputation = reputation;
        _setProvisionTimeout($, provisionTimeoutSeconds);
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
            metadataVersion: 1
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
        bool loosened =
            terms.uptimeTargetBps < resource.uptimeTargetBps ||
                (resource.maxLatencyMs != 0 && (terms.maxLatencyMs == 0 || terms.maxLatencyMs > resource.maxLatencyMs));
        if (loosened && resource.activeBookings != 0) revert MarketplaceSlaLoosened(resourceId);

        resource.pricePerHourUsdE8 = terms.pricePerHourUsdE8;
        resource.capacity = terms.capacity;
        resource.minHours = terms.minHours;
        resource.maxHours = terms.maxHours;
        resource.uptimeTargetBps = terms.uptimeTargetBps;
        resource.maxLatencyMs = terms.maxLatencyMs;
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
        bytes32 encryptionPublicKey
    ) external payable whenNotPaused returns (uint256 bookingId) {
        return _book(resourceId, hoursBooked, token, maxPayment, encryptionPublicKey);
    }

    /// @inheritdoc IResourceMarketplace
    function bookWithPermit(
        uint256 resourceId,
        uint16 hoursBooked,
        address token,
        uint256 maxPayment,
        bytes32 encryptionPublicKey,
        Permit calldata permit
    ) external whenNotPaused returns (uint256 bookingId) {
        // The native currency has no permits; an address without code would fail outside the try.
        if (token.code.length == 0) revert MarketplacePermitFailed(token);
        address spender = address(_getMarketplaceStorage().escrow);
        // A permit can be front-run with the same signature; what matters is the allowance.
        try
            IERC20Permit(token).permit(msg.sender, spender, maxPayment, permit.deadline, permit.v, permit.r, permit.s)
        {} catch {
            if (IERC20(token).allowance(msg.sender, spender) < maxPayment) revert MarketplacePermitFailed(token);
        }
        return _book(resourceId, hoursBooked, token, maxPayment, encryptionPublicKey);
    }

    function _book(
        uint256 resourceId,
        uint16 hoursBooked,
        address token,
        uint256 maxPayment,
        bytes32 encryptionPublicKey
    ) private returns (uint256 bookingId) {
        if (encryptionPublicKey == bytes32(0)) revert MarketplaceMissingEncryptionKey();
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Quote memory quote = _quote($, resourceId, hoursBooked, token, maxPayment);
        uint256 value = _nativeValue(token, quote.amount);

        bookingId = ++$.bookingCount;
        $.bookings[bookingId] = Booking({
            consumer: msg.sender,
            resourceId: uint32(resourceId),
            hoursBooked: hoursBooked,
            tokenId: quote.tokenId,
            status: BookingStatus.Requested,
            requestedAt: uint32(block.timestamp)
        });
        ++$.resources[resourceId].activeBookings;

        $.escrow.deposit{value: value}(bookingId, msg.sender, quote.provider, token, quote.amount);
        emit BookingRequested(
            bookingId,
            resourceId,
            msg.sender,
            quote.provider,
            token,
            quote.amount,
            quote.usdValueE8,
            hoursBooked,
            encryptionPublicKey
        );
        if (msg.value > value) Address.sendValue(payable(msg.sender), msg.value - value);
    }

    /// @dev Checks that the caller may book the resource for `hoursBooked` and prices the booking.
    function _quote(
        MarketplaceStorage storage $,
        uint256 resourceId,
        uint16 hoursBooked,
        address token,
        uint256 maxPayment
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

        uint256 usdValueE8 = uint256(resource.pricePerHourUsdE8) * hoursBooked;
        (uint256 amount, uint8 tokenId) = $.priceOracle.quote(token, usdValueE8);
        if ((resource.acceptedTokens >> tokenId) & 1 == 0) revert MarketplaceTokenNotAccepted(resourceId, token);
        if (amount > maxPayment) revert MarketplaceSlippage(amount, maxPayment);
        return Quote({provider: resource.provider, usdValueE8: usdValueE8, amount: amount, tokenId: tokenId});
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
    function confirmProvisioning(uint256 bookingId, string calldata accessDetailsCid) external onlyRole(ORACLE_ROLE) {
        _checkCid(accessDetailsCid);
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = _bookingIn($, bookingId, BookingStatus.Requested);
        uint256 deadline = uint256(booking.requestedAt) + $.provisionTimeoutSeconds;
        if (block.timestamp > deadline) revert MarketplaceProvisioningExpired(bookingId, deadline);

        booking.status = BookingStatus.Active;
        (uint40 startedAt, uint40 endsAt) = $.escrow.startStream(bookingId, booking.tokenId, booking.hoursBooked);
        emit BookingProvisioned(bookingId, msg.sender, accessDetailsCid, startedAt, endsAt);
    }

    /// @inheritdoc IResourceMarketplace
    function cancelBooking(uint256 bookingId) external {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = _bookingIn($, bookingId, BookingStatus.Requested);
        uint256 deadline = uint256(booking.requestedAt) + $.provisionTimeoutSeconds;
        bool timedOut = block.timestamp > deadline;
        if (!timedOut && msg.sender != booking.consumer) revert MarketplaceProvisioningPending(bookingId, deadline);

        booking.status = BookingStatus.Cancelled;
        address provider = _release($, booking.resourceId);
        $.escrow.refundDeposit(bookingId, booking.consumer, booking.tokenId, timedOut);
        if (timedOut) $.reputation.recordBookingFailed(provider);
        emit BookingCancelled(bookingId, msg.sender, timedOut);
    }

    /// @inheritdoc IResourceMarketplace
    function completeBooking(uint256 bookingId) external {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = _bookingIn($, bookingId, BookingStatus.Active);
        uint256 endsAt = $.escrow.streamOf(bookingId).endsAt;
        if (block.timestamp < endsAt) revert MarketplaceBookingNotEnded(bookingId, endsAt);

        booking.status = BookingStatus.Completed;
        $.reputation.recordBookingCompleted(_release($, booking.resourceId));
        emit BookingCompleted(bookingId);
    }

    /// @inheritdoc IResourceMarketplace
    function terminateBooking(uint256 bookingId) external {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = _bookingIn($, bookingId, BookingStatus.Active);
        address provider = $.resources[booking.resourceId].provider;
        bool byProvider = msg.sender == provider;
        if (!byProvider && msg.sender != booking.consumer) revert MarketplaceUnauthorized(bookingId, msg.sender);

        booking.status = BookingStatus.Terminated;
        _release($, booking.resourceId);
        uint256 refund = $.escrow.stopStream(bookingId, booking.consumer, byProvider);
        if (byProvider) $.reputation.recordBookingFailed(provider);
        emit BookingTerminated(bookingId, msg.sender, byProvider, refund);
    }

    /// @inheritdoc IResourceMarketplace
    function rateBooking(uint256 bookingId, uint8 score) external {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = _bookingIn($, bookingId, BookingStatus.Completed);
        if (msg.sender != booking.consumer) revert MarketplaceUnauthorized(bookingId, msg.sender);
        $.reputation.recordRating($.resources[booking.resourceId].provider, bookingId, msg.sender, score);
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
        _setProvisionTimeout(_getMarketplaceStorage(), provisionTimeoutSeconds);
    }

    /// @inheritdoc IResourceMarketplace
    function setResourceVerifier(IResourceVerifier verifier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _getMarketplaceStorage().verifier = verifier;
        emit ResourceVerifierUpdated(address(verifier));
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
    function slaTerms(
        uint256 bookingId
    ) external view returns (address consumer, uint16 uptimeTargetBps, uint32 maxLatencyMs) {
        MarketplaceStorage storage $ = _getMarketplaceStorage();
        Booking storage booking = $.bookings[bookingId];
        if (booking.status == BookingStatus.None) revert MarketplaceUnknownBooking(bookingId);
        Resource storage resource = $.resources[booking.resourceId];
        return (booking.consumer, resource.uptimeTargetBps, resource.maxLatencyMs);
    }

    /// @inheritdoc IResourceMarketplace
    function provisionTimeout() external view returns (uint32) {
        return _getMarketplaceStorage().provisionTimeoutSeconds;
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
        if (bytes(cid).length == 0 || bytes(cid).length > MAX_CID_LENGTH) revert MarketplaceInvalidCid();
    }

    function _setProvisionTimeout(MarketplaceStorage storage $, uint32 provisionTimeoutSeconds) private {
        if (
            provisionTimeoutSeconds < MIN_PROVISION_TIMEOUT_SECONDS ||
            provisionTimeoutSeconds > MAX_PROVISION_TIMEOUT_SECONDS
        ) revert MarketplaceInvalidTimeout(provisionTimeoutSeconds);
        $.provisionTimeoutSeconds = provisionTimeoutSeconds;
        emit ProvisionTimeoutUpdated(provisionTimeoutSeconds);
    }
}
