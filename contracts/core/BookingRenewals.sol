// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ManagedUpgradeable} from "../access/ManagedUpgradeable.sol";
import {IBookingRenewals} from "../interfaces/IBookingRenewals.sol";
import {IEscrowManager} from "../interfaces/IEscrowManager.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IResourceMarketplace} from "../interfaces/IResourceMarketplace.sol";

/// @title BookingRenewals
/// @notice Renewal policies of bookings and the native-currency renewal balances of consumers;
/// renews bookings by their policies through the marketplace's renewer role. See IBookingRenewals
/// for the rules.
/// @dev Holds only the renewal balances (native currency); ERC-20s never pass through it: the
/// EscrowManager pulls a renewal from the consumer, and a tip goes from the consumer to the caller
/// directly. A renewal's checks read the same state the marketplace then charges by, in the same
/// transaction, so what passes them is what is paid.
contract BookingRenewals is IBookingRenewals, ManagedUpgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Highest tip governance can set: 1 % of a renewal.
    uint16 public constant MAX_TIP_BPS = 100;
    uint256 private constant BPS = 10_000;
    uint256 private constant MIN_WINDOW_SECONDS = 1 minutes;
    uint256 private constant MAX_WINDOW_SECONDS = 7 days;

    /// @custom:storage-location erc7201:dcloudx.storage.BookingRenewals
    struct RenewalsStorage {
        IResourceMarketplace marketplace;
        uint32 windowSeconds;
        uint16 tipBps;
        IEscrowManager escrow;
        IPriceOracle priceOracle;
        mapping(uint256 bookingId => RenewalPolicy) policies;
        mapping(address account => uint256) balances;
    }

    // keccak256(abi.encode(uint256(keccak256("dcloudx.storage.BookingRenewals")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x68c76e744f2f6072a41e9a3033f842012e0adab88640bdf6533ef35bd9465000;

    function _getRenewalsStorage() private pure returns (RenewalsStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @notice Initializes the proxy.
    /// @param admin Holder of the admin and upgrader roles (the DAO timelock in production).
    function initialize(
        address admin,
        IResourceMarketplace marketplace,
        IEscrowManager escrow,
        uint32 windowSeconds,
        uint16 tipBps
    ) external initializer {
        __Managed_init(admin);
        if (address(marketplace) == address(0) || address(escrow) == address(0)) revert ManagedZeroAddress();
        RenewalsStorage storage $ = _getRenewalsStorage();
        $.marketplace = marketplace;
        $.escrow = escrow;
        $.priceOracle = marketplace.priceOracle();
        _setSettings($, windowSeconds, tipBps);
    }

    // ---------------------------------------------------------------------------------------------
    // Policies
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IBookingRenewals
    function setRenewalPolicy(
        uint256 bookingId,
        uint16 hoursPerRenewal,
        uint64 maxPricePerHourUsdE8,
        uint128 budget
    ) external nonReentrant {
        if (hoursPerRenewal == 0 || maxPricePerHourUsdE8 == 0) revert RenewalsInvalidPolicy();
        RenewalsStorage storage $ = _getRenewalsStorage();
        IResourceMarketplace.Booking memory booking = $.marketplace.getBooking(bookingId);
        if (
            booking.status != IResourceMarketplace.BookingStatus.Requested &&
            booking.status != IResourceMarketplace.BookingStatus.Active
        ) revert RenewalsBookingFinished(bookingId);
        if (msg.sender != booking.consumer) revert RenewalsUnauthorized(bookingId, msg.sender);
        address token = booking.tokenId == 0 ? address(0) : $.priceOracle.tokenAddress(booking.tokenId);
        $.policies[bookingId] = RenewalPolicy(hoursPerRenewal, maxPricePerHourUsdE8, token, budget);
        emit RenewalPolicySet(bookingId, msg.sender, hoursPerRenewal, maxPricePerHourUsdE8, token, budget);
    }

    /// @inheritdoc IBookingRenewals
    function cancelRenewalPolicy(uint256 bookingId) external nonReentrant {
        RenewalsStorage storage $ = _getRenewalsStorage();
        if ($.policies[bookingId].hoursPerRenewal == 0) revert RenewalsNoPolicy(bookingId);
        if (msg.sender != $.marketplace.getBooking(bookingId).consumer) {
            revert RenewalsUnauthorized(bookingId, msg.sender);
        }
        delete $.policies[bookingId];
        emit RenewalPolicyCancelled(bookingId, msg.sender);
    }

    // ---------------------------------------------------------------------------------------------
    // Renewals
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IBookingRenewals
    function renew(uint256 bookingId) external nonReentrant returns (bool renewed) {
        RenewalsStorage storage $ = _getRenewalsStorage();
        RenewalPolicy memory policy = $.policies[bookingId];
        if (policy.hoursPerRenewal == 0) return _skip(bookingId, RenewalSkipReason.NoPolicy);
        IResourceMarketplace marketplace = $.marketplace;
        IResourceMarketplace.Booking memory booking = marketplace.getBooking(bookingId);
        if (booking.status != IResourceMarketplace.BookingStatus.Active) {
            return _skip(bookingId, RenewalSkipReason.BookingNotRenewable);
        }
        if (!_inWindow($, bookingId, policy.hoursPerRenewal)) return _skip(bookingId, RenewalSkipReason.NotInWindow);

        uint256 pricePerHour = marketplace.getResource(booking.resourceId).pricePerHourUsdE8;
        if (pricePerHour > policy.maxPricePerHourUsdE8) return _skip(bookingId, RenewalSkipReason.PriceAboveMaximum);
        uint256 amount;
        try $.priceOracle.quote(policy.token, pricePerHour * policy.hoursPerRenewal) returns (uint256 quoted, uint8) {
            amount = quoted;
        } catch {
            return _skip(bookingId, RenewalSkipReason.BookingNotRenewable);
        }
        uint256 tip = (amount * $.tipBps) / BPS;
        uint256 cost = amount + tip;
        if (cost > policy.budget) return _skip(bookingId, RenewalSkipReason.BudgetExhausted);
        RenewalSkipReason shortfall = _fundsShortfall($, booking.consumer, policy.token, cost, tip);
        if (shortfall != RenewalSkipReason.NoPolicy) return _skip(bookingId, shortfall);

        return _renew($, bookingId, booking.consumer, policy, amount, tip);
    }

    /// @dev Extends the booking through the marketplace and charges the policy; a refusal of the
    /// marketplace is a skip.
    function _renew(
        RenewalsStorage storage $,
        uint256 bookingId,
        address consumer,
        RenewalPolicy memory policy,
        uint256 amount,
        uint256 tip
    ) private returns (bool) {
        bool native = policy.token == address(0);
        uint40 endsAt;
        // The booking keeps its own SLA terms: no minimum to check them against.
        try
            $.marketplace.extendBooking{value: native ? amount : 0}(
                bookingId,
                policy.hoursPerRenewal,
                policy.token,
                amount,
                IResourceMarketplace.SlaTerms(0, 0)
            )
        returns (uint40 newEnd) {
            endsAt = newEnd;
        } catch {
            return _skip(bookingId, RenewalSkipReason.BookingNotRenewable);
        }

        uint128 budgetLeft = policy.budget - uint128(amount + tip);
        $.policies[bookingId].budget = budgetLeft;
        if (native) {
            $.balances[consumer] -= amount + tip;
            if (tip != 0) {
                $.balances[msg.sender] += tip;
                emit RenewalBalanceDeposited(msg.sender, tip);
            }
        } else if (tip != 0) {
            IERC20(policy.token).safeTransferFrom(consumer, msg.sender, tip);
        }
        emit BookingRenewed(bookingId, consumer, msg.sender, policy.hoursPerRenewal, amount, tip, budgetLeft, endsAt);
        return true;
    }

    // ---------------------------------------------------------------------------------------------
    // Renewal balances
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IBookingRenewals
    function depositRenewalBalance() external payable nonReentrant {
        if (msg.value == 0) revert RenewalsZeroAmount();
        _getRenewalsStorage().balances[msg.sender] += msg.value;
        emit RenewalBalanceDeposited(msg.sender, msg.value);
    }

    /// @inheritdoc IBookingRenewals
    function withdrawRenewalBalance(uint256 amount) external nonReentrant {
        if (amount == 0) revert RenewalsZeroAmount();
        mapping(address => uint256) storage balances = _getRenewalsStorage().balances;
        uint256 available = balances[msg.sender];
        if (amount > available) revert RenewalsInsufficientBalance(msg.sender, available, amount);
        balances[msg.sender] = available - amount;
        emit RenewalBalanceWithdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Governance and views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IBookingRenewals
    function setRenewalSettings(uint32 windowSeconds, uint16 tipBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSettings(_getRenewalsStorage(), windowSeconds, tipBps);
    }

    /// @inheritdoc IBookingRenewals
    function renewalPolicy(uint256 bookingId) external view returns (RenewalPolicy memory) {
        return _getRenewalsStorage().policies[bookingId];
    }

    /// @inheritdoc IBookingRenewals
    function renewalBalance(address account) external view returns (uint256) {
        return _getRenewalsStorage().balances[account];
    }

    /// @inheritdoc IBookingRenewals
    function renewalWindow() external view returns (uint32) {
        return _getRenewalsStorage().windowSeconds;
    }

    /// @inheritdoc IBookingRenewals
    function renewalTipBps() external view returns (uint16) {
        return _getRenewalsStorage().tipBps;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Whether the booking's end is within the window (at most `hoursPerRenewal` hours, so
    /// that one renewal takes it out), or passed less than the grace period ago.
    function _inWindow(
        RenewalsStorage storage $,
        uint256 bookingId,
        uint16 hoursPerRenewal
    ) private view returns (bool) {
        IEscrowManager escrow = $.escrow;
        uint256 endsAt = escrow.streamOf(bookingId).endsAt;
        uint256 window = $.windowSeconds;
        uint256 renewalSeconds = uint256(hoursPerRenewal) * 1 hours;
        if (renewalSeconds < window) window = renewalSeconds;
        if (block.timestamp + window < endsAt) return false;
        return block.timestamp < endsAt || block.timestamp < endsAt + escrow.gracePeriod();
    }

    /// @dev Why the consumer's funds cannot pay `cost` (a renewal and its `tip`) now (NoPolicy: they can).
    function _fundsShortfall(
        RenewalsStorage storage $,
        address consumer,
        address token,
        uint256 cost,
        uint256 tip
    ) private view returns (RenewalSkipReason) {
        if (token == address(0)) {
            return $.balances[consumer] < cost ? RenewalSkipReason.InsufficientBalance : RenewalSkipReason.NoPolicy;
        }
        if (
            IERC20(token).allowance(consumer, address($.escrow)) < cost - tip ||
            (tip != 0 && IERC20(token).allowance(consumer, address(this)) < tip)
        ) return RenewalSkipReason.InsufficientAllowance;
        if (IERC20(token).balanceOf(consumer) < cost) return RenewalSkipReason.InsufficientBalance;
        return RenewalSkipReason.NoPolicy;
    }

    function _skip(uint256 bookingId, RenewalSkipReason reason) private returns (bool) {
        emit RenewalSkipped(bookingId, msg.sender, reason);
        return false;
    }

    function _setSettings(RenewalsStorage storage $, uint32 windowSeconds, uint16 tipBps) private {
        if (windowSeconds < MIN_WINDOW_SECONDS || windowSeconds > MAX_WINDOW_SECONDS || tipBps > MAX_TIP_BPS) {
            revert RenewalsInvalidSettings(windowSeconds, tipBps);
        }
        $.windowSeconds = windowSeconds;
        $.tipBps = tipBps;
        emit RenewalSettingsUpdated(windowSeconds, tipBps);
    }
}
